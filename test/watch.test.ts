// Epoll on the Node event loop: start/stop/ref/unref/wait/events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { close, Epoll, EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLOUT, pipe, read, write } from '../src/index';
import { fdCount, isOpen, runNode, fdLeakCheck, loopBarrier, until as untilHolds } from './helpers';

const byte = Buffer.from('x');
const scratch = Buffer.alloc(64);

/** Resolve when `cond()` holds, checked every few ms (a failsafe limit: see helpers). */
const until = (cond: () => boolean): Promise<void> => untilHolds(cond, String(cond));

function eventpollFds(): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[eventpoll]';
    } catch {
      return false;
    }
  }).length;
}

const leakCheckAtEnd = fdLeakCheck();

describe('start and stop', () => {
  test('start delivers each ready fd; stop silences; start again resumes', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const seen: Array<[number, number]> = [];
    try {
      ep.register(r);
      assert.equal(ep.start((fd, ev) => {
        seen.push([fd, ev]);
        read(fd, scratch);
      }), ep, 'start() returns this');
      write(w, byte);
      await until(() => seen.length === 1);
      assert.deepEqual(seen, [[r, EPOLLIN]]);
      assert.equal(ep.stop(), ep);
      write(w, byte);
      await loopBarrier();
      assert.equal(seen.length, 1, 'nothing delivered while stopped');
      ep.start((fd, ev) => {
        seen.push([fd, ev]);
        read(fd, scratch);
      });
      await until(() => seen.length === 2);
      assert.deepEqual(seen[1], [r, EPOLLIN], 'the byte written while stopped is reported after start');
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('a second start() replaces the listener', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const calls: string[] = [];
    try {
      ep.register(r);
      ep.start(() => calls.push('first'));
      ep.start((fd) => {
        calls.push('second');
        read(fd, scratch);
      });
      write(w, byte);
      await until(() => calls.length >= 1);
      assert.deepEqual(calls, ['second']);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('microtasks and nextTicks queued by a listener run before the next batch', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const order: string[] = [];
    try {
      ep.register(r);
      ep.start((fd) => {
        read(fd, scratch);
        order.push('event');
        process.nextTick(() => order.push('tick'));
        void Promise.resolve().then(() => order.push('micro'));
        if (order.filter((x) => x === 'event').length === 1) write(w, byte);
      });
      write(w, byte);
      await until(() => order.filter((x) => x === 'event').length === 2);
      assert.deepEqual(order.slice(0, 4), ['event', 'tick', 'micro', 'event']);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('several Epoll instances, each on its own', async () => {
    const eps = [new Epoll(), new Epoll(), new Epoll()];
    const pipes = eps.map(() => pipe());
    const got = eps.map(() => [] as number[]);
    try {
      eps.forEach((ep, i) => {
        ep.register(pipes[i]![0]);
        ep.start((fd) => {
          got[i]!.push(fd);
          read(fd, scratch);
        });
      });
      write(pipes[1]![1], byte);
      await until(() => got[1]!.length === 1);
      await loopBarrier();
      assert.deepEqual(got, [[], [pipes[1]![0]], []]);
    } finally {
      for (const ep of eps) ep.close();
      for (const [r, w] of pipes) {
        close(r);
        close(w);
      }
    }
  });

  test('bad listener: TypeError, nothing started', () => {
    const ep = new Epoll();
    try {
      assert.throws(() => ep.start('x' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => ep.start(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      ep.close();
    }
  });
});

describe('changes from inside a listener', () => {
  /** Two read ends made readable at once, registered with a fresh Epoll. */
  function twoReady(): { ep: Epoll; fds: number[]; cleanup(): void } {
    const ep = new Epoll();
    const [r1, w1] = pipe();
    const [r2, w2] = pipe();
    ep.register(r1);
    ep.register(r2);
    write(w1, byte);
    write(w2, byte);
    const all = [r1, w1, r2, w2];
    return {
      ep,
      fds: [r1, r2],
      cleanup: () => {
        ep.close();
        for (const fd of all) if (isOpen(fd)) close(fd);
      },
    };
  }

  test('an fd unregistered earlier in the same batch gets none of its events', async () => {
    const { ep, fds, cleanup } = twoReady();
    const seen: number[] = [];
    try {
      ep.start((fd) => {
        seen.push(fd);
        const other = fd === fds[0] ? fds[1]! : fds[0]!;
        if (seen.length === 1) ep.unregister(other);
        read(fd, scratch);
      });
      await until(() => seen.length >= 1);
      await loopBarrier();
      assert.equal(seen.length, 1, `delivered ${JSON.stringify(seen)}`);
    } finally {
      cleanup();
    }
  });

  test('an fd closed in the batch, its number reused at once: the old events are not delivered', async () => {
    const { ep, fds, cleanup } = twoReady();
    const seen: number[] = [];
    let reused: number[] = [];
    try {
      ep.start((fd) => {
        seen.push(fd);
        if (seen.length === 1) {
          const other = fd === fds[0] ? fds[1]! : fds[0]!;
          close(other); // unregistered by the kernel, but still in this batch
          reused = pipe(); // the lowest free number: `other`'s
          assert.ok(reused.includes(other), 'the number was reused');
        }
        read(fd, scratch);
      });
      await until(() => seen.length >= 1);
      await loopBarrier();
      assert.equal(seen.length, 1, `delivered ${JSON.stringify(seen)}`);
    } finally {
      for (const fd of reused) close(fd);
      cleanup();
    }
  });

  test('register, modify, stop and close from inside a listener', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const [r2, w2] = pipe();
    const seen: Array<[number, number]> = [];
    try {
      ep.register(r);
      ep.start((fd, ev) => {
        seen.push([fd, ev]);
        if (fd === r) {
          read(r, scratch);
          ep.register(r2); // new registration from the listener
          ep.modify(r, EPOLLIN | EPOLLOUT); // harmless: a pipe's read end is never writable
          write(w2, byte);
        } else {
          ep.stop();
        }
      });
      write(w, byte);
      await until(() => seen.length === 2);
      assert.deepEqual(seen, [
        [r, EPOLLIN],
        [r2, EPOLLIN],
      ]);
      await loopBarrier();
      assert.equal(seen.length, 2, 'stop() from the listener stopped delivery although r2 is still readable');
      ep.start(() => ep.close());
      await until(() => ep.closed);
      assert.equal(ep.fd, -1);
    } finally {
      ep.close();
      for (const fd of [r, w, r2, w2]) close(fd);
    }
  });

  test('stop() mid-batch: the rest of the batch is not delivered', async () => {
    const { ep, cleanup } = twoReady();
    let calls = 0;
    try {
      ep.start(() => {
        calls++;
        ep.stop();
      });
      await until(() => calls >= 1);
      await loopBarrier();
      assert.equal(calls, 1);
    } finally {
      cleanup();
    }
  });
});

describe('a listener that throws', () => {
  test('surfaces as uncaughtException after its batch; the watch goes on', async () => {
    // The next batch's byte is written once both errors have surfaced (so after the
    // first batch, however slow the machine: a timer could fire before the first batch
    // and put both bytes in one read). The result is printed at exit, when nothing more
    // can be delivered.
    const script = `
      const { Epoll, pipe, read, write } = require('./src/index');
      const errors = [];
      const ep = new Epoll();
      const a = pipe(), b = pipe();
      process.on('uncaughtException', (err) => {
        errors.push(err.message);
        if (errors.length === 2) write(a[1], Buffer.from('y'));
      });
      ep.register(a[0]); ep.register(b[0]);
      write(a[1], Buffer.from('x')); write(b[1], Buffer.from('x'));
      const seen = [];
      ep.start((fd) => {
        seen.push(fd);
        read(fd, Buffer.alloc(8));
        if (seen.length <= 2) throw new Error('boom ' + seen.length);
        ep.close();
      });
      process.on('exit', () => console.log(JSON.stringify({ seen: seen.length, errors })));`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { seen: number; errors: string[] };
    assert.equal(out.seen, 3, 'both events of the first batch delivered, then the next batch');
    assert.deepEqual(out.errors.sort(), ['boom 1', 'boom 2']);
  });

  test('with no handler, the process dies of it like any Node callback exception', async () => {
    const script = `
      const { Epoll, pipe, write } = require('./src/index');
      const ep = new Epoll();
      const [r, w] = pipe();
      ep.register(r);
      write(w, Buffer.from('x'));
      ep.start(() => { throw new Error('listener failed'); });`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Error: listener failed/);
  });
});

describe('ref and unref', () => {
  test('unref() lets the process exit; a started, ref\'d watch keeps it alive', async () => {
    const prog = (unref: boolean): string => `
      const { Epoll, pipe } = require('./src/index');
      const ep = new Epoll();
      const [r] = pipe();
      ep.register(r);
      ep.start(() => {})${unref ? '.unref()' : ''};`;
    // An unref()d timer probes whether the process is still there after 300 ms; only the
    // watch can keep it alive that long (then stop() lets it exit).
    const probe = "setTimeout(() => { console.log('alive'); ep.stop(); }, 300).unref();";
    const [quick, held, reffed] = await Promise.all([
      runNode(['-e', `${prog(true)} ${probe}`], { timeoutMs: 10000 }),
      runNode(['-e', `${prog(false)} ${probe}`], { timeoutMs: 10000 }),
      runNode(['-e', `${prog(true)} ep.ref(); ${probe}`], { timeoutMs: 10000 }),
    ]);
    assert.equal(quick.code, 0, quick.stderr);
    assert.equal(quick.stdout, '', 'unref()d: exited without waiting for the watch');
    assert.equal(held.code, 0, held.stderr);
    assert.equal(held.stdout, 'alive\n', 'a started watch held the process until stop()');
    assert.equal(reffed.code, 0, reffed.stderr);
    assert.equal(reffed.stdout, 'alive\n', 'ref() again held it until stop()');
  });
});

describe('wait() and events()', () => {
  test('wait() resolves with the next batch', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      setTimeout(() => write(w, byte), 20);
      assert.deepEqual(await ep.wait(), [[r, EPOLLIN]]);
      read(r, scratch);
      const t0 = Date.now();
      assert.deepEqual(await ep.wait(50), [], 'timeout resolves with []');
      assert.ok(Date.now() - t0 >= 45);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('wait() with an AbortSignal, and when closed meanwhile', async () => {
    const ep = new Epoll();
    try {
      const ac = new AbortController();
      const p = ep.wait(undefined, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('enough')), 10);
      await assert.rejects(p, (err: Error & { code?: string; cause?: Error }) => {
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ABORT_ERR');
        assert.equal(err.cause?.message, 'enough');
        return true;
      });
      await assert.rejects(ep.wait(100, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
      await assert.rejects(ep.wait(NaN), { code: 'ERR_OUT_OF_RANGE' });
      await assert.rejects(ep.wait(1, { signal: 'x' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
      const pending = ep.wait();
      setTimeout(() => ep.close(), 10);
      await assert.rejects(pending, { code: 'ERR_IOREADY_CLOSED' });
    } finally {
      ep.close();
    }
  });

  test('events() yields batches until close()', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      write(w, byte);
      const batches: Array<Array<[number, number]>> = [];
      for await (const batch of ep.events()) {
        batches.push(batch);
        read(r, scratch);
        if (batches.length < 3) setTimeout(() => write(w, byte), 5);
        else setTimeout(() => ep.close(), 5);
      }
      assert.equal(batches.length, 3);
      assert.ok(batches.every((b) => b.length === 1 && b[0]![0] === r && b[0]![1] === EPOLLIN));
      assert.equal(ep.closed, true);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('events({ signal }): an abort ends the iterator as it ends a wait(), with an AbortError', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    try {
      ep.register(r);
      // Aborted while a next() is pending: that next() rejects; the iterator is done.
      const ac = new AbortController();
      const it = ep.events({ signal: ac.signal });
      write(w, byte);
      assert.deepEqual(await it.next(), { done: false, value: [[r, EPOLLIN]] });
      read(r, scratch);
      const pending = it.next();
      setTimeout(() => ac.abort(new Error('enough')), 10);
      await assert.rejects(pending, (err: Error & { code?: string; cause?: Error }) => {
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ABORT_ERR');
        assert.equal(err.cause?.message, 'enough');
        return true;
      });
      write(w, byte); // ready again: a done iterator does not report it
      assert.deepEqual(await it.next(), { done: true, value: undefined });
      read(r, scratch);

      // In a for await: the loop ends by the rejection, the batches before it delivered.
      const ac2 = new AbortController();
      const batches: unknown[] = [];
      write(w, byte);
      await assert.rejects(
        (async () => {
          for await (const batch of ep.events({ signal: ac2.signal })) {
            batches.push(batch);
            read(r, scratch);
            setTimeout(() => ac2.abort(), 5);
          }
        })(),
        { code: 'ABORT_ERR' },
      );
      assert.deepEqual(batches, [[[r, EPOLLIN]]]);

      // Aborted before: the first next() rejects at once, even with an fd ready.
      write(w, byte);
      const early = ep.events({ signal: AbortSignal.abort() });
      await assert.rejects(early.next(), { code: 'ABORT_ERR' });
      assert.deepEqual(await early.next(), { done: true, value: undefined });
      read(r, scratch);

      // The same checks as wait()'s, at once.
      assert.throws(() => ep.events({ signal: 'x' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => ep.events(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
      // No signal, or not aborted: close() still ends it quietly.
      const quiet = ep.events({ signal: new AbortController().signal });
      const next = quiet.next();
      setTimeout(() => ep.close(), 5);
      assert.deepEqual(await next, { done: true, value: undefined });
      assert.throws(() => ep.events(), { code: 'ERR_IOREADY_CLOSED' });
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('a listener and waiters share a batch', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    const seen: number[] = [];
    try {
      ep.register(r);
      ep.start((fd) => seen.push(fd));
      const p = ep.wait();
      write(w, byte);
      assert.deepEqual(await p, [[r, EPOLLIN]]);
      assert.ok(seen.includes(r));
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });
});

describe('the watch between batches', () => {
  for (const mode of ['uv', 'thread']) {
    test(`${mode}: a forgotten Epoll whose wait() resolved is closed by GC (the idle watch holds nothing)`, async () => {
      const script = `
        const fs = require('node:fs');
        const { Epoll, pipe, write } = require('./src/index');
        const count = () => fs.readdirSync('/proc/self/fd')
          .filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[eventpoll]'; } catch { return false; } }).length;
        const threads = () => fs.readdirSync('/proc/self/task').length;
        const before = count(), threadsBefore = threads();
        const [r, w] = pipe();
        write(w, Buffer.from('x'));
        (async () => {
          for (let i = 0; i < 20; i++) {
            const ep = new Epoll();
            ep.register(r);
            await ep.wait(); // resolved: the watch is idle now, still armed
          }
          const during = count();
          globalThis.gc();
          setTimeout(() => { globalThis.gc(); setTimeout(() => {
            console.log(JSON.stringify({ before, during, after: count(), threadsBefore, threadsAfter: threads() }));
          }, 100); }, 100);
        })();`;
      const res = await runNode(['-e', script], { nodeArgs: ['--expose-gc'], env: { ...process.env, IOREADY_WATCH: mode } });
      assert.equal(res.code, 0, res.stderr);
      const r = JSON.parse(res.stdout) as Record<string, number>;
      assert.equal(r.during, r.before + 20);
      assert.equal(r.after, r.before, 'the 20 forgotten epoll fds are closed');
      assert.equal(r.threadsAfter, r.threadsBefore, 'and their bridge threads joined');
    });
  }

  test('thread: wait() after wait() reuses one parked thread (none created per batch)', async () => {
    const script = `
      const fs = require('node:fs');
      const { Epoll, pipe, read, write } = require('./src/index');
      const tids = () => new Set(fs.readdirSync('/proc/self/task'));
      const ep = new Epoll();
      const [r, w] = pipe();
      ep.register(r);
      const initial = tids();
      const seen = new Set();
      (async () => {
        for (let i = 0; i < 20; i++) {
          write(w, Buffer.from('x'));
          const batch = await ep.wait();
          read(r, Buffer.alloc(8));
          if (batch.length !== 1) throw new Error('batch ' + JSON.stringify(batch));
          for (const t of tids()) if (!initial.has(t)) seen.add(t);
          await new Promise((resolve) => setImmediate(resolve)); // idle between batches: the thread parks
        }
        ep.close();
        console.log(JSON.stringify({ newThreads: seen.size }));
      })();`;
    const res = await runNode(['-e', script], { env: { ...process.env, IOREADY_WATCH: 'thread' } });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { newThreads: 1 });
  });
});

describe('worker_threads', () => {
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    require('tsx/cjs');
    const { Epoll, pipe, read, write, close } = require(workerData.root + '/src/index');
    const ep = new Epoll();
    const a = pipe(), b = pipe();
    ep.register(a[0]); ep.register(b[0]);
    const buf = Buffer.alloc(1);
    let trips = 0;
    ep.start((fd) => {
      read(fd, buf);
      if (fd === a[0]) write(b[1], buf);
      else if (++trips < workerData.trips) write(a[1], buf);
      else {
        for (const fd of [...a, ...b]) close(fd);
        if (workerData.leaveOpen) parentPort.postMessage({ trips, epfd: ep.fd });
        else { ep.close(); parentPort.postMessage({ trips, epfd: -1 }); }
      }
    });
    write(a[1], Buffer.from('x'));`;

  function runWorker(trips: number, leaveOpen: boolean): Promise<{ trips: number; epfd: number }> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerCode, { eval: true, workerData: { root: `${__dirname}/..`, trips, leaveOpen } });
      let msg: { trips: number; epfd: number } | undefined;
      worker.on('message', (m: { trips: number; epfd: number }) => {
        msg = m;
        if (leaveOpen) void worker.terminate();
      });
      worker.on('error', reject);
      worker.on('exit', () => (msg ? resolve(msg) : reject(new Error('worker exited without a result'))));
    });
  }

  test('each worker has its own Epoll on its own loop, side by side', async () => {
    const results = await Promise.all([runWorker(2000, false), runWorker(2000, false)]);
    assert.deepEqual(results.map((r) => r.trips), [2000, 2000]);
  });

  test('a worker that exits with a started watch closes its epoll fd (cleanup hook)', async () => {
    const before = eventpollFds();
    const res = await runWorker(100, true);
    assert.equal(res.trips, 100);
    assert.ok(res.epfd > 0);
    assert.equal(eventpollFds(), before, 'the worker\'s epoll fd is closed at thread exit');
  });
});

describe('no leak', () => {
  test('200,000 events through start(): fd count flat, RSS bounded', async () => {
    const ep = new Epoll();
    const a = pipe();
    const b = pipe();
    const one = Buffer.alloc(1);
    const fdsBefore = fdCount();
    let events = 0;
    const target = 200_000;
    let rssStart = 0;
    try {
      ep.register(a[0]);
      ep.register(b[0]);
      await new Promise<void>((resolve) => {
        ep.start((fd) => {
          read(fd, one);
          events++;
          if (events === 20_000) rssStart = process.memoryUsage.rss();
          if (events >= target) return resolve();
          write(fd === a[0] ? b[1] : a[1], one);
        });
        write(a[1], one);
      });
      const rssGrowth = process.memoryUsage.rss() - rssStart;
      assert.equal(events, target);
      assert.equal(fdCount(), fdsBefore);
      assert.ok(rssGrowth < 32 * 1024 * 1024, `RSS grew ${(rssGrowth / 1048576).toFixed(1)} MiB`);
    } finally {
      ep.close();
      for (const fd of [...a, ...b]) close(fd);
    }
  });
});

describe('start() options.rounds', () => {
  /** Ping-pong between two pipes for one event; says whether the reply came before a setImmediate. */
  async function replyBeforeImmediate(rounds: number | undefined): Promise<string[]> {
    const ep = new Epoll();
    const a = pipe();
    const b = pipe();
    const order: string[] = [];
    try {
      ep.register(a[0]);
      ep.register(b[0]);
      await new Promise<void>((resolve) => {
        ep.start(
          (fd) => {
            read(fd, scratch);
            if (fd === a[0]) {
              order.push('request');
              setImmediate(() => order.push('immediate'));
              write(b[1], byte); // the reply makes another watched fd ready at once
            } else {
              order.push('reply');
              setImmediate(resolve); // after the 'immediate' queued before it, if it has not run yet
            }
          },
          rounds === undefined ? undefined : { rounds },
        );
        write(a[1], byte);
      });
      return order;
    } finally {
      ep.close();
      for (const fd of [...a, ...b]) close(fd);
    }
  }

  test('default (64): polls again within the turn; rounds: 1 is one batch per loop turn, as libuv does', async () => {
    assert.deepEqual(await replyBeforeImmediate(undefined), ['request', 'reply', 'immediate']);
    assert.deepEqual(await replyBeforeImmediate(4), ['request', 'reply', 'immediate']);
    assert.deepEqual(await replyBeforeImmediate(1), ['request', 'immediate', 'reply']);
  });

  test('default: nextTicks and microtasks run after each round, and the rounds stay within one turn', async () => {
    const ep = new Epoll();
    const a = pipe();
    const b = pipe();
    const order: string[] = [];
    try {
      ep.register(a[0]);
      ep.register(b[0]);
      await new Promise<void>((resolve) => {
        let events = 0;
        ep.start((fd) => {
          read(fd, scratch);
          const i = ++events;
          order.push(`event ${i}`);
          if (i === 1) setImmediate(() => order.push('immediate'));
          process.nextTick(() => order.push(`tick ${i}`));
          void Promise.resolve().then(() => order.push(`micro ${i}`));
          if (i < 6) write(fd === a[0] ? b[1] : a[1], byte); // the other pipe: a new round
          else setTimeout(resolve, 10);
        });
        write(a[1], byte);
      });
      const expected = [1, 2, 3, 4, 5, 6].flatMap((i) => [`event ${i}`, `tick ${i}`, `micro ${i}`]);
      assert.deepEqual(order, [...expected, 'immediate']);
    } finally {
      ep.close();
      for (const fd of [...a, ...b]) close(fd);
    }
  });

  test('--pending-deprecation: the addon runs the rounds (no runNextTicks, no DEP0134 warning); the same order', async () => {
    // Without Node's runNextTicks (under --pending-deprecation touching it warns) each
    // round is its own napi_make_callback: the same guarantee, by the other path.
    const script = `
      const { Epoll, pipe, read, write } = require('./src/index');
      const ep = new Epoll();
      const a = pipe(), b = pipe();
      ep.register(a[0]); ep.register(b[0]);
      const order = [];
      let events = 0;
      const buf = Buffer.alloc(8);
      ep.start((fd) => {
        read(fd, buf);
        const i = ++events;
        order.push('event ' + i);
        if (i === 1) setImmediate(() => order.push('immediate'));
        process.nextTick(() => order.push('tick ' + i));
        Promise.resolve().then(() => order.push('micro ' + i));
        if (i < 4) write(fd === a[0] ? b[1] : a[1], Buffer.from('x'));
        else ep.close();
      });
      write(a[1], Buffer.from('x'));
      process.on('exit', () => console.log(JSON.stringify(order)));`;
    const res = await runNode(['-e', script], { nodeArgs: ['--pending-deprecation'] });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /DEP0134|DeprecationWarning/);
    const expected = [1, 2, 3, 4].flatMap((i) => [`event ${i}`, `tick ${i}`, `micro ${i}`]);
    assert.deepEqual(JSON.parse(res.stdout), [...expected, 'immediate']);
  });

  test('default: an undrained level-triggered fd is reported once per turn, even while other fds keep rounds going', async () => {
    const ep = new Epoll();
    const idle = pipe(); // readable, drained only in a setImmediate
    const a = pipe();
    const b = pipe();
    const order: string[] = [];
    try {
      for (const fd of [idle[0], a[0], b[0]]) ep.register(fd);
      await new Promise<void>((resolve) => {
        let trips = 0;
        let drains = 0;
        ep.start((fd) => {
          if (fd === idle[0]) {
            order.push('idle');
            setImmediate(() => {
              read(fd, scratch);
              order.push('drained');
              if (++drains < 3) write(idle[1], byte);
              else resolve();
            });
            return;
          }
          read(fd, scratch);
          if (++trips < 200) write(fd === a[0] ? b[1] : a[1], byte); // ping-pong alongside
        });
        write(idle[1], byte);
        write(a[1], byte);
      });
      assert.deepEqual(order, ['idle', 'drained', 'idle', 'drained', 'idle', 'drained']);
    } finally {
      ep.close();
      for (const fd of [...idle, ...a, ...b]) close(fd);
    }
  });

  test('default: edge-triggered and one-shot events are delivered every round they come (never dropped as repeats)', async () => {
    for (const mode of [EPOLLET, EPOLLONESHOT]) {
      const ep = new Epoll();
      const [r, w] = pipe();
      let calls = 0;
      try {
        ep.register(r, EPOLLIN | mode);
        await new Promise<void>((resolve) => {
          ep.start(() => {
            // Never drained: a new byte is a new edge (ET); modify re-arms (one-shot).
            if (++calls === 3) return resolve();
            write(w, byte);
            if (mode === EPOLLONESHOT) ep.modify(r, EPOLLIN | EPOLLONESHOT);
          });
          write(w, byte);
        });
        assert.equal(calls, 3);
      } finally {
        ep.close();
        close(r);
        close(w);
      }
    }
  });

  test('default: a listener that drains in setImmediate gets each readiness once', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    let calls = 0;
    try {
      ep.register(r);
      let drained = 0;
      ep.start((fd) => {
        calls++;
        setImmediate(() => {
          read(fd, scratch);
          drained++;
        });
      });
      // One byte at a time, each written once the last one was read (two in the pipe
      // would be one readiness).
      for (let i = 1; i <= 5; i++) {
        write(w, byte);
        await until(() => drained >= i);
        assert.equal(calls, i, `readiness ${i} delivered once, not again before its setImmediate drained it`);
      }
      await loopBarrier();
      assert.equal(calls, 5);
    } finally {
      ep.close();
      close(r);
      close(w);
    }
  });

  test('misuse: rounds outside 1-64 or not an integer; bad options', () => {
    const ep = new Epoll();
    try {
      for (const bad of [0, 65, -1]) assert.throws(() => ep.start(() => {}, { rounds: bad }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => ep.start(() => {}, { rounds: 1.5 }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => ep.start(() => {}, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      ep.start(() => {}, { rounds: 64 }).start(() => {}, { rounds: 2 }).stop();
    } finally {
      ep.close();
    }
  });
});

leakCheckAtEnd();
