// The smoke suite every runtime must pass: plain JavaScript against the built
// package (dist/), run by scripts/test-runtimes.sh as
//   node test/runtimes/smoke.mjs | bun test/runtimes/smoke.mjs | deno run -A test/runtimes/smoke.mjs
// It exits 0 only if every check passed AND nothing kept the event loop alive
// afterwards (the runner puts a time limit on it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as io from '../../dist/index.mjs';
import compat from '../../dist/compat/epoll.js';

const { Epoll, EPOLLIN, pipe, read, write, close } = io;
const runtime = globalThis.Bun ? `bun ${globalThis.Bun.version}` : globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`;
const fdCount = () => fs.readdirSync('/proc/self/fd').length;
const one = Buffer.from('x');

/**
 * For "nothing more was delivered" checks: resolves once a second, started watch on a
 * pipe that stays readable has delivered three batches. A watch that should be silent
 * but is not (stopped, or closed) would have delivered meanwhile as well: on Node's
 * loop its epoll fd is reported in the same turns; with the thread bridge its own
 * thread has been as ready all along.
 */
async function barrier() {
  const ep = new Epoll();
  const [r, w] = pipe();
  try {
    ep.register(r, EPOLLIN);
    write(w, one);
    await new Promise((resolve) => {
      let n = 0;
      ep.start(() => {
        if (++n === 3) {
          ep.stop();
          resolve();
        }
      });
    });
  } finally {
    ep.close();
    close(r);
    close(w);
  }
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const before = fdCount();
  try {
    await fn();
    assert.equal(fdCount(), before, 'fd count back to where it was');
    passed++;
    console.log(`ok ${passed + failed} - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok ${passed + failed} - ${name}\n  ${String(err?.stack ?? err).replace(/\n/g, '\n  ')}`);
  }
}

/** A pipe and an epoll watching its read end; `use` gets both; everything is closed after. */
async function withPipe(use) {
  const ep = new Epoll();
  const [r, w] = pipe();
  try {
    ep.register(r, EPOLLIN);
    await use(ep, r, w);
  } finally {
    ep.close();
    close(r);
    close(w);
  }
}

console.log(`# ioready smoke on ${runtime}`);

await check('sync poll(): nothing, then the pipe readable, then drained', () =>
  withPipe((ep, r, w) => {
    assert.deepEqual(ep.poll(0), []);
    write(w, one);
    assert.deepEqual(ep.poll(1000), [[r, EPOLLIN]]);
    const buf = Buffer.alloc(8);
    assert.equal(read(r, buf), 1);
    assert.equal(read(r, buf), null, 'EAGAIN is null');
    assert.deepEqual(ep.poll(0), []);
  }));

await check('sync poll(50) waits at least 50 ms', () =>
  withPipe((ep) => {
    const t0 = performance.now();
    assert.deepEqual(ep.poll(50), []);
    assert.ok(performance.now() - t0 >= 49, 'waited');
  }));

await check('misuse: EEXIST, bad fd type, closed epoll', () =>
  withPipe((ep, r) => {
    assert.throws(() => ep.register(r), { code: 'EEXIST', syscall: 'epoll_ctl' });
    assert.throws(() => ep.register('0'), { code: 'ERR_INVALID_ARG_TYPE' });
    const closed = new Epoll();
    closed.close();
    assert.throws(() => closed.poll(0), { code: 'ERR_IOREADY_CLOSED' });
  }));

await check('start(): the listener hears the pipe, from the event loop', () =>
  withPipe(async (ep, r, w) => {
    const got = await new Promise((resolve) => {
      ep.start((fd, events) => {
        read(fd, Buffer.alloc(8));
        resolve([fd, events]);
      });
      setTimeout(() => write(w, one), 10);
    });
    assert.deepEqual(got, [r, EPOLLIN]);
  }));

await check('start(): level-triggered repeats until read; stop() ends delivery', () =>
  withPipe(async (ep, r, w) => {
    let calls = 0;
    write(w, one);
    await new Promise((resolve) => {
      ep.start(() => {
        if (++calls === 3) {
          ep.stop();
          resolve();
        }
      });
    });
    await barrier();
    assert.equal(calls, 3, 'nothing after stop()');
  }));

await check('start(): close() from inside the listener', () =>
  withPipe(async (ep, r, w) => {
    let calls = 0;
    write(w, one);
    await new Promise((resolve) => {
      ep.start(() => {
        calls++;
        ep.close();
        resolve();
      });
    });
    await barrier();
    assert.equal(calls, 1);
    assert.equal(ep.closed, true);
  }));

await check('wait() resolves with a batch, and with [] on timeout', () =>
  withPipe(async (ep, r, w) => {
    assert.deepEqual(await ep.wait(30), []);
    setTimeout(() => write(w, one), 10);
    assert.deepEqual(await ep.wait(5000), [[r, EPOLLIN]]);
  }));

await check('events(): batches as an async iterator, ended by close()', () =>
  withPipe(async (ep, r, w) => {
    write(w, one);
    const batches = [];
    for await (const batch of ep.events()) {
      batches.push(batch);
      ep.close();
    }
    assert.deepEqual(batches, [[[r, EPOLLIN]]]);
  }));

await check('an unref()d watch still delivers', () =>
  withPipe(async (ep, r, w) => {
    const keepAlive = setInterval(() => {}, 1000); // the unref()d watch does not keep the process alive: this does, until the event
    const got = await new Promise((resolve) => {
      ep.unref().start((fd) => resolve(fd));
      write(w, one);
    });
    clearInterval(keepAlive);
    assert.equal(got, r);
  }));

await check("compat/epoll: fivdi's API, callback(null, fd, events)", async () => {
  const [r, w] = pipe();
  try {
    const got = await new Promise((resolve) => {
      const poller = new compat.Epoll((err, fd, events) => {
        read(fd, Buffer.alloc(8));
        poller.remove(fd).close();
        resolve([err, fd, events]);
      });
      assert.equal(poller.add(r, compat.Epoll.EPOLLIN), poller);
      write(w, one);
    });
    assert.deepEqual(got, [null, r, compat.Epoll.EPOLLIN]);
  } finally {
    close(r);
    close(w);
  }
});

console.log(`# ${runtime}: ${passed} passed, ${failed} failed`);
if (failed !== 0) process.exitCode = 1;
