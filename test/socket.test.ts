// Sockets from the fd toolkit, driven by Epoll alone: real TCP, UDP and Unix
// sockets on this machine, real peers (Node's net, a Python process).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import fc from 'fast-check';
import {
  accept, bind, close, connect, Epoll, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP,
  getsockopt, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, listen, localAddress, MSG_DONTWAIT, MSG_OOB, MSG_PEEK, recv, recvfrom, remoteAddress, send,
  sendto, setsockopt, shutdown, socket, socketpair, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_REUSEADDR,
  SO_REUSEPORT, SO_TYPE, SO_DOMAIN, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, TCP_NODELAY, AF_INET, AF_INET6, AF_UNIX, SHUT_WR,
} from '../src/index';
import { fdFlags, fdSnapshot, O_CLOEXEC_FLAG, O_NONBLOCK_FLAG } from './helpers';

/** A listening TCP socket on a kernel-picked port. */
function listener(host: string): { fd: number; port: number } {
  const fd = socket(host.includes(':') ? 'IPv6' : 'IPv4');
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, true);
  bind(fd, host, 0);
  listen(fd);
  return { fd, port: localAddress(fd).port };
}

/** Poll until `pred` holds or `ms` pass; returns every [fd, events] seen. */
function pollUntil(ep: Epoll, pred: (fd: number, ev: number) => boolean, ms = 5000): Array<[number, number]> {
  const seen: Array<[number, number]> = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const [fd, ev] of ep.poll(Math.max(1, deadline - Date.now()))) {
      seen.push([fd, ev]);
      if (pred(fd, ev)) return seen;
    }
  }
  throw new Error(`condition not met in ${ms} ms; saw ${JSON.stringify(seen)}`);
}

interface TcpPair {
  cli: number;
  /** The accepted end; set it to -1 if the test closes it. */
  conn: number;
  ep: Epoll;
}

/** A loopback TCP connection accepted through an Epoll; everything is closed after `fn`. */
function withTcpPair(fn: (p: TcpPair) => void): void {
  const srv = listener('127.0.0.1');
  const p: TcpPair = { cli: socket('IPv4'), conn: -1, ep: new Epoll() };
  try {
    connect(p.cli, '127.0.0.1', srv.port);
    p.ep.register(srv.fd);
    pollUntil(p.ep, (fd) => fd === srv.fd);
    p.ep.unregister(srv.fd);
    p.conn = accept(srv.fd)!.fd;
    fn(p);
  } finally {
    p.ep.close();
    close(p.cli);
    close(srv.fd);
    if (p.conn >= 0) close(p.conn);
  }
}

/**
 * An echo over TCP built only from the toolkit and a synchronous Epoll:
 * the client sends `payload`, the server echoes each chunk, the client shuts
 * down writing, the server sees EOF and closes; returns what came back.
 */
function echoSync(host: string, payload: Buffer): Buffer {
  const srv = listener(host);
  const ep = new Epoll();
  const cli = socket(host.includes(':') ? 'IPv6' : 'IPv4');
  let conn = -1;
  const got: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  try {
    ep.register(srv.fd, EPOLLIN);
    const connected = connect(cli, host, srv.port);
    ep.register(cli, connected ? EPOLLIN : EPOLLOUT);
    let sent = 0;
    let cliDone = false;
    const deadline = Date.now() + 10000;
    while (!cliDone && Date.now() < deadline) {
      for (const [fd, ev] of ep.poll(1000)) {
        if (fd === srv.fd) {
          const a = accept(srv.fd);
          assert.ok(a, 'EPOLLIN on a listener means a connection is pending');
          assert.equal(a.address, host === '::1' ? '::1' : '127.0.0.1');
          assert.equal(a.port, localAddress(cli).port);
          assert.equal(a.family, host.includes(':') ? 'IPv6' : 'IPv4');
          conn = a.fd;
          ep.register(conn, EPOLLIN | EPOLLRDHUP);
        } else if (fd === conn) {
          const n = recv(conn, buf);
          if (n === 0) {
            ep.unregister(conn);
            close(conn);
            conn = -1;
          } else if (n !== null) {
            assert.equal(send(conn, buf, 0, n), n); // small chunks fit the socket buffer
          }
        } else if (fd === cli) {
          if (ev & EPOLLOUT) {
            assert.equal(getsockopt(cli, SOL_SOCKET, SO_ERROR), 0);
            const w = send(cli, payload, sent, Math.min(1000, payload.length - sent));
            if (w !== null) sent += w;
            if (sent === payload.length) {
              shutdown(cli, 'write');
              ep.modify(cli, EPOLLIN);
            }
          }
          if (ev & EPOLLIN) {
            const n = recv(cli, buf);
            if (n === 0) cliDone = true;
            else if (n !== null) got.push(Buffer.from(buf.subarray(0, n)));
          }
        }
      }
    }
    assert.ok(cliDone, 'the echo finished in time');
  } finally {
    ep.close();
    close(cli);
    close(srv.fd);
    if (conn >= 0) close(conn);
  }
  return Buffer.concat(got);
}

