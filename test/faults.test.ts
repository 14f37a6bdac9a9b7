// Fault injection, fast enough for `npm test`: peers that reset mid-stream,
// half-close or never read; EMFILE during accept; a signal storm during a
// blocking poll(); an epoll fd shared with a child process; fds closed while
// registered and their numbers reused (the stale-event bug).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { describe, test } from 'node:test';

import {
  accept,
  close,
  connect,
  DefaultSelector,
  Epoll,
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  EVENT_READ,
  listen,
  localAddress,
  remoteAddress,
  pipe,
  Poll,
  read,
  recv,
  select,
  send,
  setsockopt,
  shutdown,
  SO_LINGER,
  SO_SNDBUF,
  SOL_SOCKET,
  socket,
  bind,
  write,
} from '../src/index';
import { elapsedMs, epollRegistrations, failsafe, fdLeakCheck, hasPython, isOpen, loopBarrier, ROOT, tcpState, TSX } from './helpers';

const leakCheckAtEnd = fdLeakCheck();

/** A listener on 127.0.0.1, a client connected to it and the accepted server end. */
function tcpPair(): { listener: number; client: number; server: number } {
  const listener = socket('IPv4');
  bind(listener, '127.0.0.1', 0);
  listen(listener, 16);
  const client = socket('IPv4');
  connect(client, '127.0.0.1', localAddress(listener).port);
  // The handshake completes in the kernel: wait for the listener to be readable.
  const [ready] = select([listener], [], [], failsafe(10_000));
  assert.deepEqual(ready, [listener], 'the connection reached the accept queue');
  const conn = accept(listener);
  assert.ok(conn, 'the connection was accepted');
  return { listener, client, server: conn.fd };
}

/** /proc/net/tcp's timer kind while a socket probes a zero window (ICSK_TIME_PROBE0). */
const TIMER_PROBE0 = 4;

/** The kernel's pending timer kind for an IPv4 TCP socket of this process. */
const tcpTimer = (fd: number): number => tcpState(localAddress(fd), remoteAddress(fd)).timer;

/** The error a call throws (fails if it returns). */
function thrown(fn: () => unknown): Error & { code?: string; syscall?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string; syscall?: string };
  }
  assert.fail('expected a throw');
}

const chunk = Buffer.alloc(64 * 1024, 0x61);
const scratch = Buffer.alloc(256 * 1024);

