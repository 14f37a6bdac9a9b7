// The synchronous Epoll: Python's select.epoll, checked against the kernel.
// CPython's Lib/test/test_epoll.py is the checklist; these are its cases and more.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  close,
  Epoll,
  EPOLL_MAX_EVENTS,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  eventNames,
  pipe,
  POLLIN,
  POLLNVAL,
  read,
  shutdown,
  socketpair,
  write,
} from '../src/index';
import * as ioready from '../src/index';
import { DISPOSE, elapsedMs, epollRegistrations, fdCount, fdFlags, hasPython, isOpen, O_CLOEXEC_FLAG, fdLeakCheck, runNode, signalWhenBlocked, whenBlocked } from './helpers';

const byte = Buffer.from('x');

function withEpoll(fn: (ep: Epoll) => void): void {
  const ep = new Epoll();
  try {
    fn(ep);
  } finally {
    ep.close();
  }
}

/** Fds made by a test, closed at its end whatever happens. */
function fds(): { add<T extends number[]>(...f: T): T; closeAll(): void } {
  const open: number[] = [];
  return {
    add: (...f) => (open.push(...f), f),
    closeAll: () => {
      for (const fd of open.splice(0)) if (isOpen(fd)) close(fd);
    },
  };
}

const leakCheckAtEnd = fdLeakCheck();

describe('lifecycle', () => {
  test('create, fd, fileno, closed, close is idempotent', () => {
    const ep = new Epoll();
    assert.ok(Number.isInteger(ep.fd) && ep.fd > 2);
    assert.equal(ep.fileno(), ep.fd);
    assert.equal(ep.closed, false);
    assert.ok(isOpen(ep.fd));
    const fd = ep.fd;
    ep.close();
    assert.equal(ep.closed, true);
    assert.equal(ep.fd, -1);
    assert.equal(isOpen(fd), false);
    ep.close();
    assert.equal(ep.closed, true);
  });

  test('close-on-exec by default, and not with cloexec: false', () => {
    withEpoll((ep) => assert.ok(fdFlags(ep.fd) & O_CLOEXEC_FLAG));
    const ep = new Epoll({ cloexec: false });
    try {
      assert.equal(fdFlags(ep.fd) & O_CLOEXEC_FLAG, 0);
    } finally {
      ep.close();
    }
  });

  test('Symbol.dispose closes', () => {
    let fd: number;
    {
      const ep = new Epoll();
      fd = ep.fd;
      ep[DISPOSE]();
      assert.equal(ep.closed, true);
    }
    assert.equal(isOpen(fd), false);
  });

  test('fromFd refuses, at once, an fd that is not an epoll fd, and a closed one', () => {
    const [r, w] = pipe();
    const s = socketpair();
    try {
      for (const fd of [r, s[0]]) {
        const link = fs.readlinkSync(`/proc/self/fd/${fd}`);
        assert.throws(() => Epoll.fromFd(fd), (err: TypeError & { code?: string }) => {
          assert.ok(err instanceof TypeError);
          assert.equal(err.code, 'ERR_INVALID_ARG_VALUE');
          assert.equal(err.message, `The argument 'fd' must be an epoll fd; it is ${link}. Received ${fd}`);
          return true;
        });
        assert.ok(isOpen(fd), 'a refused fd is not closed: the caller still owns it');
      }
      const ep = new Epoll();
      const fd = ep.fd;
      ep.close();
      assert.throws(() => Epoll.fromFd(fd), { code: 'EBADF', syscall: 'fcntl' });
    } finally {
      for (const fd of [r, w, ...s]) close(fd);
    }
  });

  test('fromFd adopts an epoll fd and owns it (test_fromfd)', () => {
    const ep = new Epoll({ cloexec: false });
    const fd = ep.fd;
    const [r, w] = pipe();
    try {
      ep.register(r);
      const dup = Epoll.fromFd(fd);
      assert.equal(dup.fd, fd);
      write(w, byte);
      assert.deepEqual(dup.poll(0), [[r, EPOLLIN]]);
      dup.close();
      assert.equal(isOpen(fd), false);
      // The original object's fd is gone now: the kernel says so.
      assert.throws(() => ep.poll(0), { code: 'EBADF', syscall: 'epoll_wait' });
      // Two owners of one fd is a bug, and close() says so rather than hide it.
      assert.throws(() => ep.close(), { code: 'EBADF', syscall: 'close' });
      assert.equal(ep.closed, true);
    } finally {
      close(r);
      close(w);
    }
  });

  test('no fd leak over 10,000 create/close cycles', () => {
    const before = fdCount();
    for (let i = 0; i < 10_000; i++) new Epoll().close();
    assert.equal(fdCount(), before);
  });

  test('a garbage-collected, never-closed Epoll closes its fd (--expose-gc)', async () => {
    const script = `
      const fs = require('node:fs');
      const { Epoll, pipe } = require('./src/index');
      const count = () => fs.readdirSync('/proc/self/fd')
        .filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[eventpoll]'; } catch { return false; } }).length;
      const before = count();
      const [r] = pipe();
      (function () { for (let i = 0; i < 200; i++) new Epoll().register(r); })();
      const during = count();
      globalThis.gc();
      setTimeout(() => { globalThis.gc(); setTimeout(() => {
        console.log(JSON.stringify({ before, during, after: count() }));
      }, 50); }, 50);`;
    const res = await runNode(['-e', script], { nodeArgs: ['--expose-gc'] });
    assert.equal(res.code, 0, res.stderr);
    const { before, during, after } = JSON.parse(res.stdout) as Record<string, number>;
    assert.equal(during, before + 200);
    assert.equal(after, before, 'the 200 forgotten epoll fds are closed');
  });
});

