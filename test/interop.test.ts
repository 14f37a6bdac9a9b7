// fds from elsewhere in Node (fs.openSync, child_process, net) with the toolkit and Epoll.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  accept, bind, close, connect, Epoll, EPOLLHUP, EPOLLIN, EPOLLOUT, listen, localAddress, pipe, read, recv, socket,
} from '../src/index';
import { fdSnapshot } from './helpers';


const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_NOCTTY } = fs.constants;

describe('interop with fds Node made', () => {
  let dir = '';
  let leaks: () => string[] = () => [];
  before(async () => {
    leaks = await fdSnapshot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-interop-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leaks(), [], 'every fd the tests opened is closed');
  });

  it('a FIFO opened with fs.openSync(O_RDONLY | O_NONBLOCK) is watched by Epoll', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = fs.openSync(fifo, O_RDONLY | O_NONBLOCK); // a non-blocking open does not wait for a writer
    const ep = new Epoll();
    let w = -1;
    try {
      ep.register(r, EPOLLIN);
      assert.deepEqual(ep.poll(0), [], 'no writer has come yet: nothing to report');
      w = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
      assert.deepEqual(ep.poll(0), [], 'a writer with nothing written');
      fs.writeSync(w, 'through the fifo');
      assert.deepEqual(ep.poll(1000), [[r, EPOLLIN]]);
      const buf = Buffer.alloc(64);
      assert.equal(buf.toString('utf8', 0, read(r, buf)!), 'through the fifo');
      assert.equal(read(r, buf), null, 'drained, the writer still open: EAGAIN');
      fs.closeSync(w);
      w = -1;
      assert.deepEqual(ep.poll(1000), [[r, EPOLLHUP]], 'the last writer closed');
      assert.equal(read(r, buf), 0);
      ep.unregister(r);
    } finally {
      ep.close();
      if (w >= 0) fs.closeSync(w);
      fs.closeSync(r);
    }
  });

  it('a regular file from fs.openSync is refused by epoll with EPERM', () => {
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'x');
    const fd = fs.openSync(file, 'r');
    const ep = new Epoll();
    try {
      assert.throws(() => ep.register(fd, EPOLLIN), { code: 'EPERM', syscall: 'epoll_ctl' });
    } finally {
      ep.close();
      fs.closeSync(fd);
    }
  });

  it('a character device (a pseudo-terminal master, /dev/ptmx) is watched by Epoll', (t) => {
    if (!fs.existsSync('/dev/ptmx')) return t.skip('no /dev/ptmx');
    let fd: number;
    try {
      fd = fs.openSync('/dev/ptmx', O_RDWR | O_NOCTTY | O_NONBLOCK);
    } catch (err) {
      return t.skip(`cannot open /dev/ptmx: ${(err as Error).message}`);
    }
    const ep = new Epoll();
    try {
      ep.register(fd, EPOLLOUT);
      const evs = ep.poll(1000);
      assert.equal(evs.length, 1);
      assert.ok(evs[0]![1] & EPOLLOUT, 'a fresh pty master can take input');
    } finally {
      ep.close();
      fs.closeSync(fd);
    }
  });

  it('a toolkit pipe as a child process stdout, read through Epoll', async () => {
    const [r, w] = pipe();
    const ep = new Epoll();
    try {
      const child = spawn('sh', ['-c', 'printf "from the child"'], { stdio: ['ignore', w, 'inherit'] });
      close(w); // the child has its own copy: EOF comes when it exits
      const closed = once(child, 'close');
      ep.register(r, EPOLLIN);
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(256);
      await new Promise<void>((resolve, reject) => {
        ep.start(() => {
          try {
            const n = read(r, buf);
            if (n === 0) resolve();
            else if (n !== null) chunks.push(Buffer.from(buf.subarray(0, n)));
          } catch (err) {
            reject(err);
          }
        });
      });
      assert.equal(Buffer.concat(chunks).toString(), 'from the child');
      await closed;
    } finally {
      ep.close();
      close(r);
    }
  });

  it('a toolkit-accepted connection handed to net.Socket({ fd }): libuv owns it from then on', async () => {
    const srv = socket('IPv4');
    bind(srv, '127.0.0.1', 0);
    listen(srv);
    const port = localAddress(srv).port;
    const ep = new Epoll();
    const client = net.connect(port, '127.0.0.1');
    try {
      ep.register(srv, EPOLLIN);
      const [[fd]] = (await ep.wait(5000)) as [[number, number]];
      assert.equal(fd, srv);
      const conn = accept(srv)!;
      // Not registered with our Epoll: one fd, one watcher (see README "File-descriptor toolkit").
      const wrapped = new net.Socket({ fd: conn.fd, readable: true, writable: true });
      client.write('hello node');
      const [data] = (await once(wrapped, 'data')) as [Buffer];
      assert.equal(data.toString(), 'hello node');
      wrapped.end('bye');
      const [reply] = (await once(client, 'data')) as [Buffer];
      assert.equal(reply.toString(), 'bye');
      await once(wrapped, 'close'); // Node closed conn.fd
    } finally {
      client.destroy();
      ep.close();
      close(srv);
    }
  });

  it('a toolkit socket as the client of a Node net server: each side owns its own fd', async () => {
    const server = net.createServer((s) => s.end('served by node'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fd = socket('IPv4');
    const ep = new Epoll();
    try {
      connect(fd, '127.0.0.1', (server.address() as net.AddressInfo).port);
      ep.register(fd, EPOLLIN);
      const out: Buffer[] = [];
      const buf = Buffer.alloc(64);
      for (let n: number | null = -1; n !== 0; ) {
        await ep.wait(5000);
        n = recv(fd, buf);
        if (n) out.push(Buffer.from(buf.subarray(0, n)));
      }
      assert.equal(Buffer.concat(out).toString(), 'served by node');
    } finally {
      ep.close();
      close(fd);
      await new Promise((r) => server.close(r));
    }
  });
});