describe('peers that misbehave', () => {
  test('a client that resets mid-stream (SO_LINGER 0): EPOLLERR|EPOLLHUP, then ECONNRESET, registration dropped', async () => {
    const { listener, client, server } = tcpPair();
    const ep = new Epoll();
    try {
      ep.register(server, EPOLLIN | EPOLLRDHUP);
      let sent = 0;
      for (let n = send(client, chunk); n !== null; n = send(client, chunk)) sent += n;
      assert.ok(sent > 0, 'the client filled its send buffer');
      // Read part of the stream, then the client resets with data still in flight.
      const first = recv(server, scratch, 0, 1000);
      assert.equal(first, 1000);
      setsockopt(client, SOL_SOCKET, SO_LINGER, 0);
      close(client);
      // The server end is readable already (data queued): wait for the reset itself on an
      // epoll that asks for RDHUP only (HUP and ERR come unasked), then look with `ep`.
      const rst = new Epoll();
      try {
        rst.register(server, EPOLLRDHUP);
        assert.equal(rst.poll(failsafe(10_000)).length, 1, 'the reset arrived');
      } finally {
        rst.close();
      }
      const events = ep.poll(0);
      assert.equal(events.length, 1);
      const [fd, ev] = events[0]!;
      assert.equal(fd, server);
      assert.ok(ev & EPOLLHUP && ev & EPOLLERR && ev & EPOLLRDHUP, `RST shows as HUP|ERR|RDHUP (got 0x${ev.toString(16)})`);
      // Whatever was still queued may be readable; then the reset surfaces, once, as ECONNRESET.
      let received = first;
      let err: (Error & { code?: string; syscall?: string; errno?: number }) | undefined;
      for (;;) {
        try {
          const n = recv(server, scratch);
          if (n === null || n === 0) break;
          received += n;
        } catch (e) {
          err = e as Error & { code?: string; syscall?: string; errno?: number };
          break;
        }
      }
      assert.ok(received <= sent, 'never more bytes than were sent');
      assert.equal(err?.code, 'ECONNRESET', 'the reset is reported as a system error');
      assert.equal(err?.syscall, 'recv');
      assert.equal(err?.errno, -os.constants.errno.ECONNRESET);
      // The server does what a server should: unregister and close. Nothing lingers in the kernel.
      ep.unregister(server);
      close(server);
      assert.equal(epollRegistrations(ep.fd).size, 0);
      assert.deepEqual(ep.poll(0), []);
    } finally {
      ep.close();
      close(listener);
    }
  });

  test('a client that half-closes: EPOLLIN|EPOLLRDHUP, every byte then EOF, and the server can still answer', () => {
    const { listener, client, server } = tcpPair();
    const ep = new Epoll();
    try {
      ep.register(server, EPOLLIN | EPOLLRDHUP);
      const msg = Buffer.from('last words before half-close\n');
      assert.equal(send(client, msg), msg.length);
      shutdown(client, 'write');
      const events = ep.poll(1000);
      assert.deepEqual(events, [[server, EPOLLIN | EPOLLRDHUP]], 'RDHUP comes with IN, no HUP (the other direction is open)');
      const n = recv(server, scratch);
      assert.equal(scratch.toString('utf8', 0, n!), msg.toString());
      assert.equal(recv(server, scratch), 0, 'then end of stream');
      assert.equal(recv(server, scratch), 0, 'and again: EOF is sticky, not an error');
      // Level-triggered: the hang-up keeps being reported until the server acts on it.
      assert.deepEqual(ep.poll(0), [[server, EPOLLIN | EPOLLRDHUP]]);
      // The half-open direction still works: the server answers, the client reads it.
      assert.equal(send(server, Buffer.from('bye')), 3);
      let got: number | null = null;
      for (let i = 0; got === null && i < 1000; i++) got = recv(client, scratch);
      assert.equal(scratch.toString('utf8', 0, got!), 'bye');
      ep.unregister(server);
    } finally {
      ep.close();
      close(server);
      close(client);
      close(listener);
    }
  });

  test('a client that never reads: send() returns null when full, no EPOLLOUT until the client drains', async () => {
    const { listener, client, server } = tcpPair();
    const ep = new Epoll();
    try {
      setsockopt(server, SOL_SOCKET, SO_SNDBUF, 16 * 1024);
      let sent = 0;
      let calls = 0;
      for (let n = send(server, chunk); n !== null; n = send(server, chunk)) {
        sent += n;
        calls++;
        assert.ok(calls < 10_000, 'the buffers fill up');
      }
      assert.ok(sent > 0);
      assert.equal(send(server, chunk), null, 'full: null (EAGAIN), not an exception');
      // Loopback goes on moving bytes into the client's receive buffer for a while (each
      // delayed ACK frees send-buffer space) until the client's window is zero. Top up
      // until the kernel says so: the server socket probes a zero window with nothing in
      // flight (persist state), so no ACK is coming that could make it writable again.
      ep.register(server, EPOLLOUT);
      const end = Date.now() + failsafe(20_000);
      for (;;) {
        for (let n = send(server, chunk); n !== null; n = send(server, chunk)) sent += n;
        if (tcpTimer(server) === TIMER_PROBE0) break;
        assert.ok(Date.now() < end, 'the client\'s window closed');
        ep.poll(5); // writable again after an ACK, or look again
      }
      const [, idle] = elapsedMs(() => assert.deepEqual(ep.poll(150), [], 'not writable while the client does not read'));
      assert.ok(idle >= 150, `poll waited its timeout (${idle} ms)`);
      // The client drains everything: EPOLLOUT comes, and every byte arrives.
      let received = 0;
      let out: Array<[number, number]> = [];
      for (let i = 0; i < 10_000 && (received < sent || out.length === 0); i++) {
        const n = recv(client, scratch);
        if (n !== null) received += n;
        out = ep.poll(received < sent ? 0 : 100);
      }
      assert.equal(received, sent, 'every byte sent was received');
      assert.deepEqual(out, [[server, EPOLLOUT]], 'writable again once the peer read');
    } finally {
      ep.close();
      close(server);
      close(client);
      close(listener);
    }
  });
});