describe('sockets', () => {
  let leaks: () => string[] = () => [];
  let tmp = '';
  before(async () => {
    leaks = await fdSnapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-sock-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(leaks(), [], 'every fd the tests opened is closed');
  });

  it('echoes over TCP on 127.0.0.1 and ::1 with Epoll.poll()', () => {
    const payload = Buffer.alloc(20000, 'abcdefghij');
    assert.deepEqual(echoSync('127.0.0.1', payload), payload);
    assert.deepEqual(echoSync('::1', payload), payload);
  });

  it('echoes over TCP driven by ep.start() on the event loop', async () => {
    const srv = listener('127.0.0.1');
    const ep = new Epoll();
    const cli = socket('IPv4');
    const buf = Buffer.alloc(1024);
    let conn = -1;
    const done = new Promise<string>((resolve, reject) => {
      ep.start((fd, ev) => {
        try {
          if (fd === srv.fd) {
            conn = accept(srv.fd)!.fd;
            ep.register(conn, EPOLLIN);
          } else if (fd === conn) {
            const n = recv(conn, buf);
            if (n) send(conn, buf, 0, n);
          } else if (fd === cli && ev & EPOLLOUT) {
            send(cli, Buffer.from('ping'));
            ep.modify(cli, EPOLLIN);
          } else if (fd === cli && ev & EPOLLIN) {
            resolve(buf.toString('latin1', 0, recv(cli, buf) ?? 0));
          }
        } catch (err) {
          reject(err);
        }
      });
    });
    ep.register(srv.fd, EPOLLIN);
    connect(cli, '127.0.0.1', srv.port);
    ep.register(cli, EPOLLOUT);
    try {
      assert.equal(await done, 'ping');
    } finally {
      ep.close();
      close(cli);
      close(conn);
      close(srv.fd);
    }
  });

  it('creates non-blocking close-on-exec sockets unless told otherwise', () => {
    const a = socket('IPv4', 'stream');
    const b = socket(AF_INET, SOCK_DGRAM, { nonblock: false, cloexec: false });
    try {
      assert.equal(fdFlags(a) & (O_NONBLOCK_FLAG | O_CLOEXEC_FLAG), O_NONBLOCK_FLAG | O_CLOEXEC_FLAG);
      assert.equal(fdFlags(b) & (O_NONBLOCK_FLAG | O_CLOEXEC_FLAG), 0);
      assert.equal(getsockopt(a, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
      assert.equal(getsockopt(b, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    } finally {
      close(a);
      close(b);
    }
  });

  it('accept and recv return null when nothing is pending (EAGAIN); accepted fds are non-blocking, close-on-exec', () => {
    const idle = listener('127.0.0.1');
    assert.equal(accept(idle.fd), null);
    close(idle.fd);
    withTcpPair(({ cli, conn }) => {
      assert.equal(fdFlags(conn) & (O_NONBLOCK_FLAG | O_CLOEXEC_FLAG), O_NONBLOCK_FLAG | O_CLOEXEC_FLAG);
      assert.equal(recv(conn, Buffer.alloc(8)), null);
      assert.deepEqual(remoteAddress(conn), localAddress(cli));
      assert.deepEqual(remoteAddress(cli), localAddress(conn));
      assert.deepEqual(remoteAddress(cli).address, '127.0.0.1');
    });
  });

  it('half-close: shutdown("write") gives the peer EPOLLRDHUP and recv 0; a gone peer is EPIPE, not SIGPIPE', () => {
    withTcpPair((p) => {
      p.ep.register(p.conn, EPOLLIN | EPOLLRDHUP);
      shutdown(p.cli, SHUT_WR);
      const [[, ev]] = pollUntil(p.ep, (fd) => fd === p.conn) as [[number, number]];
      assert.ok(ev & EPOLLRDHUP && ev & EPOLLIN, `EPOLLIN|EPOLLRDHUP, got ${ev}`);
      assert.equal(recv(p.conn, Buffer.alloc(8)), 0);
      p.ep.unregister(p.conn);
      setsockopt(p.conn, SOL_SOCKET, SO_LINGER, 0); // close with RST
      close(p.conn);
      p.conn = -1;
      assert.throws(
        () => {
          for (let i = 0; i < 100; i++) send(p.cli, Buffer.from('x'));
        },
        (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET') && e.syscall === 'send',
      );
    });
  });

  it('urgent data (MSG_OOB) raises EPOLLPRI and is read with MSG_OOB', () => {
    withTcpPair(({ cli, conn, ep }) => {
      ep.register(conn, EPOLLIN | EPOLLPRI);
      assert.equal(send(cli, Buffer.from('ab!'), 0, 3, MSG_OOB), 3);
      const seen = pollUntil(ep, (fd, ev) => fd === conn && (ev & EPOLLPRI) !== 0);
      assert.ok(seen.some(([fd, ev]) => fd === conn && ev & EPOLLPRI));
      const one = Buffer.alloc(1);
      assert.equal(recv(conn, one, 0, 1, MSG_OOB), 1);
      assert.equal(one.toString(), '!', 'the last byte sent with MSG_OOB is the urgent one');
      const rest = Buffer.alloc(8);
      assert.equal(recv(conn, rest, 0, 8, MSG_PEEK), 2);
      assert.equal(recv(conn, rest), 2);
      assert.equal(rest.toString('latin1', 0, 2), 'ab');
      assert.throws(() => recv(conn, one, 0, 1, MSG_OOB), { code: 'EINVAL', syscall: 'recv' });
    });
  });

  it('a refused non-blocking connect is reported by SO_ERROR after EPOLLOUT|EPOLLERR', () => {
    const probe = socket('IPv4');
    bind(probe, '127.0.0.1', 0);
    const port = localAddress(probe).port; // bound, never listening: connects are refused
    const cli = socket('IPv4');
    const ep = new Epoll();
    try {
      const connected = connect(cli, '127.0.0.1', port);
      assert.equal(connected, false, 'a non-blocking TCP connect is in progress');
      ep.register(cli, EPOLLOUT);
      const [[, ev]] = pollUntil(ep, (fd) => fd === cli) as [[number, number]];
      assert.ok(ev & EPOLLOUT && ev & EPOLLERR, `EPOLLOUT|EPOLLERR, got ${ev}`);
      assert.ok(ev & EPOLLHUP);
      assert.equal(getsockopt(cli, SOL_SOCKET, SO_ERROR), os.constants.errno.ECONNREFUSED);
      assert.equal(getsockopt(cli, SOL_SOCKET, SO_ERROR), 0, 'reading SO_ERROR clears it');
    } finally {
      ep.close();
      close(cli);
      close(probe);
    }
  });

  it('accept() tells each IPv4 peer apart (clients from 127.0.0.2, .1, .2, .3 in turn)', () => {
    const srv = listener('0.0.0.0');
    const ep = new Epoll();
    const opened: number[] = [];
    try {
      ep.register(srv.fd);
      for (const host of ['127.0.0.2', '127.0.0.1', '127.0.0.2', '127.0.0.3']) {
        const cli = socket('IPv4');
        opened.push(cli);
        bind(cli, host, 0);
        connect(cli, '127.0.0.1', srv.port);
        pollUntil(ep, (fd) => fd === srv.fd);
        const a = accept(srv.fd)!;
        opened.push(a.fd);
        assert.deepEqual(a, { fd: a.fd, address: host, port: localAddress(cli).port, family: 'IPv4' });
        assert.deepEqual(Object.keys(a), ['fd', 'address', 'port', 'family']);
      }
    } finally {
      ep.close();
      for (const fd of opened) close(fd);
      close(srv.fd);
    }
  });

  it('Unix stream sockets on a path and on an abstract name', () => {
    for (const name of [path.join(tmp, 'stream.sock'), `\0ioready-test-${process.pid}`]) {
      const srv = socket('unix');
      const cli = socket('unix');
      const ep = new Epoll();
      try {
        bind(srv, name);
        listen(srv, 8);
        assert.deepEqual(localAddress(srv), { address: name, port: 0, family: 'unix' });
        if (!name.startsWith('\0')) assert.ok(fs.statSync(name).isSocket());
        connect(cli, name); // true or false: either way EPOLLOUT follows
        ep.register(srv);
        pollUntil(ep, (fd) => fd === srv);
        const a = accept(srv)!;
        assert.deepEqual({ ...a, fd: 0 }, { fd: 0, address: '', port: 0, family: 'unix' }, 'an unbound client is unnamed');
        assert.equal(remoteAddress(cli).address, name);
        send(cli, Buffer.from('over unix'));
        ep.register(a.fd);
        pollUntil(ep, (fd) => fd === a.fd);
        const buf = Buffer.alloc(32);
        assert.equal(buf.toString('utf8', 0, recv(a.fd, buf)!), 'over unix');
        close(a.fd);
      } finally {
        ep.close();
        close(cli);
        close(srv);
      }
    }
    fs.unlinkSync(path.join(tmp, 'stream.sock'));
  });

  it('Unix datagram sockets: sendto a path, recvfrom tells the sender', () => {
    const rpath = path.join(tmp, 'dgram-r.sock');
    const spath = path.join(tmp, 'dgram-é.sock');
    const r = socket('unix', 'dgram');
    const s = socket('unix', 'dgram');
    const anon = socket('unix', 'dgram');
    try {
      bind(r, rpath);
      bind(s, spath);
      assert.equal(sendto(s, Buffer.from('one'), rpath), 3);
      assert.equal(sendto(anon, Buffer.from('two!'), rpath), 4);
      const buf = Buffer.alloc(16);
      assert.deepEqual(recvfrom(r, buf), { bytes: 3, address: spath, port: 0, family: 'unix' });
      assert.deepEqual(recvfrom(r, buf), { bytes: 4, address: '', port: 0, family: 'unix' });
      assert.equal(buf.toString('latin1', 0, 4), 'two!');
      assert.equal(recvfrom(r, buf), null);
      assert.throws(() => sendto(s, Buffer.from('x'), path.join(tmp, 'nobody.sock')), { code: 'ENOENT', syscall: 'sendto' });
    } finally {
      close(r);
      close(s);
      close(anon);
      fs.unlinkSync(rpath);
      fs.unlinkSync(spath);
    }
  });

  it('UDP over 127.0.0.1 and ::1: sendto/recvfrom with addresses and ports', () => {
    for (const [family, host] of [['IPv4', '127.0.0.1'], ['IPv6', '::1']] as const) {
      const r = socket(family, 'dgram');
      const s = socket(family, 'dgram');
      try {
        bind(r, host);
        bind(s, host);
        const port = localAddress(r).port;
        assert.ok(port > 0);
        assert.equal(sendto(s, Buffer.from('xhellox'), host, port, 1, 5), 5);
        const ep = new Epoll();
        ep.register(r);
        pollUntil(ep, (fd) => fd === r);
        ep.close();
        const buf = Buffer.alloc(64);
        const got = recvfrom(r, buf, 10);
        assert.deepEqual(got, { bytes: 5, address: host, port: localAddress(s).port, family });
        assert.equal(buf.toString('latin1', 10, 15), 'hello');
      } finally {
        close(r);
        close(s);
      }
    }
  });

  it('an IPv6 socket takes IPv4 literals as IPv4-mapped addresses', () => {
    const srv = listener('::');
    const cli = socket('IPv6');
    try {
      connect(cli, '127.0.0.1', srv.port);
      assert.equal(remoteAddress(cli).address, '::ffff:127.0.0.1');
      const r = socket('IPv6', 'dgram');
      connect(r, '0:0:0:0:0:0:0:1', 9); // a UDP connect sends nothing
      assert.deepEqual(remoteAddress(r), { address: '::1', port: 9, family: 'IPv6' });
      connect(r, '::ffff:127.0.0.2', 9);
      assert.equal(remoteAddress(r).address, '::ffff:127.0.0.2');
      close(r);
    } finally {
      close(cli);
      close(srv.fd);
    }
  });

  it('IP literals round-trip: any IPv6 text is read, and written back as Node and inet_ntop write it', () => {
    // FREEBIND lets a socket bind an address this machine does not have: no packet is sent.
    const IP_FREEBIND = 15;
    const IPV6_FREEBIND = 78;
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), (gs, padded) => {
        if ((gs[0]! & 0xffc0) === 0xfe80 || gs[0]! >= 0xff00) gs[0] = 0x2001; // link-local and multicast scopes need a scope id
        if (gs.slice(0, 6).every((g) => g === 0) && gs[6]! + gs[7]! > 1) gs[5] = 0xffff; // the kernel refuses ::a.b.c.d
        let literal = gs.map((g) => g.toString(16).padStart(padded ? 4 : 1, '0')).join(':');
        if (padded) literal = literal.toUpperCase();
        const canonical = new net.SocketAddress({ address: literal, family: 'ipv6' }).address;
        const fd = socket('IPv6', 'dgram');
        try {
          setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, true);
          bind(fd, literal, 0);
          assert.equal(localAddress(fd).address, canonical, literal);
        } finally {
          close(fd);
        }
        const again = socket('IPv6', 'dgram');
        try {
          setsockopt(again, IPPROTO_IPV6, IPV6_FREEBIND, true);
          bind(again, canonical, 0); // the compressed form parses to the same address
          assert.equal(localAddress(again).address, canonical);
        } finally {
          close(again);
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 65535 }), (octets, port) => {
        const literal = octets.join('.');
        const fd = socket('IPv4', 'dgram');
        try {
          setsockopt(fd, IPPROTO_IP, IP_FREEBIND, true);
          setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, true);
          try {
            bind(fd, literal, port);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EACCES') return; // taken, or a privileged port
            throw err;
          }
          assert.deepEqual(localAddress(fd), { address: literal, port, family: 'IPv4' });
        } finally {
          close(fd);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('socket options: SO_REUSEADDR, SO_REUSEPORT, TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF, SO_LINGER', () => {
    const fd = socket('IPv4');
    try {
      for (const [level, opt] of [[SOL_SOCKET, SO_REUSEADDR], [SOL_SOCKET, SO_REUSEPORT], [IPPROTO_TCP, TCP_NODELAY], [SOL_SOCKET, SO_KEEPALIVE]] as const) {
        assert.equal(getsockopt(fd, level, opt), 0);
        setsockopt(fd, level, opt, true);
        assert.equal(getsockopt(fd, level, opt), 1);
        setsockopt(fd, level, opt, 0);
        assert.equal(getsockopt(fd, level, opt), 0);
      }
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 65536);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 131072, 'Linux doubles the value for bookkeeping');
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), -1);
      setsockopt(fd, SOL_SOCKET, SO_LINGER, 7);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), 7);
      setsockopt(fd, SOL_SOCKET, SO_LINGER, false);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), -1);
      assert.throws(() => setsockopt(fd, SOL_SOCKET, 9999, 1), { code: 'ENOPROTOOPT', syscall: 'setsockopt' });
      assert.throws(() => getsockopt(fd, 9999, 1), { syscall: 'getsockopt' });
      assert.throws(() => setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1.5), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, '1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      close(fd);
    }
  });

  it('SO_REUSEPORT lets two listeners share a port; without it the second is EADDRINUSE', () => {
    const a = socket('IPv4');
    const b = socket('IPv4');
    const c = socket('IPv4');
    try {
      setsockopt(a, SOL_SOCKET, SO_REUSEPORT, true);
      setsockopt(b, SOL_SOCKET, SO_REUSEPORT, true);
      bind(a, '127.0.0.1', 0);
      listen(a);
      const port = localAddress(a).port;
      bind(b, '127.0.0.1', port);
      listen(b);
      assert.throws(() => bind(c, '127.0.0.1', port), { code: 'EADDRINUSE', syscall: 'bind', message: /^EADDRINUSE: address already in use, bind$/ });
    } finally {
      close(a);
      close(b);
      close(c);
    }
  });

  it('talks to a Node net server as a real peer', async () => {
    const server = net.createServer((s) => s.on('data', (d) => s.end(Buffer.concat([Buffer.from('node:'), d]))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const cli = socket('IPv4');
    const ep = new Epoll();
    try {
      connect(cli, '127.0.0.1', port);
      ep.register(cli, EPOLLOUT);
      const out: Buffer[] = [];
      const buf = Buffer.alloc(256);
      await new Promise<void>((resolve, reject) => {
        ep.start((fd, ev) => {
          try {
            if (ev & EPOLLOUT) {
              assert.equal(getsockopt(cli, SOL_SOCKET, SO_ERROR), 0);
              send(cli, Buffer.from('hi'));
              ep.modify(cli, EPOLLIN);
              return;
            }
            const n = recv(fd, buf);
            if (n === 0) resolve();
            else if (n !== null) out.push(Buffer.from(buf.subarray(0, n)));
          } catch (err) {
            reject(err);
          }
        });
      });
      assert.equal(Buffer.concat(out).toString(), 'node:hi');
    } finally {
      ep.close();
      close(cli);
      await new Promise((r) => server.close(r)); // after its connection is gone, so no fd outlives the test
    }
  });

  it("families as Node's net writes them: 'IPv4', 'IPv6', 'unix' out; names in any case, 4, 6 and AF_* in", async () => {
    // Out: what Node's own net says for the same endpoints.
    for (const host of ['127.0.0.1', '::1']) {
      const server = net.createServer();
      server.listen(0, host);
      await once(server, 'listening');
      const nodeAddr = server.address() as net.AddressInfo;
      const seen = once(server, 'connection');
      const cli = socket(nodeAddr.family as 'IPv4' | 'IPv6');
      try {
        connect(cli, host, nodeAddr.port);
        const [conn] = (await seen) as [net.Socket];
        assert.equal(remoteAddress(cli).family, nodeAddr.family);
        assert.equal(localAddress(cli).family, conn.remoteFamily);
        assert.deepEqual(remoteAddress(cli), { address: host, port: nodeAddr.port, family: nodeAddr.family });
        conn.destroy();
      } finally {
        close(cli);
        await new Promise((r) => server.close(r));
      }
    }
    // In: every spelling of a family makes a socket of that family (SO_DOMAIN).
    // Any case is taken at run time; the type lists the spellings to write.
    const spellings: Array<[number, Array<string | number>]> = [
      [AF_INET, ['IPv4', 'ipv4', 'IPV4', 4, AF_INET]],
      [AF_INET6, ['IPv6', 'ipv6', 'IPV6', 6, AF_INET6]],
      [AF_UNIX, ['unix', 'Unix', 'UNIX', AF_UNIX]],
    ];
    for (const [af, names] of spellings) {
      for (const name of names) {
        const fd = socket(name as Parameters<typeof socket>[0]);
        try {
          assert.equal(getsockopt(fd, SOL_SOCKET, SO_DOMAIN), af, String(name));
          assert.equal(localAddress(fd).family, af === AF_INET ? 'IPv4' : af === AF_INET6 ? 'IPv6' : 'unix', String(name));
        } finally {
          close(fd);
        }
      }
    }
    for (const bad of ['inet', 'IPv5', 'constructor', 'toString', '']) {
      assert.throws(() => socket(bad as 'IPv4'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
    }
    for (const bad of [4.5, NaN, Infinity, -Infinity, null, {}]) {
      assert.throws(() => socket(bad as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, String(bad));
    }
    assert.throws(() => socket(-1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => socket(0x10000), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    for (const bad of ['constructor', 'toString', 'STREAM']) {
      assert.throws(() => socket('IPv4', bad as 'stream'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
    }
  });

  it('talks to a Python socket server as a real peer', { timeout: 20000 }, async (t) => {
    const py = [
      'import socket,sys',
      's=socket.socket(socket.AF_INET6); s.bind(("::1",0)); s.listen()',
      'print(s.getsockname()[1], flush=True)',
      'c,a=s.accept(); d=b""',
      'while not d.endswith(b"\\n"): d+=c.recv(100)',
      'c.sendall(b"py:"+d.upper()); c.close()',
    ].join('\n');
    const child = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = once(child, 'close').catch(() => undefined); // once() rejects on 'error' (no python3)
    const spawned = await Promise.race([once(child, 'spawn').then(() => true), once(child, 'error').then(() => false)]);
    if (!spawned) return t.skip('python3 is not installed');
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const cli = socket('IPv6');
    const ep = new Epoll();
    try {
      connect(cli, '::1', port);
      ep.register(cli, EPOLLOUT);
      pollUntil(ep, (fd, ev) => fd === cli && (ev & EPOLLOUT) !== 0);
      assert.equal(send(cli, Buffer.from('hello\n')), 6);
      ep.modify(cli, EPOLLIN);
      const out: Buffer[] = [];
      const buf = Buffer.alloc(64);
      for (let n: number | null = -1; n !== 0; ) {
        ep.poll(5000);
        n = recv(cli, buf);
        if (n) out.push(Buffer.from(buf.subarray(0, n)));
      }
      assert.equal(Buffer.concat(out).toString(), 'py:HELLO\n');
    } finally {
      ep.close();
      close(cli);
      child.kill(); // no-op if it exited
      await closed; // its pipes are closed too
    }
  });

  it('many sockets ready at once: each fd comes back with its own events through poll(), wait() and start()', async () => {
    // struct epoll_event is packed (12 bytes) on x86-64 and 16 bytes on arm: a copy out
    // of the kernel's array with the wrong stride or offset pairs an fd with another's
    // events, or invents fds. Five kinds of readiness, cycling, so any shift shows.
    const ep = new Epoll();
    const pairs: Array<[number, number]> = [];
    const expected = new Map<number, number>();
    try {
      for (let i = 0; i < 60; i++) {
        const [a, b] = socketpair();
        pairs.push([a, b]);
        switch (i % 5) {
          case 0: // readable
            ep.register(a, EPOLLIN);
            send(b, Buffer.from('x'));
            expected.set(a, EPOLLIN);
            break;
          case 1: // writable
            ep.register(a, EPOLLOUT);
            expected.set(a, EPOLLOUT);
            break;
          case 2: // both
            ep.register(a, EPOLLIN | EPOLLOUT);
            send(b, Buffer.from('x'));
            expected.set(a, EPOLLIN | EPOLLOUT);
            break;
          case 3: // registered, not ready: never reported
            ep.register(a, EPOLLIN);
            break;
          case 4: // the peer shut its writing side
            ep.register(a, EPOLLIN | EPOLLRDHUP);
            shutdown(b, 'write');
            expected.set(a, EPOLLIN | EPOLLRDHUP);
            break;
        }
      }
      const want = [...expected].sort((x, y) => x[0] - y[0]);
      const sorted = (evs: Array<[number, number]>): Array<[number, number]> => [...evs].sort((x, y) => x[0] - y[0]);
      assert.deepEqual(sorted(ep.poll(0)), want, 'poll()');
      assert.deepEqual(sorted(await ep.wait(5000)), want, 'wait()');
      const seen = new Map<number, number>();
      await new Promise<void>((resolve, reject) => {
        ep.start((fd, events) => {
          if (expected.get(fd) !== events) reject(new Error(`start(): fd ${fd} with events ${events}, expected ${expected.get(fd)}`));
          seen.set(fd, events);
          if (seen.size === expected.size) resolve();
        });
      });
      ep.stop();
      assert.deepEqual(sorted([...seen]), want, 'start()');
    } finally {
      ep.close();
      for (const [a, b] of pairs) {
        close(a);
        close(b);
      }
    }
  });

  it('socket options keep their C layout: struct linger (on, seconds) and int options, at values past 16 bits', () => {
    // struct linger is two ints on every Linux arch; an int option is 4 bytes even where
    // long is 8. A value read from the wrong slot or width would not round-trip.
    const fd = socket('ipv4');
    try {
      setsockopt(fd, SOL_SOCKET, SO_LINGER, 0);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), 0, 'on, 0 s (close resets) is not off');
      setsockopt(fd, SOL_SOCKET, SO_LINGER, 100000);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), 100000);
      setsockopt(fd, SOL_SOCKET, SO_LINGER, -1);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_LINGER), -1);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 0x12345);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 2 * 0x12345, 'doubled, below the default rmem_max');
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4096);
      assert.equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 8192);
    } finally {
      close(fd);
    }
  });

  describe('misuse', () => {
    it('rejects addresses that are not literals for the socket family', () => {
      const v4 = socket('IPv4');
      const v6 = socket('IPv6');
      const ux = socket('unix');
      try {
        for (const bad of ['localhost', '1.2.3', '256.1.1.1', '::1', '', ' 127.0.0.1', '/tmp/x']) {
          assert.throws(() => bind(v4, bad, 0), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
          assert.throws(() => connect(v4, bad, 80), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
        }
        for (const bad of ['::g', 'localhost', '1:2:3:4:5:6:7:8:9', ':::1', '::1%no-such-if0']) {
          assert.throws(() => bind(v6, bad, 0), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
        }
        assert.throws(() => bind(v4, 127 as unknown as string, 0), { code: 'ERR_INVALID_ARG_TYPE' });
        assert.throws(() => bind(ux, 'a\0b'), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => bind(ux, `/tmp/${'x'.repeat(200)}`), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => bind(ux, path.join(tmp, 'p.sock'), 80), { code: 'ERR_INVALID_ARG_VALUE' }, 'no port for Unix sockets');
        assert.throws(() => socket('ipx' as 'IPv4'), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => socket('IPv4', 'raw' as 'stream'), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => socket(-1), { code: 'ERR_OUT_OF_RANGE' });
        assert.throws(() => socket(12345), { code: 'EAFNOSUPPORT', syscall: 'socket' });
        assert.throws(() => shutdown(v4, 'sideways' as 'read'), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => shutdown(v4, 'constructor' as 'read'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => shutdown(v4, 'both'), { code: 'ENOTCONN', syscall: 'shutdown' });
      } finally {
        close(v4);
        close(v6);
        close(ux);
      }
    });

    it('rejects ports outside 0-65535 and non-integer ports', () => {
      const fd = socket('IPv4');
      try {
        for (const port of [-1, 65536, 1e10]) {
          assert.throws(() => bind(fd, '127.0.0.1', port), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, String(port));
          assert.throws(() => connect(fd, '127.0.0.1', port), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
          assert.throws(() => sendto(fd, Buffer.alloc(1), '127.0.0.1', port), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        }
        for (const port of [1.5, NaN, Infinity, -Infinity, '80']) {
          assert.throws(() => bind(fd, '127.0.0.1', port as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, String(port));
        }
        assert.throws(() => connect(fd, '127.0.0.1'), { code: 'ERR_INVALID_ARG_TYPE' }, 'connect needs a port');
        assert.throws(() => listen(fd, -1), { code: 'ERR_OUT_OF_RANGE' });
      } finally {
        close(fd);
      }
    });

    it('closed fds and non-sockets fail as the kernel says, naming the call', () => {
      const fd = socket('IPv4');
      close(fd);
      const buf = Buffer.alloc(4);
      assert.throws(() => bind(fd, '127.0.0.1', 0), { code: 'EBADF', syscall: 'bind' });
      assert.throws(() => connect(fd, '127.0.0.1', 1), { code: 'EBADF', syscall: 'connect' });
      assert.throws(() => listen(fd), { code: 'EBADF', syscall: 'listen' });
      assert.throws(() => accept(fd), { code: 'EBADF', syscall: 'accept4' });
      assert.throws(() => recv(fd, buf), { code: 'EBADF', syscall: 'recv' });
      assert.throws(() => send(fd, buf), { code: 'EBADF', syscall: 'send' });
      assert.throws(() => recvfrom(fd, buf), { code: 'EBADF', syscall: 'recvfrom' });
      assert.throws(() => sendto(fd, buf, '127.0.0.1', 1), { code: 'EBADF', syscall: 'sendto' });
      assert.throws(() => shutdown(fd, 'both'), { code: 'EBADF', syscall: 'shutdown' });
      assert.throws(() => setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1), { code: 'EBADF', syscall: 'setsockopt' });
      assert.throws(() => getsockopt(fd, SOL_SOCKET, SO_ERROR), { code: 'EBADF', syscall: 'getsockopt' });
      assert.throws(() => localAddress(fd), { code: 'EBADF', syscall: 'getsockname' });
      assert.throws(() => remoteAddress(fd), { code: 'EBADF', syscall: 'getpeername' });
      // Not a socket at all: a regular file.
      const file = fs.openSync(__filename, 'r');
      try {
        assert.throws(() => bind(file, '127.0.0.1', 0), { code: 'ENOTSOCK', syscall: 'bind' });
        assert.throws(() => recv(file, buf), { code: 'ENOTSOCK', syscall: 'recv' });
      } finally {
        fs.closeSync(file);
      }
      assert.throws(() => recv(-1, buf), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => recv(fd, 'abc' as unknown as Buffer), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => recv(fd, buf, 2, 3), { code: 'ERR_OUT_OF_RANGE' });
    });

    it('a socket of another family (netlink) is refused with EAFNOSUPPORT where an address is needed', () => {
      const AF_NETLINK = 16; // Linux; NETLINK_ROUTE (0) over SOCK_RAW (3) needs no privilege
      const fd = socket(AF_NETLINK, 3);
      try {
        assert.throws(() => bind(fd, '127.0.0.1', 0), { code: 'EAFNOSUPPORT', syscall: 'bind' });
        assert.throws(() => sendto(fd, Buffer.alloc(1), 'x'), { code: 'EAFNOSUPPORT', syscall: 'sendto' });
        assert.throws(() => localAddress(fd), { code: 'EAFNOSUPPORT', syscall: 'getsockname' });
      } finally {
        close(fd);
      }
    });

    it('MSG_DONTWAIT makes one recv on a blocking socket return null instead of waiting', () => {
      const [a, b] = [socket('unix', 'dgram', { nonblock: false }), socket('unix', 'dgram')];
      try {
        bind(a, '');
        const name = localAddress(a).address;
        assert.match(name, /^\0/, "'' autobinds to an abstract name");
        assert.equal(recv(a, Buffer.alloc(4), 0, 4, MSG_DONTWAIT), null);
        sendto(b, Buffer.from('ok'), name);
        assert.equal(recv(a, Buffer.alloc(4), 0, 4, MSG_DONTWAIT), 2);
      } finally {
        close(a);
        close(b);
      }
    });

    it('listen on a datagram socket and accept on an unlistening one fail with the kernel error', () => {
      const d = socket('IPv4', 'dgram');
      const s = socket('IPv4');
      try {
        assert.throws(() => listen(d), { code: 'ENOTSUP', syscall: 'listen' }); // EOPNOTSUPP, 95: Node names it ENOTSUP
        assert.throws(() => accept(s), { code: 'EINVAL', syscall: 'accept4' });
        assert.throws(() => remoteAddress(s), { code: 'ENOTCONN', syscall: 'getpeername' });
      } finally {
        close(d);
        close(s);
      }
    });
  });
});
