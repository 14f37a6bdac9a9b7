// select(): Python's select.select over select(2), checked against the kernel.
// CPython's Lib/test/test_select.py is the checklist (error conditions, returned
// list identity, a child writing lines with growing timeouts, a fileno() that
// mutates the list, EBADF) plus FD_SETSIZE, urgent data, EINTR and regular files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  accept, bind, close, connect, Epoll, FD_SETSIZE, listen, localAddress, MSG_OOB, pipe, read, recv, select, send,
  socket, socketpair, write,
} from '../src/index';
import { elapsedMs, fdLeakCheck, runNode, signalWhenBlocked, whenBlocked } from './helpers';

const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const MSG = Buffer.from('x');

const leakCheckAtEnd = fdLeakCheck();

describe('select(): test_select.py', () => {
  test('error conditions: not lists, objects that are no fds, a bad timeout', () => {
    class Nope {}
    class Almost {
      fileno(): string {
        return 'fileno';
      }
    }
    assert.throws(() => select(1 as never, 2 as never, 3 as never), TYPE);
    assert.throws(() => select('0' as never, [], []), TYPE, 'a string is no list of fds');
    assert.throws(() => select([new Nope() as never], [], []), TYPE);
    assert.throws(() => select([new Almost() as never], [], []), TYPE);
    assert.throws(() => select([], [new Almost() as never], []), TYPE);
    assert.throws(() => select([], [], [new Nope() as never]), TYPE);
    assert.throws(() => select([], [], [], 'not a string' as never), TYPE);
    assert.throws(() => select([], [], [], -1), RANGE, "a negative timeout: Python's ValueError");
    assert.throws(() => select([], [], [], NaN), RANGE);
    assert.throws(() => select([], [], [], 2 ** 31), RANGE);
    assert.throws(() => select([-1], [], [], 0), RANGE);
    assert.throws(() => select([{ fd: -3 }], [], [], 0), RANGE);
  });

  test('the returned lists are new and distinct, even when nothing is ready', () => {
    const r = [] as number[];
    const result = select(r, r, r, 1);
    assert.deepEqual(result, [[], [], []]);
    assert.notEqual(result[0], result[1]);
    assert.notEqual(result[0], result[2]);
    assert.notEqual(result[1], result[2]);
    assert.notEqual(result[0], r);
  });

  test('a child writing lines, read with growing timeouts until end of file; the same object comes back', () => {
    const [r, w] = pipe();
    const child = spawn('sh', ['-c', 'for i in 0 1 2 3 4; do echo testing...; sleep 0.05; done'], { stdio: ['ignore', w, 'ignore'] });
    close(w);
    const stream = { fileno: () => r };
    const buf = Buffer.alloc(256);
    let text = '';
    let eof = false;
    for (const timeout of [0, 1000, 2000, 4000, 8000, 16000, ...Array(20).fill(undefined)]) {
      const [rfd, wfd, xfd] = select([stream], [], [], timeout);
      if (rfd.length === 0 && wfd.length === 0 && xfd.length === 0) {
        assert.equal(timeout, 0, 'only the zero timeout may come back empty');
        continue;
      }
      assert.equal(rfd.length, 1);
      assert.equal(rfd[0], stream, 'the very object passed in');
      assert.deepEqual([wfd, xfd], [[], []]);
      const n = read(r, buf);
      if (n === 0) {
        eof = true;
        break;
      }
      text += buf.toString('utf8', 0, n!);
    }
    assert.ok(eof);
    assert.deepEqual(text.split('\n').filter(Boolean), Array(5).fill('testing...'));
    close(r);
    child.kill();
  });

  test('a fileno() that mutates the list being walked does not disturb select()', () => {
    const [r, w] = pipe();
    const list: Array<{ fileno(): number }> = [];
    const f = {
      fileno(): number {
        list.pop();
        return w;
      },
    };
    for (let i = 0; i < 10; i++) list.push(f);
    const [, wfd] = select([], list, [], 0);
    assert.equal(list.length, 0, 'every fileno() ran');
    assert.equal(wfd.length, 10, 'the walk used a copy of the list');
    assert.ok(wfd.every((o) => o === f));
    close(r);
    close(w);
  });

  test('a closed fd: EBADF from the kernel', () => {
    const [r, w] = pipe();
    close(r);
    close(w);
    for (const sets of [
      [[r], [], []],
      [[], [w], []],
      [[], [], [r]],
    ] as const) {
      assert.throws(() => select(sets[0], sets[1], sets[2], 0), { code: 'EBADF', syscall: 'select', errno: -os.constants.errno.EBADF });
    }
  });
});