/** Run a TypeScript file in a child node (through tsx) under `sh -c 'ulimit -n N; exec ...'`. */
function runLimited(limit: number, file: string, timeoutMs = 20000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `ulimit -n ${limit}; exec "$0" ${TSX.join(' ')} "$1"`, process.execPath, file], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), failsafe(timeoutMs));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('running out of fds', () => {
  test('EMFILE during accept: a system error, the connection stays queued, the listener stays registered; a spare fd serves it', async () => {
    // The child fills its fd table (ulimit -n 80), then accepts three queued clients.
    const r = await runLimited(80, path.join(__dirname, 'stress/fixture-emfile.ts'));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      fillErr: string;
      ready: Array<[number, number]>;
      listener: number;
      acceptErr: { code: string; syscall: string; name: string };
      stillRegistered: boolean;
      againReady: Array<[number, number]>;
      accepted: number;
      after: Array<[number, number]>;
    };
    assert.match(out.fillErr, /EMFILE/, 'the table was filled to the limit');
    assert.deepEqual(out.ready, [[out.listener, EPOLLIN]], 'the listener is readable');
    assert.deepEqual(out.acceptErr, { code: 'EMFILE', syscall: 'accept4', name: 'Error' });
    assert.equal(out.stillRegistered, true, 'the listener is still in the interest list');
    assert.deepEqual(out.againReady, [[out.listener, EPOLLIN]], 'the connection stays queued (level-triggered: still ready)');
    assert.equal(out.accepted, 3, 'with the spare fd trick, all three queued connections are served');
    assert.deepEqual(out.after, [], 'and nothing is left pending');
  });

  // ENFILE (the system-wide table, /proc/sys/fs/file-max, millions here) cannot be
  // provoked safely on a shared machine: it would fail every process on it. accept4()
  // failing with ENFILE takes the very path EMFILE takes above (-errno -> check() ->
  // a system error with code and syscall; nothing queued is lost), so EMFILE stands in
  // for it; the per-process limit (ulimit -n) is the emulation.
  test('ENFILE: documented as not provoked (see comment); the table is far from full', () => {
    const [used, , max] = fs.readFileSync('/proc/sys/fs/file-nr', 'utf8').trim().split(/\s+/).map(Number);
    assert.ok(used! < max!, `the system file table is not full (${used} of ${max})`);
  });
});