describe('register, modify, unregister', () => {
  test('register defaults to EPOLLIN (not Python\'s IN|OUT|PRI)', () => {
    withEpoll((ep) => {
      const [a, b] = socketpair();
      try {
        ep.register(a);
        assert.equal(epollRegistrations(ep.fd).get(a), EPOLLIN | EPOLLERR | EPOLLHUP, 'the kernel adds ERR and HUP itself');
        assert.deepEqual(ep.poll(0), [], 'a writable socket is not reported: EPOLLOUT was not asked');
      } finally {
        close(a);
        close(b);
      }
    });
  });

  test('accepts fd objects: { fd } and { fileno() } (test_add)', () => {
    withEpoll((ep) => {
      const [a, b] = socketpair();
      try {
        ep.register({ fd: a }, EPOLLIN | EPOLLOUT);
        ep.register({ fileno: () => b }, EPOLLIN | EPOLLOUT);
        assert.deepEqual(
          ep.poll(0).sort((x, y) => x[0] - y[0]),
          [
            [a, EPOLLOUT],
            [b, EPOLLOUT],
          ],
        );
        ep.unregister({ fd: a });
        ep.modify({ fileno: () => b }, EPOLLIN);
        assert.deepEqual(ep.poll(0), []);
      } finally {
        close(a);
        close(b);
      }
    });
  });

  test('the kernel\'s errors: EEXIST, ENOENT, EBADF, EPERM', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      const file = path.join(os.tmpdir(), `ioready-${process.pid}.txt`);
      fs.writeFileSync(file, 'x');
      const ffd = fs.openSync(file, 'r');
      try {
        ep.register(r);
        assert.throws(() => ep.register(r), {
          name: 'Error',
          code: 'EEXIST',
          errno: -17,
          syscall: 'epoll_ctl',
          message: 'EEXIST: file already exists, epoll_ctl',
        });
        assert.throws(() => ep.modify(w, EPOLLOUT), { code: 'ENOENT', syscall: 'epoll_ctl' });
        assert.throws(() => ep.unregister(w), { code: 'ENOENT', syscall: 'epoll_ctl' });
        assert.throws(() => ep.register(ffd), { code: 'EPERM', syscall: 'epoll_ctl' });
        assert.throws(() => ep.register(1_000_000), { code: 'EBADF' });
        assert.throws(() => ep.register(ep.fd), { code: 'EINVAL' }, 'an epoll set cannot watch itself');
      } finally {
        fs.closeSync(ffd);
        fs.unlinkSync(file);
        close(r);
        close(w);
      }
    });
  });

  test('unregister of an fd closed after registering is EBADF (as Python >= 3.9)', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      ep.register(r);
      close(r);
      close(w);
      assert.throws(() => ep.unregister(r), { code: 'EBADF', syscall: 'epoll_ctl' });
      assert.equal(epollRegistrations(ep.fd).size, 0, 'the kernel dropped the closed fd itself');
    });
  });

  test('an fd closed while its file lives on elsewhere keeps its registration (epoll(7) Q6)', async () => {
    const ep = new Epoll();
    const [r, w] = pipe();
    // A child inherits r: the same open file description now lives in two processes.
    const child = spawn('sleep', ['infinity'], { stdio: ['ignore', 'ignore', 'ignore', r] });
    try {
      ep.register(r);
      close(r);
      write(w, byte);
      assert.deepEqual(ep.poll(1000), [[r, EPOLLIN]], 'events still come under the closed number');
      assert.throws(() => ep.unregister(r), { code: 'EBADF' }, 'and it can no longer be unregistered by number');
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      assert.deepEqual(ep.poll(0), [], 'gone with the last reference to the file');
    } finally {
      child.kill('SIGKILL');
      close(w);
      ep.close();
    }
  });

  test('EPOLLEXCLUSIVE only at add time: modify with it is EINVAL', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r, EPOLLIN | EPOLLEXCLUSIVE);
        assert.throws(() => ep.modify(r, EPOLLIN | EPOLLEXCLUSIVE), { code: 'EINVAL' });
        assert.throws(() => ep.modify(r, EPOLLIN), { code: 'EINVAL' }, 'an exclusive entry cannot be modified at all');
        const [r2, w2] = pipe();
        try {
          assert.throws(() => ep.register(r2, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT), { code: 'EINVAL' });
        } finally {
          close(r2);
          close(w2);
        }
      } finally {
        close(r);
        close(w);
      }
    });
  });
});

