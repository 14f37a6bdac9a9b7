// `ioready serve` with real clients: Node's net, Python's socket, telnet in
// tmux; bytes compared exactly; error exits; signals; EMFILE; workers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  close, connect as connectFd, Epoll, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, localAddress, pipe, remoteAddress, send, socket, socketpair,
} from '../src/index';
import {
  Proc, connect, hasCommand, pseudoRandomBytes, runCli, sendAll, sq, startServe, tmux, NODE_TSX, MAIN,
} from './cli-helpers';
import { ROOT, TSX, hasPython, tcpState, until } from './helpers';
import { TerminalEscaper } from '../src/cli/escape';

const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - ioready\.serve(\.w\d+)? - (DEBUG|INFO|WARNING|ERROR) - \S/;

/** Count of 'closed (...)' log lines. */
const closedCount = (p: Proc): number => (p.stderr.match(/ closed \(/g) ?? []).length;

/** Count of the 'Connection (fd) from ...' lines of accepted connections. */
const acceptedCount = (p: Proc): number => (p.stderr.match(/INFO - Connection \(\d+\) from \S+\n/g) ?? []).length;

/**
 * A client on ioready's own calls that sends `data` as fast as the kernel takes it, so
 * that what the kernel took is known exactly; `readByServer()` is what `serve` has read
 * of it so far, from the kernel's view: what the client's kernel took, less what still
 * sits in the client's send queue and in the server's receive queue (/proc/net/tcp).
 */
function rawSender(port: number, data: Buffer): { readByServer(): number; blocked(): boolean; close(): void } {
  const fd = socket('ipv4');
  const ep = new Epoll();
  let sent = 0;
  connectFd(fd, '127.0.0.1', port);
  ep.register(fd, EPOLLOUT);
  ep.start(() => {
    try {
      for (let n: number | null = 0; sent < data.length && n !== null; sent += n ?? 0) n = send(fd, data, sent);
    } catch {
      sent = data.length; // the server went away: nothing more to send
    }
    if (sent === data.length) ep.stop();
  });
  return {
    readByServer: () => {
      const client = localAddress(fd);
      const server = remoteAddress(fd);
      return sent - tcpState(client, server).tx - tcpState(server, client).rx;
    },
    // The server's receive window is zero with data left to send: the client's kernel
    // probes it (persist state). A server that reads keeps its window open.
    blocked: () => sent < data.length && tcpState(localAddress(fd), remoteAddress(fd)).timer === 4,
    close: () => {
      ep.close();
      close(fd);
    },
  };
}

/** Pacing for a client that is slow on purpose (what it simulates, not a wait for anything). */
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `ioready serve --port 0 ...args` sharing the port with EPOLLEXCLUSIVE, through bench/serve/ioready-exclusive.js. */
async function startExclusive(args: string[]): Promise<[Proc, number]> {
  const p = new Proc(['src/cli/serve/serve.ts', '--port', '0', ...args], { script: 'bench/serve/ioready-exclusive.js' });
  try {
    return [p, await p.port()];
  } catch (err) {
    p.kill('SIGKILL');
    throw err;
  }
}

describe('ioready serve: command line', { concurrency: true }, () => {
  test('--help and --version print to stdout and exit 0', async () => {
    const [help, serveHelp, version] = await Promise.all([runCli(['--help']), runCli(['serve', '--help']), runCli(['--version'])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: ioready <command>/);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /watch PATH/);
    assert.equal(serveHelp.code, 0);
    for (const opt of ['-H, --host', '-p, --port', '--backlog', '--max-connections', '-w, --workers', '--raw', '--log-level', '-h, --help']) {
      assert.ok(serveHelp.stdout.includes(opt), opt);
    }
    // The help's link is a file that exists: the README shipped with the package.
    const doc = /Documentation: the README,\n(\S+)\n/.exec(help.stdout)?.[1];
    assert.ok(doc !== undefined, help.stdout);
    assert.equal(doc, path.join(ROOT, 'README.md'));
    assert.ok(fs.statSync(doc).isFile());
    assert.doesNotMatch(help.stdout, /https?:/, 'no web page: the package has none yet');
    assert.equal(version.code, 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout, `${pkg.version}\n`);
    for (const r of [help, serveHelp, version]) assert.equal(r.stderr, '');
  });

  test('every bad command line, port in use, bad host: one line on stderr, no stack, non-zero exit', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as net.AddressInfo).port;
    const cases: Array<[string[], number, RegExp]> = [
      [['serve', '--port', 'abc'], 2, /^ioready serve: --port must be an integer from 0 to 65535, not 'abc' \(see 'ioready serve --help'\)\n$/],
      [['serve', '--port', '65536'], 2, /^ioready serve: --port is out of range: it must be from 0 to 65535, not '65536'/],
      [['serve', '--port=-1'], 2, /^ioready serve: --port is out of range: it must be from 0 to 65535, not '-1'/],
      [['serve', '--port', '-1'], 2, /^ioready serve: --port is out of range: it must be from 0 to 65535, not '-1'/],
      [['serve', '-p', '-1'], 2, /^ioready serve: --port is out of range: it must be from 0 to 65535, not '-1'/],
      [['serve', '-p-1'], 2, /^ioready serve: --port is out of range/],
      [['serve', '-p', '-0.5'], 2, /^ioready serve: --port must be an integer from 0 to 65535, not '-0.5'/],
      [['serve', '--port', '80.5'], 2, /--port must be an integer/],
      [['serve', '--port'], 2, /^ioready serve: option '--port' needs a value/],
      [['serve', '-p'], 2, /^ioready serve: option '-p' needs a value/],
      [['serve', '--port', '--raw'], 2, /^ioready serve: option '--port' needs a value/],
      [['serve', '-H', 'example.com'], 2, /^ioready serve: --host must be an IP address .*not 'example.com'/],
      [['serve', '--backlog', '-5'], 2, /^ioready serve: --backlog is out of range: it must be from 1 to 2147483647, not '-5'/],
      [['serve', '-w', '0'], 2, /^ioready serve: --workers is out of range: it must be from 1 to 256, not '0'/],
      [['serve', '--log-level', 'toString'], 2, /--log-level must be debug, info, warning or error, not 'toString'/],
      [['serve', '--host', 'example.com'], 2, /^ioready serve: --host must be an IP address .*not 'example.com'/],
      [['serve', '--host', '999.1.1.1'], 2, /--host must be an IP address/],
      [['serve', '--bogus'], 2, /^ioready serve: unknown option '--bogus'/],
      [['serve', '-x'], 2, /^ioready serve: unknown option '-x'/],
      [['serve', '--raw=yes'], 2, /option '--raw' takes no value/],
      [['serve', 'extra'], 2, /unexpected argument 'extra'/],
      [['serve', '--log-level', 'loud'], 2, /--log-level must be debug, info, warning or error, not 'loud'/],
      [['serve', '--workers', '0'], 2, /--workers is out of range: it must be from 1 to 256, not '0'/],
      [['serve', '--backlog', 'x'], 2, /--backlog must be an integer/],
      [['serve', '--max-connections', '0'], 2, /--max-connections is out of range: it must be from 1/],
      [['frobnicate'], 2, /^ioready: unknown command 'frobnicate'/],
      [['--frob'], 2, /^ioready: unknown option '--frob'/],
      [['serve', '--port', String(busyPort)], 1, new RegExp(`^ioready serve: cannot listen on 127.0.0.1:${busyPort}: address already in use \\(EADDRINUSE\\)\n`)],
      [['serve', '--port', String(busyPort), '--workers', '2'], 1, /address already in use \(EADDRINUSE\)\n/],
      [['serve', '-H', '127.0.0.1', '-p', String(busyPort), '-w', '2'], 1, new RegExp(`^ioready serve: cannot listen on 127.0.0.1:${busyPort}: address already in use`)],
      [['serve', '--host', '192.0.2.1'], 1, /^ioready serve: cannot listen on 192.0.2.1:9999: no such address on this machine \(EADDRNOTAVAIL\)\n/],
    ];
    try {
      const results = await Promise.all(cases.map(([args]) => runCli(args)));
      results.forEach((r, i) => {
        const [args, code, re] = cases[i]!;
        const what = `ioready ${args.join(' ')}: ${r.stderr}`;
        assert.equal(r.code, code, what);
        assert.equal(r.stdout, '', what);
        assert.equal(r.stderr.split('\n').length, 2, `one line: ${what}`);
        assert.ok((r.stderr.match(/\(see /g) ?? []).length <= 1, `one '(see ...)' at most: ${what}`);
        assert.match(r.stderr, re, what);
        assert.doesNotMatch(r.stderr, /^\s+at /m, what);
      });
    } finally {
      busy.close();
    }
  });

  test('no command: the usage on stderr, exit 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: ioready/);
  });

  const unprivStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  const canDrop = process.getuid?.() === 0 && hasCommand('runuser') && unprivStart > 80;
  test('permission denied: port 80 as nobody', { skip: !canDrop && 'needs root, runuser and a privileged port 80' }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, ...TSX, MAIN, 'serve', '--port', '80'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HOME: os.tmpdir() },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `ioready serve: cannot listen on 127.0.0.1:80: permission denied (EACCES): ports below ${unprivStart} need root or CAP_NET_BIND_SERVICE\n`,
    );
  });
});