describe('signals', () => {
  const storm = `
import os, signal, sys, time
sys.stdout.write('ready\\n'); sys.stdout.flush()
sys.stdin.readline()
ppid, n, t0 = os.getppid(), 0, time.monotonic()
while time.monotonic() - t0 < 0.35:
    os.kill(ppid, signal.SIGUSR2); n += 1
sys.stdout.write('%d\\n' % n); sys.stdout.flush()
`;

  /** Block in `wait` while a child sends SIGUSR2 as fast as it can. */
  async function underStorm<T>(wait: () => T): Promise<{ result: T; ms: number; sent: number; handled: number }> {
    let handled = 0;
    const onSignal = (): void => {
      handled++;
    };
    process.on('SIGUSR2', onSignal);
    const child = spawn('python3', ['-c', storm], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      assert.equal((await lines.next()).value, 'ready');
      const closed = new Promise((r) => child.once('close', r));
      // The pipe write reaches the child at once; then this thread blocks in poll.
      child.stdin.write('go\n');
      const [result, ms] = elapsedMs(wait);
      const sent = Number((await lines.next()).value);
      // While this thread was blocked, libuv's signal pipe filled up with SIGUSR2 and
      // the child's SIGCHLD was dropped: Node never reaps it. Any later child exit makes
      // libuv wait for all of its children, so one `true` gets the storm child reaped;
      // but only once libuv has drained that pipe, or the SIGCHLD of `true` is dropped
      // too. The pipe was readable when the child's line was (every signal came before
      // it), so it is drained in the poll phase that read the line: a setImmediate after.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => spawn('true').once('close', r));
      await closed;
      return { result, ms, sent, handled };
    } finally {
      process.off('SIGUSR2', onSignal);
    }
  }

  test('a storm of SIGUSR2 during Epoll.poll(500): no throw, [] after >= 500 ms (EINTR retried)', { skip: !hasPython }, async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      const s = await underStorm(() => ep.poll(500));
      assert.deepEqual(s.result, []);
      // >= 500, not "about 500": the retry after EINTR must not shorten the wait. (Seen
      // failing at 499.93 ms: the addon re-arms from a clock truncated to whole ms.)
      assert.ok(s.ms >= 500 && s.ms < 5000, `waited ${s.ms} ms`);
      assert.ok(s.sent >= 1000, `the child sent thousands of signals (${s.sent})`);
      assert.ok(s.handled >= 1, 'Node saw them (its handler ran afterwards)');
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('the same storm during Poll.poll(500), select(500) and a selector select(500)', { skip: !hasPython }, async () => {
    const [r, w] = pipe();
    const p = new Poll();
    const sel = new DefaultSelector();
    try {
      p.register(r);
      sel.register(r, EVENT_READ);
      for (const [name, wait] of [
        ['Poll.poll', () => p.poll(500)],
        ['select', () => select([r], [], [], 500)],
        ['DefaultSelector.select', () => sel.select(500)],
      ] as const) {
        const s = await underStorm(wait as () => unknown);
        assert.ok(s.ms >= 500 && s.ms < 5000, `${name} waited ${s.ms} ms`);
        assert.ok(s.sent >= 1000, `${name}: ${s.sent} signals`);
        const res = s.result as unknown[];
        assert.ok(Array.isArray(res) && (name === 'select' ? (res as unknown[][]).every((l) => l.length === 0) : res.length === 0), `${name}: nothing ready`);
      }
    } finally {
      sel.close();
      close(r);
      close(w);
    }
  });
});

describe('an epoll fd shared with a child process', () => {
  // The child gets the epoll fd as its fd 3 through spawn's stdio. It is the same
  // epoll instance: one interest list, keyed by (file, fd number as registered).
  const child = `
import os, select, sys, json
ep = select.epoll.fromfd(3)
seen = ep.poll(0)
r, w = os.pipe()
os.write(w, b'y')
ep.register(r, select.EPOLLIN)
try:
    ep.unregister(${'{PARENT_FD}'})
    unreg = 'ok'
except OSError as e:
    unreg = e.errno
print(json.dumps({'seen': seen, 'r': r, 'unreg': unreg}), flush=True)
sys.stdin.readline()
`;

  test('both sides see one interest list; each side names fds by its own numbers', { skip: !hasPython }, async () => {
    const ep = new Epoll();
    const [pr, pw] = pipe();
    try {
      ep.register(pr, EPOLLIN);
      write(pw, Buffer.from('x'));
      const py = spawn('python3', ['-c', child.replace('{PARENT_FD}', String(pr))], { stdio: ['pipe', 'pipe', 'inherit', ep.fd] });
      const line = (await readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]().next()).value as string;
      const c = JSON.parse(line) as { seen: Array<[number, number]>; r: number; unreg: string | number };
      // The child sees the parent's registration, under the PARENT's fd number.
      assert.deepEqual(c.seen, [[pr, EPOLLIN]]);
      // The child's unregister of that number fails: in the child the number is closed
      // (EBADF) or names another file (ENOENT); the parent's registration survives.
      assert.ok(c.unreg === os.constants.errno.EBADF || c.unreg === os.constants.errno.ENOENT, `child unregister: ${c.unreg}`);
      // The parent sees the child's registration, under the CHILD's fd number, which in
      // the parent is some other fd or none at all.
      const regs = epollRegistrations(ep.fd);
      assert.ok(regs.has(pr) && regs.has(c.r), `both registrations in one list: ${[...regs.keys()]}`);
      const events = ep.poll(0);
      assert.deepEqual(new Set(events.map(([fd]) => fd)), new Set([pr, c.r]));
      // The parent cannot remove the child's registration either.
      const err = thrown(() => ep.unregister(c.r));
      assert.ok(err.code === 'EBADF' || err.code === 'ENOENT', String(err.code));
      // When the child exits, its pipe's last reference goes, and so does its registration.
      py.stdin!.end('\n');
      await new Promise((r) => py.once('close', r));
      assert.deepEqual([...epollRegistrations(ep.fd).keys()], [pr], 'only the parent registration remains');
      assert.deepEqual(ep.poll(0), [[pr, EPOLLIN]]);
      assert.ok(isOpen(ep.fd), "the parent's epoll fd is untouched");
    } finally {
      ep.close();
      close(pr);
      close(pw);
    }
  });
});