describe('poll', () => {
  test('control and wait over a socket pair (test_control_and_wait)', () => {
    withEpoll((ep) => {
      const [a, b] = socketpair();
      try {
        ep.register(a, EPOLLIN | EPOLLOUT | EPOLLET);
        ep.register(b, EPOLLIN | EPOLLOUT | EPOLLET);
        let events = ep.poll(1000, 4).sort((x, y) => x[0] - y[0]);
        assert.deepEqual(events, [
          [a, EPOLLOUT],
          [b, EPOLLOUT],
        ]);
        const [none, ms] = elapsedMs(() => ep.poll(50));
        assert.deepEqual(none, [], 'edge-triggered: nothing new, nothing reported');
        assert.ok(ms >= 49, `waited ${ms} ms`);

        write(a, Buffer.from('Hello!'));
        write(b, Buffer.from('world!!!'));
        events = ep.poll(1000, 4).sort((x, y) => x[0] - y[0]);
        assert.deepEqual(events, [
          [a, EPOLLIN | EPOLLOUT],
          [b, EPOLLIN | EPOLLOUT],
        ]);
        ep.unregister(b);
        ep.modify(a, EPOLLOUT);
        assert.deepEqual(ep.poll(1000), [[a, EPOLLOUT]]);
      } finally {
        close(a);
        close(b);
      }
    });
  });

  test('level-triggered: reported until drained', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r, EPOLLIN);
        write(w, Buffer.from('abc'));
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]]);
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]], 'still readable');
        const buf = Buffer.alloc(8);
        assert.equal(read(r, buf), 3);
        assert.equal(read(r, buf), null, 'EAGAIN is null');
        assert.deepEqual(ep.poll(0), []);
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('edge-triggered: one report until new data arrives', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r, EPOLLIN | EPOLLET);
        write(w, Buffer.from('a'));
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]]);
        assert.deepEqual(ep.poll(0), [], 'not drained, but no new edge');
        write(w, Buffer.from('b'));
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]], 'new data, new edge');
        assert.ok((EPOLLET & (EPOLLIN | EPOLLET)) !== 0 && ((EPOLLIN | EPOLLET) & EPOLLET) !== 0);
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('one-shot: reported once, then silent until re-armed by modify', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r, EPOLLIN | EPOLLONESHOT);
        write(w, byte);
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]]);
        assert.deepEqual(ep.poll(0), [], 'disarmed although still readable');
        ep.modify(r, EPOLLIN | EPOLLONESHOT);
        assert.deepEqual(ep.poll(0), [[r, EPOLLIN]], 're-armed');
        assert.deepEqual(ep.poll(0), []);
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('hang-up: HUP and ERR come whether asked or not; RDHUP with IN when the peer goes', () => {
    withEpoll((ep) => {
      const [a, b] = socketpair();
      const [r, w] = pipe();
      try {
        ep.register(a, EPOLLIN | EPOLLRDHUP);
        ep.register(w, EPOLLPRI); // asks for neither OUT nor ERR
        close(b);
        close(r);
        const got = new Map(ep.poll(0));
        assert.equal(got.get(a), EPOLLIN | EPOLLRDHUP | EPOLLHUP);
        assert.equal(got.get(w), EPOLLERR, 'a pipe whose reader is gone reports ERR unasked');
      } finally {
        close(a);
        close(w);
      }
    });
  });

  test('EPOLLRDHUP with EPOLLIN on a half-closed socket pair; then HUP when both sides are shut', () => {
    withEpoll((ep) => {
      const [a, b] = socketpair();
      try {
        ep.register(a, EPOLLIN | EPOLLRDHUP);
        shutdown(b, 'write');
        assert.deepEqual(ep.poll(0), [[a, EPOLLIN | EPOLLRDHUP]], 'the peer will send no more');
        assert.equal(read(a, Buffer.alloc(4)), 0, 'and a read says end of file');
        assert.equal(write(a, Buffer.from('still talking')), 13, 'the other direction still works');
        assert.throws(() => write(b, Buffer.from('x')), { code: 'EPIPE' }, 'b shut its own sending side');
        shutdown(a, 'write');
        assert.deepEqual(ep.poll(0), [[a, EPOLLIN | EPOLLRDHUP | EPOLLHUP]]);
      } finally {
        close(a);
        close(b);
      }
    });
  });

  test('maxEvents limits a batch; -1 and undefined mean as many as are ready', () => {
    withEpoll((ep) => {
      const made = fds();
      try {
        for (let i = 0; i < 10; i++) {
          const [r, w] = made.add(...pipe());
          write(w, byte);
          ep.register(r);
        }
        assert.equal(ep.poll(0, 3).length, 3);
        assert.equal(ep.poll(0, 1).length, 1);
        assert.equal(ep.poll(0, -1).length, 10);
        assert.equal(ep.poll(0).length, 10);
        assert.equal(ep.poll(0, 1_000_000).length, 10, 'a huge maxEvents is clamped, not refused');
      } finally {
        made.closeAll();
      }
    });
  });

  test('1,000 fds ready at once are all reported', () => {
    withEpoll((ep) => {
      const made = fds();
      try {
        const readers = new Set<number>();
        for (let i = 0; i < 1000; i++) {
          const [r, w] = made.add(...pipe());
          write(w, byte);
          ep.register(r);
          readers.add(r);
        }
        const events = ep.poll(0);
        assert.equal(events.length, 1000);
        assert.deepEqual(new Set(events.map(([fd]) => fd)), readers);
        assert.ok(events.every(([, ev]) => ev === EPOLLIN));
        assert.ok(EPOLL_MAX_EVENTS >= 1000);
      } finally {
        made.closeAll();
      }
    });
  });

  test('timeouts: 0 returns at once, 50 waits >= 50 ms, 0.1 waits >= 1 ms', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r);
        const [r0, ms0] = elapsedMs(() => ep.poll(0));
        assert.deepEqual(r0, []);
        assert.ok(ms0 < 250, `poll(0) took ${ms0} ms`); // "at once"; generous for valgrind and a loaded machine
        const [r50, ms50] = elapsedMs(() => ep.poll(50));
        assert.deepEqual(r50, []);
        assert.ok(ms50 >= 50 && ms50 < 2000, `poll(50) took ${ms50} ms`);
        const [r01, ms01] = elapsedMs(() => ep.poll(0.1));
        assert.deepEqual(r01, []);
        assert.ok(ms01 >= 0.99, `poll(0.1) took ${ms01} ms: a fraction rounds up`);
        const [, ms15] = elapsedMs(() => ep.poll(1.5));
        assert.ok(ms15 >= 1.99, `poll(1.5) took ${ms15} ms`);
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('undefined and negative timeouts wait forever (until a child process writes)', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        ep.register(r);
        for (const timeout of [undefined, -1, -0.5]) {
          // The child writes to our pipe through /proc once it sees this thread blocked in epoll_wait.
          const child = spawn('sh', ['-c', whenBlocked('epoll', `printf x > /proc/$1/fd/${w}`), 'sh', String(process.pid)], { stdio: 'ignore' });
          assert.deepEqual(ep.poll(timeout), [[r, EPOLLIN]], 'blocked until the child wrote');
          read(r, Buffer.alloc(4));
          child.unref();
        }
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('EINTR is retried with the remaining time (a real signal during a long poll)', async () => {
    // In a child, so that the signal handler and timing are isolated from the runner.
    const script = `
      const { Epoll, pipe } = require('./src/index');
      const { spawn } = require('node:child_process');
      let signals = 0;
      process.on('SIGUSR2', () => { signals++; });
      const ep = new Epoll();
      const [r] = pipe();
      ep.register(r);
      spawn('sh', ['-c', ${JSON.stringify(signalWhenBlocked('epoll', 2))}, 'sh', String(process.pid)], { stdio: 'ignore' });
      const t0 = process.hrtime.bigint();
      const events = ep.poll(600);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.on('exit', () => console.log(JSON.stringify({ events, ms, signals })));`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { events: unknown[]; ms: number; signals: number };
    assert.deepEqual(out.events, []);
    assert.equal(out.signals, 2, 'both signals arrived while poll() blocked, and their handlers ran after');
    assert.ok(out.ms >= 599 && out.ms < 3000, `poll(600) returned after ${out.ms} ms`);
  });
});