describe('ioready serve: clients', () => {
  test('Node and Python clients: every byte value, exactly, on a stdout pipe; logs in the seed format', async () => {
    const [p, port] = await startServe([]);
    try {
      const all = Buffer.alloc(256 * 64);
      for (let i = 0; i < all.length; i++) all[i] = i & 255;
      const big = pseudoRandomBytes(1 << 20, 7);
      await sendAll(port, all);
      await sendAll(port, big);
      let expected = Buffer.concat([all, big]);
      if (hasPython) {
        const py = spawnSync('python3', ['-c', `
import socket
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(bytes(range(256)) * 3 + b'python\\r\\n')
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
`]);
        assert.equal(py.status, 0, py.stderr.toString());
        expected = Buffer.concat([expected, Buffer.from([...Array(3)].flatMap(() => [...Array(256).keys()])), Buffer.from('python\r\n')]);
      }
      await p.waitOut(expected.length);
      p.kill('SIGINT');
      const { code } = await p.exited;
      assert.equal(code, 0);
      assert.ok(p.out.equals(expected), `stdout differs (${p.out.length} vs ${expected.length} bytes)`);
      // The seed's format: a line per event with the flag names, and per connection.
      const lines = p.stderr.trimEnd().split('\n');
      for (const line of lines) assert.match(line, LOG_LINE);
      assert.match(p.stderr, /- ioready\.serve - DEBUG - Received \(\d+\): \['EPOLLIN'\]\n/);
      assert.match(p.stderr, /- DEBUG - Received \(\d+\): \['EPOLLIN', 'EPOLLRDHUP'\]\n/);
      assert.match(p.stderr, /- INFO - Connection \(\d+\) from 127\.0\.0\.1:\d+\n/);
      assert.match(p.stderr, new RegExp(`- INFO - Connection \\(\\d+\\) from 127\\.0\\.0\\.1:\\d+ closed \\(EOF\\) after ${big.length} bytes\\n`));
      assert.match(p.stderr, /- INFO - SIGINT: no longer accepting; flushing and closing\n/);
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('asctime is local time (TZ) with milliseconds, as Python logging', async () => {
    const [p] = await startServe(['--log-level', 'info'], { env: { ...process.env, TZ: 'Asia/Kolkata' } });
    p.kill('SIGTERM');
    await p.exited;
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) - ioready\.serve - INFO - Listening/.exec(p.stderr);
    assert.ok(m, p.stderr);
    // UTC+05:30: the logged wall-clock time minus 5.5 h is within a minute of now.
    const logged = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) - 5.5 * 3600e3;
    assert.ok(Math.abs(logged - Date.now()) < 60e3, `${m[0]} vs ${new Date().toISOString()}`);
    assert.doesNotMatch(p.stderr, /DEBUG/); // --log-level info
  });

  test('1,000 concurrent clients, nothing lost; awkward clients; fds back to baseline', async () => {
    const [p, port] = await startServe(['--log-level', 'info', '--backlog', '2048'], { ulimit: 4096 });
    try {
      const baseline = new Set(p.fds()); // its sockets: the listener, the stdio pipes, tsx's
      const lines = Array.from({ length: 1000 }, (_, i) => `client ${i} ${pseudoRandomBytes(24, i + 1).toString('hex')}\n`);

      // A client that sends nothing, one that hangs up mid-send (RST), one
      // that sends a byte every 100 ms, alongside the thousand.
      const silent = await connect(port);
      const slow = await connect(port);
      const slowBytes = 'slowly!!';
      const slowDone = (async () => {
        for (const ch of slowBytes) {
          slow.write(ch);
          await pause(100);
        }
        slow.end();
      })();
      const rude = await connect(port);
      rude.write(Buffer.alloc(100000, 'r'));
      await p.until(() => acceptedCount(p) === 3, 'the rude client accepted'); // then it resets, mid-send
      rude.resetAndDestroy();

      await Promise.all(lines.map((line) => sendAll(port, line)));
      await slowDone;
      silent.end();
      await p.until(() => closedCount(p) === 1003, '1003 connections closed', 60000);
      // stdout comes through its own pipe: it may lag the logs.
      const lineCount = (): number => (p.out.toString('latin1').match(/client \d+ [0-9a-f]{48}\n/g) ?? []).length;
      await p.until(() => lineCount() === 1000, 'the 1000 lines on stdout');

      const out = p.out.toString('latin1');
      // The slow client's bytes come whole and in order, whatever came in between
      // (its bytes were read one at a time: pick them out by elimination).
      const rest = out.replace(/client \d+ [0-9a-f]{48}\n/g, '').replace(/r/g, '');
      assert.equal(rest, slowBytes);
      const got = out.match(/client \d+ [0-9a-f]{48}\n/g) ?? [];
      assert.equal(got.length, 1000);
      assert.deepEqual([...got].sort(), [...lines].sort());
      assert.match(p.stderr, /closed \((ECONNRESET|EOF)\) after \d+ bytes/);
      assert.match(p.stderr, /closed \(EOF\) after 0 bytes/); // the silent one
      assert.match(p.stderr, /closed \(EOF\) after 8 bytes/); // the slow one
      await p.until(() => p.fds().every((t) => baseline.has(t)), 'every connection closed (no socket but those it had before)');
      p.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    } finally {
      p.kill('SIGKILL');
    }
  });

  for (const [workers, balance] of [[1, ''], [2, 'SO_REUSEPORT'], [2, 'EPOLLEXCLUSIVE']] as const) {
    test(`8 streams at once keep their byte order${workers > 1 ? ` (--workers 2, ${balance})` : ''}`, async () => {
      const args = ['--log-level', 'info', '--workers', String(workers)];
      // EPOLLEXCLUSIVE is not serve's (no option picks it): the benchmark's starter runs it.
      const [p, port] = balance === 'EPOLLEXCLUSIVE'
        ? await startExclusive(args)
        : await startServe(args);
      try {
        // Client k sends only bytes with b % 8 === k: stdout can be split back per client.
        const streams = Array.from({ length: 8 }, (_, k) => {
          const b = pseudoRandomBytes(256 << 10, k + 11);
          for (let i = 0; i < b.length; i++) b[i] = (b[i]! & 0xf8) | k;
          return b;
        });
        await Promise.all(streams.map((s) => sendAll(port, s)));
        await p.waitOut(8 * (256 << 10));
        p.kill('SIGTERM');
        assert.equal((await p.exited).code, 0);
        const out = p.out;
        assert.equal(out.length, 8 * (256 << 10));
        const split = streams.map(() => Buffer.alloc(256 << 10));
        const at = new Array<number>(8).fill(0);
        for (const byte of out) split[byte & 7]![at[byte & 7]!++] = byte;
        split.forEach((s, k) => assert.ok(s.equals(streams[k]!), `client ${k}'s bytes`));
        if (workers > 1) assert.ok(p.stderr.includes(`with 2 workers (${balance})`), p.stderr);
      } finally {
        p.kill('SIGKILL');
      }
    });
  }

  test('--workers 2: 1,000 clients, nothing lost, both workers serve', async () => {
    const [p, port] = await startServe(['--log-level', 'info', '--workers', '2', '--backlog', '2048'], { ulimit: 4096 });
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => `w${i}:${pseudoRandomBytes(16, i + 5).toString('base64')}\n`);
      await Promise.all(lines.map((line) => sendAll(port, line)));
      await p.until(() => closedCount(p) === 1000, '1000 connections closed', 60000);
      // stdout comes through its own pipe, and from the workers through the main thread: it may lag the logs.
      await p.waitOut(lines.join('').length, 20000);
      const got = p.out.toString().split(/(?<=\n)/);
      assert.deepEqual(got.sort(), [...lines].sort());
      const perWorker = [1, 2].map((w) => (p.stderr.match(new RegExp(`ioready\\.serve\\.w${w} - INFO - Connection \\(\\d+\\) from \\S+\\n`, 'g')) ?? []).length);
      assert.equal(perWorker[0]! + perWorker[1]!, 1000);
      assert.ok(perWorker[0]! > 100 && perWorker[1]! > 100, `spread over both workers: ${perWorker}`);
      // A second server on the port is refused, not let into the SO_REUSEPORT group.
      const second = await runCli(['serve', '--port', String(port), '--workers', '2']);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /address already in use \(EADDRINUSE\)/);
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('--max-connections 2: the third is closed at once, the first two still served', async () => {
    const [p, port] = await startServe(['--log-level', 'info', '--max-connections', '2']);
    try {
      const a = await connect(port);
      const b = await connect(port);
      await p.until(() => (p.stderr.match(/INFO - Connection \(\d+\) from/g) ?? []).length === 2, 'two connections');
      // The kernel's view: each connection registered for EPOLLIN | EPOLLRDHUP only
      // (fdinfo shows EPOLLERR | EPOLLHUP too, which epoll always adds).
      const connFds = [...p.stderr.matchAll(/INFO - Connection \((\d+)\) from/g)].map((m) => Number(m[1]));
      const regs = new Map<number, number>();
      for (const fd of fs.readdirSync(`/proc/${p.pid}/fd`)) {
        if (fs.readlinkSync(`/proc/${p.pid}/fd/${fd}`) !== 'anon_inode:[eventpoll]') continue;
        const info = fs.readFileSync(`/proc/${p.pid}/fdinfo/${fd}`, 'utf8');
        for (const m of info.matchAll(/^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm)) regs.set(Number(m[1]), parseInt(m[2]!, 16));
      }
      for (const fd of connFds) assert.equal(regs.get(fd), EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP, `fd ${fd}`);
      const c = await connect(port);
      const cClosed = new Promise<void>((resolve) => c.on('close', () => resolve()));
      c.on('error', () => {});
      c.resume();
      await cClosed;
      await p.waitLog(/WARNING - Connection \(\d+\) from 127\.0\.0\.1:\d+ closed at once: 2 open \(--max-connections\)/);
      a.end('from a\n');
      await p.waitOut(7);
      b.end('from b\n');
      await p.waitOut(14);
      assert.equal(p.out.toString(), 'from a\nfrom b\n');
      p.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('out of fds (ulimit -n 64): no spinning, the listener survives, serving resumes', async () => {
    const [p, port] = await startServe(['--log-level', 'info'], { ulimit: 64 });
    try {
      // What it holds besides connections: the listener, stdio (tsx's), the spare fd (/dev/null).
      const baseline = new Set(p.fds());
      const devNulls = (): number => p.fds(/^\/dev\/null$/).length; // the spare, stdin
      const spares = devNulls();
      const dropped = (): number => (p.stderr.match(/WARNING - Out of file descriptors \(EMFILE\): connection from 127\.0\.0\.1:\d+ closed at once\n/g) ?? []).length;
      let closedByServer = 0;
      const clients = await Promise.all(Array.from({ length: 80 }, () => connect(port)));
      for (const s of clients) {
        s.on('error', () => {});
        s.on('close', () => closedByServer++);
        s.resume();
      }
      // Each connection is served or dropped at once, none left pending: without the spare
      // fd trick a loop would leave them queued and spin on the readable listener.
      await p.until(() => acceptedCount(p) + dropped() === 80, 'each of the 80 connections served or dropped');
      const nDropped = dropped();
      assert.ok(nDropped > 0 && nDropped < 80, `dropped ${nDropped}`);
      await until(() => closedByServer === nDropped, `the ${nDropped} dropped clients see the close`);
      // With its fd table full and 80 clients holding on, it idles: its CPU time over a second.
      const t0 = p.cpuTicks();
      await pause(1000);
      const spent = p.cpuTicks() - t0;
      assert.ok(spent < 30, `CPU ticks in 1 s while out of fds: ${spent}`); // a spinning loop burns ~100
      assert.equal(closedByServer, nDropped, 'the served ones are still open');
      for (const s of clients) s.destroy();
      await p.until(() => closedCount(p) === 80 - nDropped, 'served ones closed');
      await sendAll(port, 'still serving\n');
      await p.waitOut(14);
      assert.ok(p.out.toString().endsWith('still serving\n'));
      await p.until(() => p.fds().every((t) => baseline.has(t)) && devNulls() === spares, 'every connection closed, the spare fd open again');
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
    } finally {
      p.kill('SIGKILL');
    }
  });
});

describe('ioready serve: stdout kinds and signals', () => {
  test('stdout a pipe nobody reads for a while: reading pauses, SIGTERM flushes everything read, exit 0', async () => {
    const [r, w] = pipe({ nonblock: false });
    const [p, port] = await startServe(['--log-level', 'info'], { stdout: w });
    fs.closeSync(w);
    try {
      const data = pseudoRandomBytes(12 << 20, 3);
      const s = rawSender(port, data);
      // The server fills the pipe and queues what it reads; past its high-water mark (4 MiB
      // queued) it stops reading: its receive window closes and the client is blocked.
      await until(() => s.readByServer() > 4 << 20 && s.blocked(), 'the server to read 4 MiB, then stop reading');
      const reader = fs.createReadStream('', { fd: r });
      const chunks: Buffer[] = [];
      reader.on('data', (d) => chunks.push(d as Buffer));
      const ended = new Promise<void>((resolve) => reader.on('close', () => resolve()));
      p.kill('SIGTERM');
      const { code } = await p.exited;
      await ended;
      s.close();
      assert.equal(code, 0, p.stderr);
      const out = Buffer.concat(chunks);
      const m = /closed \(server stopping\) after (\d+) bytes/.exec(p.stderr);
      assert.ok(m, p.stderr);
      assert.equal(out.length, Number(m[1]));
      assert.ok(out.length > 4 << 20 && out.length <= data.length, `${out.length} bytes read before the stop`);
      assert.ok(out.equals(data.subarray(0, out.length)), 'stdout is exactly what was read, in order');
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('a second signal while stdout is stuck exits at once (143)', async () => {
    const [r, w] = pipe({ nonblock: false });
    const [p, port] = await startServe(['--log-level', 'info'], { stdout: w });
    fs.closeSync(w);
    try {
      const s = rawSender(port, Buffer.alloc(2 << 20, 'x'));
      // It reads all of it (below its high-water mark); the pipe takes 64 KiB, it holds the rest.
      await until(() => s.readByServer() === 2 << 20, 'the server to read the 2 MiB');
      p.kill('SIGTERM');
      await p.waitLog(/SIGTERM: no longer accepting; flushing and closing/);
      assert.equal(p.child.exitCode, null, 'still flushing into the full pipe');
      p.kill('SIGTERM');
      const { code } = await p.exited;
      assert.equal(code, 143);
      assert.match(p.stderr, /WARNING - SIGTERM again: exiting without flushing\n/);
      s.close();
    } finally {
      fs.closeSync(r);
      p.kill('SIGKILL');
    }
  });

  test('stdout a socket, a regular file, /dev/null', async () => {
    const [a, b] = socketpair({ nonblock: false });
    const file = path.join(os.tmpdir(), `ioready-serve-${process.pid}.out`);
    const fileFd = fs.openSync(file, 'w');
    const devnull = fs.openSync('/dev/null', 'w');
    const data = pseudoRandomBytes(3 << 20, 9);
    try {
      const sockReader = new net.Socket({ fd: b, readable: true, writable: false });
      const sockChunks: Buffer[] = [];
      sockReader.on('data', (d) => sockChunks.push(d));
      const sockClosed = new Promise((resolve) => sockReader.on('close', resolve));
      for (const fd of [a, fileFd, devnull]) {
        const [p, port] = await startServe(['--log-level', 'info'], { stdout: fd });
        fs.closeSync(fd);
        await sendAll(port, data);
        await p.waitLog(/closed \(EOF\)/);
        p.kill('SIGINT');
        assert.equal((await p.exited).code, 0, p.stderr);
      }
      await sockClosed;
      assert.ok(Buffer.concat(sockChunks).equals(data), 'socket stdout');
      assert.ok(fs.readFileSync(file).equals(data), 'file stdout');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test('stdout closed by its reader (EPIPE): one error line, exit 1', async () => {
    const [r, w] = pipe({ nonblock: false });
    const [p, port] = await startServe(['--log-level', 'info'], { stdout: w });
    fs.closeSync(w);
    fs.closeSync(r);
    await sendAll(port, 'nobody reads this\n');
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(p.stderr, /- ERROR - stdout: EPIPE: broken pipe, write\n/);
  });

  test('SIGINT with a client still connected: what it sent is on stdout, exit 0', async () => {
    const [p, port] = await startServe([]);
    const s = await connect(port);
    s.on('error', () => {});
    s.write('before the signal\n');
    await p.waitOut(18);
    s.write('and more\n');
    await p.waitOut(27);
    p.kill('SIGINT');
    const { code } = await p.exited;
    assert.equal(code, 0);
    assert.equal(p.out.toString(), 'before the signal\nand more\n');
    assert.match(p.stderr, /closed \(server stopping\) after 27 bytes/);
    s.destroy();
  });
});

// docs/cli.md: through npx, Ctrl-C (SIGINT to the terminal's whole process group) also
// reaches npm, which ends by the signal (the shell's 130) while serve itself flushes,
// closes and exits 0.
test('serve under npx: Ctrl-C ends npm by SIGINT (130 in a shell); serve itself still flushes and exits', { skip: !hasCommand('npx') && 'no npx' }, async () => {
  const child = spawn('npx', ['--no-install', 'ioready', 'serve', '--port', '0', '--log-level', 'info'], {
    cwd: ROOT,
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const group = child.pid!;
  const groupAlive = (): boolean => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    await until(() => /Listening on/.test(stderr), 'serve listening under npx', 30_000);
    process.kill(-group, 'SIGINT'); // what Ctrl-C does
    assert.deepEqual(await exited, { code: null, signal: 'SIGINT' });
    await until(() => !groupAlive(), 'serve gone too', 10_000);
    assert.match(stderr, /- INFO - SIGINT: no longer accepting; flushing and closing\n/);
  } finally {
    if (groupAlive()) process.kill(-group, 'SIGKILL');
  }
});

const tmuxOk = hasCommand('tmux');
describe('ioready serve: a terminal (tmux)', { skip: !tmuxOk && 'no tmux' }, () => {
  const sock = `ioready-test-${process.pid}`;
  const tm = (...args: string[]): string => tmux('-L', sock, ...args);
  const logFile = (name: string): string => path.join(os.tmpdir(), `ioready-${process.pid}-${name}.log`);

  /** Run serve in a tmux window (stdout a terminal); resolves with its port. */
  async function serveInTmux(name: string, args: string[]): Promise<number> {
    const log = logFile(name);
    fs.writeFileSync(log, '');
    tm('new-session', '-d', '-s', name, '-x', '160', '-y', '40',
      `cd ${sq(ROOT)} && exec ${NODE_TSX} ${MAIN} serve --port 0 --log-level info ${args.join(' ')} 2>${sq(log)}`);
    let port = 0;
    await until(() => {
      const m = /Listening on \S+:(\d+)/.exec(fs.readFileSync(log, 'utf8'));
      if (m) port = Number(m[1]);
      return m !== null;
    }, `serve in tmux to listen: ${log}`, 20000);
    return port;
  }

  /** Stop the tmux server and whatever runs in its panes (a hung-up node may linger). */
  function killTmux(): void {
    const panes = spawnSync('tmux', ['-L', sock, 'list-panes', '-a', '-F', '#{pane_pid}'], { encoding: 'utf8' }).stdout;
    for (const pid of panes.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('tmux', ['-L', sock, 'kill-server']);
  }

  async function paneShows(name: string, text: string): Promise<string> {
    let pane = '';
    try {
      await until(() => (pane = tm('capture-pane', '-p', '-t', name)).includes(text), `the pane to show ${JSON.stringify(text)}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}:\n${pane}`);
    }
    return pane;
  }

  test('control bytes are shown escaped on a terminal, raw with --raw', async (t) => {
    t.after(killTmux);
    const escPort = await serveInTmux('esc', []);
    await sendAll(escPort, 'A\x1b[31mB\x07C\x00D\u009bE\tF\xff\n');
    // \xff went out as UTF-8 (c3 bf: valid, shown as is); U+009B as c2 9b: escaped.
    const pane = await paneShows('esc', 'A\\x1b[31mB\\x07C\\x00D\\xc2\\x9bE');
    assert.ok(pane.includes('\u00ff'), pane);

    const rawPort = await serveInTmux('raw', ['--raw']);
    await sendAll(rawPort, 'X\x1b[1mBOLD\x1b[0mY\n');
    const rawPane = await paneShows('raw', 'XBOLDY');
    assert.ok(!rawPane.includes('\\x1b'), rawPane);
  });

  test('telnet typed into in tmux: its line on stdout', { skip: !hasCommand('telnet') && 'no telnet' }, async (t) => {
    t.after(killTmux);
    const [p, port] = await startServe(['--log-level', 'info']);
    try {
      tm('new-session', '-d', '-s', 'telnet', '-x', '120', '-y', '30', `telnet 127.0.0.1 ${port}`);
      await p.waitLog(/Connection \(\d+\) from 127\.0\.0\.1/);
      tm('send-keys', '-t', 'telnet', 'hello from telnet', 'Enter');
      await p.waitOut(19);
      assert.equal(p.out.toString(), 'hello from telnet\r\n');
      tm('send-keys', '-t', 'telnet', 'C-]');
      await paneShows('telnet', 'telnet>'); // telnet's command prompt
      tm('send-keys', '-t', 'telnet', 'quit', 'Enter');
      await p.waitLog(/closed \(EOF\) after 19 bytes/);
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
    } finally {
      p.kill('SIGKILL');
    }
  });
});

describe('terminal escaping (serve on a tty, watch always)', () => {
  const show = (bytes: Buffer, cuts: number[] = [], lineSafe = false): string => {
    const e = new TerminalEscaper(lineSafe);
    const parts: Buffer[] = [];
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      parts.push(e.feed(bytes, at, cut - at));
      at = cut;
    }
    parts.push(e.end());
    return Buffer.concat(parts).toString('latin1');
  };

  test('controls, C1 in UTF-8, invalid UTF-8 escaped; text, \\t \\n \\r and valid UTF-8 kept', () => {
    assert.equal(show(Buffer.from('a\x1b[31mb\x07\x00\x7f\tc\r\n')), 'a\\x1b[31mb\\x07\\x00\\x7f\tc\r\n');
    assert.equal(show(Buffer.from('é€😀\u009b')), Buffer.from('é€😀').toString('latin1') + '\\xc2\\x9b');
    assert.equal(show(Buffer.from([0xff, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80])),
      '\\xff\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80'); // stray, overlong, surrogate, > U+10FFFF
    assert.equal(show(Buffer.from('x\ny\tz'), [], true), 'x\\x0ay\\x09z');
    assert.equal(show(Buffer.from([0x41, 0xe2, 0x82])), 'A\\xe2\\x82'); // cut short at the end of the stream
  });

  test('the same text whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([Buffer.from('héllo € 😀 \x1b[0m \u0085 '), Buffer.from([0xe2, 0x28, 0xa1, 0xf0, 0x9f])]);
    const whole = show(bytes);
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b += 3) assert.equal(show(bytes, [a, b]), whole, `cut at ${a}, ${b}`);
    }
  });
});