describe('select(): semantics', () => {
  test('readable, writable, hang-up; objects in the order given, duplicates kept', () => {
    const [r, w] = pipe();
    const obj = { fd: r };
    assert.deepEqual(select([r, obj], [w], [], 0), [[], [w], []]);
    write(w, MSG);
    const [rr, ww] = select([obj, r, obj], [w, { fd: w }], [], 0);
    assert.deepEqual(rr, [obj, r, obj]);
    assert.equal(rr[0], obj);
    assert.equal(ww.length, 2);
    read(r, Buffer.alloc(1));
    close(w);
    assert.deepEqual(select([r], [], [], 0), [[r], [], []], 'end of file is readable');
    close(r);
  });

  test('any iterable of FdLikes: a Set, a generator', () => {
    const [a, b] = socketpair();
    function* gen(): Generator<number> {
      yield a;
      yield b;
    }
    assert.deepEqual(select(new Set([a]), gen(), [], 0), [[], [a, b], []]);
    close(a);
    close(b);
  });

  test('a regular file is always ready for reading and writing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-select-'));
    const fd = fs.openSync(path.join(dir, 'f'), 'w+');
    try {
      assert.deepEqual(select([fd], [fd], [fd], 0), [[fd], [fd], []]);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true });
    }
  });

  test('except: TCP urgent data (MSG_OOB) is an exceptional condition', () => {
    const srv = socket('IPv4');
    bind(srv, '127.0.0.1', 0);
    listen(srv);
    const cli = socket('IPv4');
    connect(cli, '127.0.0.1', localAddress(srv).port);
    const [ready] = select([srv], [], [], 5000);
    assert.deepEqual(ready, [srv]);
    const conn = accept(srv)!.fd;
    try {
      assert.deepEqual(select([], [], [conn], 0), [[], [], []]);
      assert.equal(send(cli, Buffer.from('!'), 0, 1, MSG_OOB), 1);
      const [, , x] = select([], [], [conn], 5000);
      assert.deepEqual(x, [conn]);
      assert.equal(recv(conn, Buffer.alloc(1), 0, 1, MSG_OOB), 1);
    } finally {
      close(conn);
      close(cli);
      close(srv);
    }
  });

  test('fds >= FD_SETSIZE are a RangeError before the call, open or not', () => {
    assert.equal(FD_SETSIZE, 1024);
    const [r, w] = pipe();
    assert.throws(() => select([FD_SETSIZE], [], [], 0), RANGE);
    assert.throws(() => select([r], [w, 5000], [], 0), (err: Error) => {
      assert.equal((err as NodeJS.ErrnoException).code, 'ERR_OUT_OF_RANGE');
      assert.match(err.message, /write\[1\]/);
      return true;
    });
    // A real open fd above the limit (pipes until one lands there).
    const pairs: Array<[number, number]> = [];
    try {
      while (pairs.length === 0 || pairs[pairs.length - 1]![1] < FD_SETSIZE) pairs.push(pipe());
      const high = pairs[pairs.length - 1]![1];
      assert.throws(() => select([], [high], [], 0), RANGE);
      const below = pairs.filter(([, x]) => x < FD_SETSIZE).map(([, x]) => x);
      assert.deepEqual(select([], below, [], 0)[1], below, 'the ones below the limit work beside it');
    } finally {
      for (const [a, b] of pairs) close(a), close(b);
      close(r);
      close(w);
    }
  });

  test('FdLikes: an Epoll is readable when it has events', () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      assert.deepEqual(select([ep], [], [], 0), [[], [], []]);
      write(w, MSG);
      const [rr] = select([ep], [], [], 0);
      assert.equal(rr[0], ep);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('timeouts: empty sets sleep; 50 ms waits at least 50 ms; a fraction rounds up; 0 returns at once', () => {
    const [none, ms] = elapsedMs(() => select([], [], [], 30));
    assert.deepEqual(none, [[], [], []]);
    assert.ok(ms >= 29 && ms < 3000, `select(30) returned after ${ms} ms`);
    const [r, w] = pipe();
    const [, ms50] = elapsedMs(() => select([r], [], [], 50));
    assert.ok(ms50 >= 49 && ms50 < 3000, `select(50) returned after ${ms50} ms`);
    const [, small] = elapsedMs(() => select([r], [], [], 0.1));
    assert.ok(small >= 0.9, `select(0.1) waited ${small} ms`);
    const [ready, zero] = elapsedMs(() => select([r], [w], [], 0));
    assert.deepEqual(ready, [[], [w], []]);
    assert.ok(zero < 1000);
    close(r);
    close(w);
  });

  test('undefined and null wait forever, until a child writes', () => {
    const [r, w] = pipe();
    // Each child writes once it sees this thread blocked in select().
    for (const timeout of [undefined, null]) {
      const child = spawn('sh', ['-c', whenBlocked('poll', 'echo x'), 'sh', String(process.pid)], { stdio: ['ignore', w, 'ignore'] });
      assert.deepEqual(select([r], [], [], timeout as never), [[r], [], []], `${timeout}: blocked until the child wrote`);
      read(r, Buffer.alloc(16));
      child.unref();
    }
    close(w);
    close(r);
  });

  test('EINTR is retried with the remaining time (a real signal during a blocking select)', async () => {
    const script = `
      const { select, pipe } = require('./src/index');
      const { spawn } = require('node:child_process');
      let signals = 0;
      process.on('SIGUSR2', () => { signals++; });
      const [r] = pipe();
      spawn('sh', ['-c', ${JSON.stringify(signalWhenBlocked('poll', 1))}, 'sh', String(process.pid)], { stdio: 'ignore' });
      const t0 = process.hrtime.bigint();
      const result = select([r], [], [], 600);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.on('exit', () => console.log(JSON.stringify({ result, ms, signals })));`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { result: unknown; ms: number; signals: number };
    assert.deepEqual(out.result, [[], [], []]);
    assert.equal(out.signals, 1, 'the signal arrived during select() and its handler ran after');
    assert.ok(out.ms >= 599 && out.ms < 3000, `select(600) returned after ${out.ms} ms`);
  });
});

describe('select(): closed fds', () => {
  test('a closed fd numbered beyond the fd table is EBADF, never "ready"', () => {
    // select(2) ignores bits past the end of the fd table and leaves them set;
    // the addon asks the kernel about each fd first.
    const [r, w] = pipe();
    try {
      write(w, MSG);
      assert.throws(() => select([999, r], [], [], 0), { code: 'EBADF', syscall: 'select' });
      assert.throws(() => select([], [], [1023], 0), { code: 'EBADF', syscall: 'select' });
      assert.deepEqual(select([r], [], [], 0), [[r], [], []]);
    } finally {
      close(r);
      close(w);
    }
  });
});

leakCheckAtEnd();