describe('misuse: argument errors come before any system call', () => {
  const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
  const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

  test('bad fds', () => {
    withEpoll((ep) => {
      for (const bad of ['3', 1.5, NaN, Infinity, -Infinity, null, undefined, {}, { fd: '3' }, { fileno: () => 'x' }, [], 3n, true]) {
        assert.throws(() => ep.register(bad as never), TYPE, String(bad));
        assert.throws(() => ep.modify(bad as never, EPOLLIN), TYPE);
        assert.throws(() => ep.unregister(bad as never), TYPE);
      }
      for (const bad of [-1, -100, 2 ** 31, { fd: -1 }, { fileno: () => -5 }]) {
        assert.throws(() => ep.register(bad as never), RANGE, String(bad));
      }
    });
  });

  test('bad event masks', () => {
    withEpoll((ep) => {
      const [r, w] = pipe();
      try {
        for (const bad of ['1', 1.5, NaN, null, {}]) assert.throws(() => ep.register(r, bad as never), TYPE);
        for (const bad of [2 ** 32, -(2 ** 31) - 1]) assert.throws(() => ep.register(r, bad), RANGE);
        assert.equal(epollRegistrations(ep.fd).size, 0, 'nothing registered by a failed call');
        ep.register(r, EPOLLIN | EPOLLET); // negative in JS (bit 31): accepted
        assert.equal(epollRegistrations(ep.fd).get(r), (EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP) >>> 0);
        assert.throws(() => ep.modify(r, 'x' as never), TYPE);
      } finally {
        close(r);
        close(w);
      }
    });
  });

  test('bad timeouts and maxEvents', () => {
    withEpoll((ep) => {
      assert.throws(() => ep.poll(NaN), RANGE);
      assert.throws(() => ep.poll('10' as never), TYPE);
      assert.throws(() => ep.poll(2 ** 31), RANGE);
      assert.throws(() => ep.poll(0, 0), RANGE);
      assert.throws(() => ep.poll(0, -2), RANGE);
      assert.throws(() => ep.poll(0, 1.5), TYPE);
      assert.throws(() => ep.poll(0, NaN), TYPE);
      assert.throws(() => ep.poll(0, '1' as never), TYPE);
      assert.throws(() => new Epoll({ cloexec: 1 } as never), TYPE);
      assert.throws(() => new Epoll(5 as never), TYPE);
      assert.throws(() => Epoll.fromFd(-1), RANGE);
      assert.throws(() => Epoll.fromFd('3' as never), TYPE);
    });
  });

  test('argument errors win over the closed-fd error (no system call made)', () => {
    withEpoll((ep) => {
      assert.throws(() => ep.register(1_000_000, 'x' as never), TYPE);
    });
  });

  test('every call on a closed Epoll throws ERR_IOREADY_CLOSED, except close() and closed', async () => {
    const ep = new Epoll();
    ep.close();
    const CLOSED = { code: 'ERR_IOREADY_CLOSED' };
    assert.throws(() => ep.fileno(), CLOSED);
    assert.throws(() => ep.register(0), CLOSED);
    assert.throws(() => ep.modify(0, EPOLLIN), CLOSED);
    assert.throws(() => ep.unregister(0), CLOSED);
    assert.throws(() => ep.poll(0), CLOSED);
    assert.throws(() => ep.start(() => {}), CLOSED);
    assert.throws(() => ep.stop(), CLOSED);
    assert.throws(() => ep.ref(), CLOSED);
    assert.throws(() => ep.unref(), CLOSED);
    assert.throws(() => ep.events(), CLOSED);
    await assert.rejects(ep.wait(0), CLOSED);
    assert.equal(ep.fd, -1);
    assert.equal(ep.closed, true);
    ep.close();
    ep[DISPOSE]();
  });
});