describe('an fd closed while registered, its number reused (the stale-event bug)', () => {
  test('start(): closing a ready fd mid-batch and reusing its number never delivers the old event as the new fd', async () => {
    const ep = new Epoll();
    const pipes = Array.from({ length: 8 }, () => pipe());
    const extra: number[] = [];
    const seen: Array<[number, number]> = [];
    try {
      for (const [r, w] of pipes) {
        ep.register(r);
        write(w, Buffer.from('x'));
      }
      const reused: number[] = [];
      await new Promise<void>((resolve) => {
        let first = true;
        ep.start((fd, ev) => {
          seen.push([fd, ev]);
          read(fd, Buffer.alloc(8));
          if (!first) return;
          first = false;
          // Close every other ready fd while the batch is being delivered...
          // (half of them unregistered first, half only closed: both paths drop the batch's rest)
          pipes.forEach(([r, w], i) => {
            if (r === fd) return;
            if (i % 2 === 0) ep.unregister(r);
            close(r);
            close(w);
          });
          // ...and hand their numbers to new, empty pipes, registered in the same epoll.
          for (let i = 0; i < 7; i++) {
            const [r, w] = pipe();
            extra.push(r, w);
            ep.register(r);
            reused.push(r);
          }
          setImmediate(resolve); // the batch is over
        });
      });
      await loopBarrier(); // and any later batch for the old numbers would have come by now
      ep.stop();
      const olds = new Set(pipes.map(([r]) => r));
      assert.ok(reused.some((fd) => olds.has(fd)), 'the numbers were reused (the lowest free fd is taken)');
      const others = seen.filter(([fd]) => fd !== seen[0]![0]);
      assert.deepEqual(others, [], 'only the first fd was delivered: nothing for the closed ones or their reused numbers');
    } finally {
      ep.close();
      const first = seen[0]?.[0];
      for (const [r, w] of pipes) {
        if (r === first) {
          close(r);
          close(w);
        }
      }
      for (const fd of extra) close(fd);
    }
  });

  test('start(): an fd closed with fs.closeSync (not ioready.close) mid-batch, its number re-registered: no stale event', async () => {
    const ep = new Epoll();
    const [a, aw] = pipe();
    const [b, bw] = pipe();
    let fresh = -1;
    let freshW = -1;
    const seen: number[] = [];
    try {
      ep.register(a);
      ep.register(b);
      write(aw, Buffer.from('x'));
      write(bw, Buffer.from('x'));
      await new Promise<void>((resolve) => {
        ep.start((fd) => {
          seen.push(fd);
          read(fd, Buffer.alloc(8));
          if (seen.length > 1) return;
          const other = fd === a ? b : a;
          fs.closeSync(other); // the kernel drops the registration; ioready is not told
          [fresh, freshW] = pipe(); // takes `other`'s number
          ep.register(fresh); // registering the number drops the batch's rest for it
          setImmediate(resolve); // the batch is over
        });
      });
      await loopBarrier(); // and any later batch for the reused number would have come by now
      ep.stop();
      assert.deepEqual(seen, [seen[0]], 'no event for the reused number');
      assert.ok(fresh === a || fresh === b, 'the number was reused');
    } finally {
      ep.close();
      // Open now: the fd delivered first, both write ends, and the new pipe (on the other's number).
      for (const fd of [seen[0] ?? -1, aw, bw, fresh, freshW]) if (fd >= 0) close(fd);
    }
  });

  // What the kernel does when a registered fd's file outlives the fd (epoll(7), Q6):
  // the registration belongs to the open file description, keyed by (file, fd number).
  // Closing the registered number while another reference keeps the file open - a dup,
  // or a child process that inherited it, as here - does NOT remove it: the old file's
  // events keep coming, labelled with the old number, and the closed number cannot
  // unregister it (EBADF). If a new file reuses the number and is registered, the
  // interest list holds two registrations under that one number.

  /** A child process holding a reference to `fd`'s open file description (as its fd 3). */
  function holder(fd: number): { done: () => Promise<void> } {
    const child = spawn('sleep', ['infinity'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    return {
      done: () =>
        new Promise((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    };
  }

  /** How many registrations the kernel lists under `fd` (fdinfo may hold two for one number). */
  function registrationsOf(epfd: number, fd: number): number {
    return fs.readFileSync(`/proc/self/fdinfo/${epfd}`, 'utf8').split('\n').filter((l) => new RegExp(`^tfd:\\s+${fd}\\s`).test(l)).length;
  }

  test('kernel: a registration survives close() while another reference keeps the file open, under the old number', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      const h = holder(r);
      close(r);
      assert.ok(!isOpen(r));
      write(w, Buffer.from('x'));
      assert.deepEqual(ep.poll(0), [[r, EPOLLIN]], 'the closed number still reports the live file');
      assert.equal(thrown(() => ep.unregister(r)).code, 'EBADF', 'and cannot unregister it');
      assert.equal(registrationsOf(ep.fd, r), 1);
      await h.done(); // the last reference goes: now the kernel drops the registration
      assert.deepEqual(ep.poll(0), []);
      assert.equal(epollRegistrations(ep.fd).size, 0);
    } finally {
      ep.close();
      close(w);
    }
  });

  // README ("Close after unregister"): ioready reports what the kernel reports. epoll_event.data
  // holds only the fd number, so the survivor's events carry the number the new fd now has;
  // dropping them would turn a level-triggered survivor, which nothing can remove, into a
  // silent busy loop. This pins that choice: the kernel's report is delivered, as it is.
  test("the old file's surviving registration is reported under its number, which a new registered fd now has: the kernel's report is delivered", async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const spare: number[] = [];
    let fresh = -1;
    let freshW = -1;
    let h: { done: () => Promise<void> } | undefined;
    try {
      ep.register(r);
      h = holder(r);
      close(r);
      // Take new pipes until one lands on the old number.
      for (let i = 0; i < 64 && fresh !== r; i++) {
        [fresh, freshW] = pipe();
        if (fresh !== r) spare.push(fresh, freshW);
      }
      assert.equal(fresh, r, 'a new pipe reuses the number');
      ep.register(fresh); // allowed: a different (file, number) key
      assert.equal(registrationsOf(ep.fd, r), 2, 'two registrations under one number');
      assert.deepEqual(ep.poll(0), [], 'neither file is readable yet');
      write(w, Buffer.from('x')); // the OLD file becomes readable; the new one stays empty
      assert.deepEqual(ep.poll(0), [[fresh, EPOLLIN]], "poll(): the old file's EPOLLIN, under the shared number");
      // start(): the same report reaches the listener (level-triggered, so it comes again
      // each turn until stopped; the first delivery is the one checked).
      const first = await new Promise<[number, number]>((resolve) => {
        ep.start((fd, ev) => {
          ep.stop();
          resolve([fd, ev]);
        });
      });
      assert.deepEqual(first, [fresh, EPOLLIN], 'start(): delivered to the listener as well');
      assert.equal(read(fresh, Buffer.alloc(1)), null, 'the new fd itself has nothing to read: the event was the old file\'s');
      // Once the last reference to the old file goes, only the new registration is left.
      await h.done();
      h = undefined;
      assert.equal(registrationsOf(ep.fd, r), 1, "the old file's registration went with its last reference");
      assert.deepEqual(ep.poll(0), [], 'and nothing is reported any more');
    } finally {
      ep.close();
      await h?.done();
      close(w);
      for (const fd of [...spare, fresh, freshW]) if (fd >= 0) close(fd);
    }
  });
});

leakCheckAtEnd();
