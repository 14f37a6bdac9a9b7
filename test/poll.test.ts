// Poll: Python's select.poll over poll(2), checked against the kernel.
// CPython's Lib/test/test_poll.py is the checklist: its cases (poll1's 12 pipes,
// the unit tests, poll2's child process with timeouts, the C limits, negative
// timeouts blocking) and more: defaults, ordering, hang-ups, EINTR, > FD_SETSIZE.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { close, Epoll, pipe, Poll, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, read, socketpair, write } from '../src/index';
import { elapsedMs, fdLeakCheck, isOpen, runNode, signalWhenBlocked, whenBlocked } from './helpers';

const MSG = Buffer.from(' This is a test.');
const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

/** The fds whose revents have `flag`. */
function readyMatching(ready: Array<[number, number]>, flag: number): number[] {
  return ready.filter(([, ev]) => ev & flag).map(([fd]) => fd);
}

function pick<T>(list: T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

/** A number that is no open fd right now (an fd just closed). */
function closedFdNumber(): number {
  const [r, w] = pipe();
  close(r);
  close(w);
  return w;
}

const leakCheckAtEnd = fdLeakCheck();

describe('Poll: test_poll.py', () => {
  test('poll1: 12 pipes, write to a random ready writer, read it back, close and unregister', () => {
    const p = new Poll();
    const readers: number[] = [];
    let writers: number[] = [];
    const r2w = new Map<number, number>();
    const w2r = new Map<number, number>();
    for (let i = 0; i < 12; i++) {
      const [rd, wr] = pipe();
      p.register(rd, POLLIN);
      p.register(wr, POLLOUT);
      readers.push(rd);
      writers.push(wr);
      r2w.set(rd, wr);
      w2r.set(wr, rd);
    }
    const bufs: string[] = [];
    while (writers.length) {
      const readyWriters = readyMatching(p.poll(), POLLOUT);
      assert.ok(readyWriters.length > 0, 'no pipes ready for writing');
      assert.deepEqual(readyWriters, writers, 'every open writer is ready, in registration order');
      const wr = pick(readyWriters);
      assert.equal(write(wr, MSG), MSG.length);

      const readyReaders = readyMatching(p.poll(), POLLIN);
      assert.deepEqual(readyReaders, [w2r.get(wr)], 'exactly the reader of the pipe written to is ready');
      const rd = readyReaders[0]!;
      const buf = Buffer.alloc(MSG.length);
      assert.equal(read(rd, buf), MSG.length);
      bufs.push(buf.toString());
      close(r2w.get(rd)!);
      close(rd);
      p.unregister(r2w.get(rd)!);
      p.unregister(rd);
      writers = writers.filter((w) => w !== r2w.get(rd));
    }
    assert.deepEqual(bufs, Array(12).fill(MSG.toString()));
    assert.deepEqual(p.poll(0), [], 'nothing registered any more');
  });

  test('an fd that is not open gives POLLNVAL (the kernel says so; nothing is thrown)', () => {
    const fd = closedFdNumber();
    const p = new Poll();
    p.register(fd);
    assert.deepEqual(p.poll(), [[fd, POLLNVAL]]);
  });

  test('a regular file is always ready; once closed it is POLLNVAL', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-poll-')), 'f');
    const fd = fs.openSync(file, 'w+');
    try {
      const p = new Poll();
      p.register({ fileno: () => fd }, POLLIN | POLLOUT);
      assert.deepEqual(p.poll(), [[fd, POLLIN | POLLOUT]]);
    } finally {
      fs.closeSync(fd);
    }
    const p = new Poll();
    p.register(fd);
    assert.deepEqual(p.poll(), [[fd, POLLNVAL]]);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  test('type errors for things that are not fds (a Poll, an object without fileno, fileno() not a number)', () => {
    const p = new Poll();
    const nope = {};
    const almost = { fileno: () => 'fileno' };
    for (const bad of [p, nope, almost, '3', 1.5, null, undefined, [], 3n, true]) {
      assert.throws(() => p.register(bad as never), TYPE, String(bad));
      assert.throws(() => p.register(bad as never, 0), TYPE);
      assert.throws(() => p.modify(bad as never, POLLIN), TYPE);
      assert.throws(() => p.unregister(bad as never), TYPE);
    }
    for (const bad of [-1, -100, 2 ** 31, { fd: -1 }, { fileno: () => -5 }]) {
      assert.throws(() => p.register(bad as never), RANGE, String(bad));
      assert.throws(() => p.unregister(bad as never), RANGE);
    }
    assert.deepEqual(p.poll(0), [], 'nothing was registered by the failed calls');
  });

  test("unregister of an fd that is not registered: code 'ENOENT' (Python's KeyError)", () => {
    const p = new Poll();
    assert.throws(() => p.unregister(3), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOENT');
      assert.equal(err.errno, -os.constants.errno.ENOENT);
      assert.match(err.message, /^ENOENT: fd 3 is not registered/);
      return true;
    });
    p.register(3);
    p.unregister(3);
    assert.throws(() => p.unregister(3), { code: 'ENOENT' }, 'unregister twice');
  });

  test("modify of an fd that is not registered: code 'ENOENT' (Python's FileNotFoundError)", () => {
    const p = new Poll();
    assert.throws(() => p.modify(3, POLLIN), { code: 'ENOENT', syscall: 'poll.modify' });
    assert.deepEqual(p.poll(0), [], 'the failed modify registered nothing');
  });

  test('poll2: a child writing lines, read with growing timeouts until end of file', () => {
    const [r, w] = pipe();
    const child = spawn('sh', ['-c', 'for i in 0 1 2 3 4; do echo testing...; sleep 0.05; done'], { stdio: ['ignore', w, 'ignore'] });
    close(w);
    const p = new Poll();
    p.register(r, POLLIN);
    const lines: string[] = [];
    let eof = false;
    const buf = Buffer.alloc(256);
    let pending = '';
    for (const timeout of [0, 1000, 2000, 4000, 8000, 16000, ...Array(20).fill(-1)]) {
      const fdlist = p.poll(timeout);
      if (fdlist.length === 0) {
        assert.equal(timeout, 0, 'only the zero timeout may come back empty');
        continue;
      }
      const [fd, flags] = fdlist[0]!;
      assert.equal(fd, r);
      assert.ok(flags & (POLLIN | POLLHUP), `unexpected revents ${flags}`);
      const n = read(r, buf);
      if (n === 0) {
        eof = true;
        break;
      }
      assert.ok(n !== null && n > 0, 'poll said readable: read returns data');
      pending += buf.toString('utf8', 0, n);
    }
    lines.push(...pending.split('\n').filter(Boolean));
    assert.ok(eof, 'end of file was reached');
    assert.deepEqual(lines, Array(5).fill('testing...'));
    close(r);
    child.kill();
  });

  test('C limits: events outside 0..0xffff and timeouts beyond int32 ms are RangeErrors', () => {
    const p = new Poll();
    for (const ev of [0x10000, 2 ** 32, 2 ** 64, -1]) assert.throws(() => p.register(0, ev), RANGE, String(ev));
    for (const ev of [1.5, NaN, Infinity, -Infinity, '1', null]) assert.throws(() => p.register(0, ev as never), TYPE, String(ev));
    p.register(0, POLLIN);
    for (const ev of [0x10000, -1]) assert.throws(() => p.modify(0, ev), RANGE);
    for (const t of [2 ** 31, 2 ** 32, 2 ** 64, NaN]) assert.throws(() => p.poll(t), RANGE, String(t));
    assert.throws(() => p.poll('1' as never), TYPE);
    p.register(1, 0xffff);
    p.unregister(0);
    p.unregister(1);
  });

  test('a negative timeout blocks until an fd is ready (poll_blocks_with_negative_ms)', () => {
    const [r, w] = pipe();
    spawn('sh', ['-c', whenBlocked('poll', 'echo x'), 'sh', String(process.pid)], { stdio: ['ignore', w, 'ignore'] }).unref();
    close(w);
    const p = new Poll();
    p.register(r);
    for (const timeout of [-1, undefined, null, -Infinity]) {
      const events = p.poll(timeout as number);
      assert.equal(events.length, 1);
      assert.equal(events[0]![0], r);
      assert.ok(events[0]![1] & POLLIN, 'readable (and hung up once the child is gone)');
      // -1 (the first) blocked until the child, which waits for this thread to block in poll(), wrote.
    }
    close(r);
  });
});

describe('Poll: semantics', () => {
  test('register defaults to POLLIN; registering again modifies (as Python)', () => {
    const [a, b] = socketpair();
    try {
      const p = new Poll();
      p.register(a);
      assert.deepEqual(p.poll(0), [], 'POLLIN only: an idle socket is not ready');
      p.register(a, POLLIN | POLLOUT);
      assert.deepEqual(p.poll(0), [[a, POLLOUT]]);
      p.modify(a, POLLIN);
      assert.deepEqual(p.poll(0), []);
      write(b, MSG);
      assert.deepEqual(p.poll(0), [[a, POLLIN]]);
      p.register({ fd: a }, 0);
      assert.deepEqual(p.poll(0), [], 'events 0: only HUP/ERR/NVAL would show');
    } finally {
      close(a);
      close(b);
    }
  });

  test('ready fds come back in registration order; a re-register keeps its place', () => {
    const pairs = [pipe(), pipe(), pipe()];
    try {
      const p = new Poll();
      for (const [, w] of [...pairs].reverse()) p.register(w, POLLIN);
      for (const [, w] of pairs) p.register(w, POLLOUT);
      assert.deepEqual(
        p.poll(0).map(([fd]) => fd),
        [...pairs].reverse().map(([, w]) => w),
      );
    } finally {
      for (const [r, w] of pairs) close(r), close(w);
    }
  });

  test('hang-ups: POLLHUP on a pipe whose writer closed, POLLERR on one whose reader closed, asked or not', () => {
    const [r1, w1] = pipe();
    const [r2, w2] = pipe();
    const p = new Poll();
    p.register(r1, POLLIN);
    p.register(w2, 0);
    close(w1);
    close(r2);
    assert.deepEqual(p.poll(0), [
      [r1, POLLHUP],
      [w2, POLLERR],
    ]);
    const [a, b] = socketpair();
    p.register(a, POLLIN | POLLPRI);
    close(b);
    const got = p.poll(0).find(([fd]) => fd === a);
    assert.ok(got && got[1] & POLLHUP && got[1] & POLLIN, 'a socket whose peer closed: IN|HUP');
    close(r1);
    close(w2);
    close(a);
  });

  test('nothing registered: poll(timeout) just sleeps; 0 returns at once', () => {
    const p = new Poll();
    const [none, ms] = elapsedMs(() => p.poll(30));
    assert.deepEqual(none, []);
    assert.ok(ms >= 29 && ms < 3000, `poll(30) returned after ${ms} ms`);
    assert.deepEqual(p.poll(0), []);
  });

  test('timeouts: 50 ms waits at least 50 ms; a fraction rounds up, never to 0', () => {
    const [r, w] = pipe();
    const p = new Poll();
    p.register(r);
    const [none, ms] = elapsedMs(() => p.poll(50));
    assert.deepEqual(none, []);
    assert.ok(ms >= 49 && ms < 3000, `poll(50) returned after ${ms} ms`);
    const [, small] = elapsedMs(() => p.poll(0.1));
    assert.ok(small >= 0.9, `poll(0.1) waited ${small} ms, not the 1 ms it rounds up to`);
    const [, zero] = elapsedMs(() => p.poll(0));
    assert.ok(zero < 1000);
    close(r);
    close(w);
  });

  test('more fds than FD_SETSIZE: 1100 pipe ends, every writer reported', () => {
    const pairs: Array<[number, number]> = [];
    try {
      for (let i = 0; i < 550; i++) pairs.push(pipe());
      const p = new Poll();
      for (const [r, w] of pairs) {
        p.register(r, POLLIN);
        p.register(w, POLLOUT);
      }
      assert.ok(Math.max(...pairs.flat()) >= 1024, 'some fd is beyond FD_SETSIZE');
      const ready = p.poll(0);
      assert.deepEqual(
        ready.map(([fd]) => fd),
        pairs.map(([, w]) => w),
      );
      assert.ok(ready.every(([, ev]) => ev === POLLOUT));
      const [r, w] = pairs[pairs.length - 1]!;
      write(w, MSG);
      assert.deepEqual(readyMatching(p.poll(0), POLLIN), [r]);
    } finally {
      for (const [r, w] of pairs) close(r), close(w);
    }
  });

  test('fds from any FdLike: number, { fd }, { fileno() } (an Epoll, even)', () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      const p = new Poll();
      p.register(ep, POLLIN);
      p.register({ fd: w }, POLLOUT);
      ep.register(r);
      assert.deepEqual(p.poll(0), [[w, POLLOUT]]);
      write(w, MSG);
      assert.deepEqual(p.poll(0), [
        [ep.fd, POLLIN],
        [w, POLLOUT],
      ], 'an epoll fd is readable when it has events');
      p.unregister({ fileno: () => w });
      assert.deepEqual(p.poll(0), [[ep.fd, POLLIN]]);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('a closed fd stays registered (Python too): POLLNVAL until unregistered', () => {
    const [r, w] = pipe();
    const p = new Poll();
    p.register(r);
    p.register(w, POLLOUT);
    close(r);
    close(w);
    assert.ok(!isOpen(r));
    assert.deepEqual(p.poll(0), [
      [r, POLLNVAL],
      [w, POLLNVAL],
    ]);
    p.unregister(r);
    p.unregister(w);
    assert.deepEqual(p.poll(0), []);
  });

  test('EINTR is retried with the remaining time (a real signal during a blocking poll)', async () => {
    const script = `
      const { Poll, pipe } = require('./src/index');
      const { spawn } = require('node:child_process');
      let signals = 0;
      process.on('SIGUSR2', () => { signals++; });
      const p = new Poll();
      const [r] = pipe();
      p.register(r);
      spawn('sh', ['-c', ${JSON.stringify(signalWhenBlocked('poll', 1))}, 'sh', String(process.pid)], { stdio: 'ignore' });
      const t0 = process.hrtime.bigint();
      const events = p.poll(600);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const during = signals;
      process.on('exit', () => console.log(JSON.stringify({ events, ms, during, signals })));`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { events: unknown[]; ms: number; during: number; signals: number };
    assert.deepEqual(out.events, []);
    assert.equal(out.during, 0, 'a JS handler cannot run while the thread is blocked');
    assert.equal(out.signals, 1, 'the signal arrived during poll() and its handler ran after');
    assert.ok(out.ms >= 599 && out.ms < 3000, `poll(600) returned after ${out.ms} ms`);
  });
});

leakCheckAtEnd();