describe('constants and names', () => {
  test('the kernel\'s values (Python\'s select module agrees)', { skip: !hasPython }, () => {
    const names = ['EPOLLIN', 'EPOLLPRI', 'EPOLLOUT', 'EPOLLERR', 'EPOLLHUP', 'EPOLLRDNORM', 'EPOLLRDBAND', 'EPOLLWRNORM',
      'EPOLLWRBAND', 'EPOLLMSG', 'EPOLLRDHUP', 'EPOLLEXCLUSIVE', 'EPOLLONESHOT', 'EPOLLET', 'POLLIN', 'POLLPRI', 'POLLOUT',
      'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDNORM', 'POLLRDBAND', 'POLLWRNORM', 'POLLWRBAND', 'POLLMSG', 'POLLRDHUP'];
    const py = spawnSync('python3', ['-c', `import select, json; print(json.dumps({n: getattr(select, n) for n in ${JSON.stringify(names)}}))`]);
    const expected = JSON.parse(py.stdout.toString()) as Record<string, number>;
    const actual = Object.fromEntries(names.map((n) => [n, (ioready as unknown as Record<string, number>)[n]]));
    assert.deepEqual(actual, expected);
    assert.equal(ioready.EPOLLWAKEUP, 1 << 29);
  });

  test('eventNames: lowest bit first, unknown bits in hex, never throws on a bit', () => {
    assert.deepEqual(eventNames(EPOLLIN | EPOLLOUT), ['EPOLLIN', 'EPOLLOUT']);
    assert.deepEqual(eventNames(EPOLLOUT | EPOLLIN), ['EPOLLIN', 'EPOLLOUT']);
    assert.deepEqual(eventNames(0), []);
    assert.deepEqual(eventNames(0x1000000), ['0x1000000']);
    assert.deepEqual(eventNames(EPOLLIN | EPOLLET), ['EPOLLIN', 'EPOLLET']);
    assert.deepEqual(eventNames((EPOLLIN | EPOLLET) >>> 0), ['EPOLLIN', 'EPOLLET']);
    assert.deepEqual(eventNames(EPOLLIN | EPOLLRDHUP | 0x800), ['EPOLLIN', '0x800', 'EPOLLRDHUP']);
    assert.deepEqual(eventNames(POLLIN | POLLNVAL, 'poll'), ['POLLIN', 'POLLNVAL']);
    assert.deepEqual(eventNames(0x20), ['0x20'], 'bit 5 has a poll name, not an epoll one');
    assert.equal(eventNames(0xffffffff).length, 32);
    assert.throws(() => eventNames('1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => eventNames(1, 'kqueue' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => eventNames(1, 'constructor' as never), { code: 'ERR_INVALID_ARG_TYPE' }, "Object's names are no tables");
  });
});

describe('examples', () => {
  test('examples/wait-for-pipe.ts runs and prints the readiness', async () => {
    const res = await runNode(['examples/wait-for-pipe.ts']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^fd \d+ ready: EPOLLIN: hello\n$/);
  });
});

leakCheckAtEnd();
