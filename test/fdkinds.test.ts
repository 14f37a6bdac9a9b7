// eventfd, timerfd and inotify: real kernel objects, watched by Epoll.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  close, Epoll, EPOLLIN, EPOLLOUT, eventfd, eventfdRead, eventfdWrite, EVENTFD_MAX, IN_ALL_EVENTS, IN_ATTRIB,
  IN_CLOSE, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_IGNORED, IN_ISDIR, IN_MODIFY,
  IN_MOVE, IN_MOVED_FROM, IN_MOVED_TO, IN_ONESHOT, IN_ONLYDIR, IN_Q_OVERFLOW, IN_ACCESS, INOTIFY_MIN_BUFFER,
  inotifyAddWatch, inotifyEventNames, inotifyInit, inotifyRead, inotifyRmWatch, type InotifyEvent, timerfdCreate,
  pipe, read, timerfdGettime, timerfdRead, timerfdSettime, write,
} from '../src/index';
import { fdFlags, fdLeakCheck, O_CLOEXEC_FLAG, O_NONBLOCK_FLAG } from './helpers';

const NONBLOCK_CLOEXEC = O_NONBLOCK_FLAG | O_CLOEXEC_FLAG;

const leakCheckAtEnd = fdLeakCheck();

describe('eventfd', () => {
  it('counter mode: writes add up, a read takes the whole value and resets it', () => {
    const fd = eventfd();
    try {
      assert.equal(fdFlags(fd) & NONBLOCK_CLOEXEC, NONBLOCK_CLOEXEC);
      assert.equal(eventfdRead(fd), null, 'a zero counter is EAGAIN: null');
      assert.equal(eventfdWrite(fd, 2), true);
      assert.equal(eventfdWrite(fd, 40n), true);
      assert.equal(eventfdRead(fd), 42n);
      assert.equal(eventfdRead(fd), null);
      assert.equal(eventfdWrite(fd, EVENTFD_MAX), true);
      assert.equal(eventfdWrite(fd, 1), false, 'past the maximum a non-blocking write is EAGAIN: false');
      assert.equal(eventfdRead(fd), 0xfffffffffffffffen);
    } finally {
      close(fd);
    }
  });

  it('semaphore mode: each read takes 1 and returns 1n until the counter is 0', () => {
    const fd = eventfd(3, { semaphore: true });
    try {
      assert.deepEqual([eventfdRead(fd), eventfdRead(fd), eventfdRead(fd), eventfdRead(fd)], [1n, 1n, 1n, null]);
      eventfdWrite(fd, 2n);
      assert.deepEqual([eventfdRead(fd), eventfdRead(fd), eventfdRead(fd)], [1n, 1n, null]);
    } finally {
      close(fd);
    }
  });

  it('wakes an Epoll: EPOLLIN while non-zero, EPOLLOUT while it can take more', () => {
    const fd = eventfd();
    const ep = new Epoll();
    try {
      ep.register(fd, EPOLLIN | EPOLLOUT);
      assert.deepEqual(ep.poll(0), [[fd, EPOLLOUT]]);
      eventfdWrite(fd, 1);
      assert.deepEqual(ep.poll(0), [[fd, EPOLLIN | EPOLLOUT]]);
      eventfdRead(fd);
      assert.deepEqual(ep.poll(0), [[fd, EPOLLOUT]]);
    } finally {
      ep.close();
      close(fd);
    }
  });

  it('rejects bad values and closed fds', () => {
    assert.throws(() => eventfd(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => eventfd(2 ** 32), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => eventfd(1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => eventfd(0, { semaphore: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
    const fd = eventfd();
    assert.throws(() => eventfdWrite(fd, -1n), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => eventfdWrite(fd, 2n ** 64n - 1n), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => eventfdWrite(fd, 0.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => eventfdWrite(fd, '1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    close(fd);
    assert.throws(() => eventfdRead(fd), { code: 'EBADF', syscall: 'read' });
    assert.throws(() => eventfdWrite(fd, 1), { code: 'EBADF', syscall: 'write' });
  });
});

describe('timerfd', () => {
  it('a 10 ms interval timer counts its expirations', async () => {
    const fd = timerfdCreate('monotonic');
    try {
      assert.equal(fdFlags(fd) & NONBLOCK_CLOEXEC, NONBLOCK_CLOEXEC);
      assert.equal(timerfdRead(fd), null, 'a disarmed timer has not expired');
      const t0 = process.hrtime.bigint(); // before arming: a pause between the two cannot inflate the count
      assert.deepEqual(timerfdSettime(fd, 10, 10), { initialMs: 0, intervalMs: 0 });
      await new Promise((r) => setTimeout(r, 100));
      const count = timerfdRead(fd)!;
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
      // At most one expiration per 10 ms elapsed; at least a few (generous: a busy machine).
      assert.ok(count >= 3n, `expired ${count} times in ${elapsed} ms`);
      assert.ok(Number(count) <= Math.floor(elapsed / 10) + 1, `expired ${count} times in ${elapsed} ms`);
      const now = timerfdGettime(fd);
      assert.equal(now.intervalMs, 10);
      assert.ok(now.initialMs > 0 && now.initialMs <= 10, `next expiration in ${now.initialMs} ms`);
      const old = timerfdSettime(fd, 0);
      assert.equal(old.intervalMs, 10, 'settime returns the previous setting');
      assert.deepEqual(timerfdGettime(fd), { initialMs: 0, intervalMs: 0 }, 'initialMs 0 disarms');
    } finally {
      close(fd);
    }
  });

  it('a one-shot timer wakes an Epoll once, no earlier than asked', () => {
    const fd = timerfdCreate();
    const ep = new Epoll();
    try {
      ep.register(fd, EPOLLIN);
      const t0 = process.hrtime.bigint();
      timerfdSettime(fd, 30);
      assert.deepEqual(ep.poll(5000), [[fd, EPOLLIN]]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.ok(ms >= 29, `woke after ${ms} ms`);
      assert.equal(timerfdRead(fd), 1n);
      assert.deepEqual(ep.poll(50), [], 'a one-shot timer expires once');
    } finally {
      ep.close();
      close(fd);
    }
  });

  it('absolute time on the realtime clock; sub-millisecond times round-trip', () => {
    const fd = timerfdCreate('realtime');
    try {
      timerfdSettime(fd, Date.now() - 1000, 0, { absolute: true }); // in the past: expired at once
      assert.equal(timerfdRead(fd), 1n);
      timerfdSettime(fd, 60000, 0.25);
      const cur = timerfdGettime(fd);
      assert.equal(cur.intervalMs, 0.25);
      assert.ok(cur.initialMs > 59000 && cur.initialMs <= 60000);
    } finally {
      close(fd);
    }
  });

  it('struct itimerspec: seconds up to 2^31 - 1 and the nanoseconds round-trip exactly; beyond a 32-bit time_t, EOVERFLOW, never clamped', () => {
    // 32-bit arm has a 32-bit time_t and long (tv_sec, tv_nsec): 16 bytes of itimerspec
    // there, 32 on 64-bit. A slot read at the wrong offset or width garbles these values.
    const fd = timerfdCreate();
    const hour = 3600000;
    const maxTimeT32 = (2 ** 31 - 1) * 1000 + 0.5; // (2^31 - 1) s + 500000 ns, exact as a double
    const beyond = 2 ** 31 * 1000 + 0.5;
    const timeT32 = ['arm', 'ia32', 'mips', 'mipsel', 'ppc'].includes(process.arch);
    try {
      timerfdSettime(fd, hour, maxTimeT32);
      assert.equal(timerfdGettime(fd).intervalMs, maxTimeT32);
      assert.equal(timerfdSettime(fd, hour, 999.999999).intervalMs, maxTimeT32, 'the old setting, written back');
      assert.equal(timerfdGettime(fd).intervalMs, 999.999999, '999999999 ns in tv_nsec');
      let interval: number | NodeJS.ErrnoException;
      try {
        timerfdSettime(fd, hour, beyond);
        interval = timerfdGettime(fd).intervalMs;
      } catch (err) {
        interval = err as NodeJS.ErrnoException;
      }
      if (typeof interval === 'number') {
        assert.equal(interval, beyond, 'a 64-bit time_t holds 2^31 s');
      } else {
        assert.ok(timeT32, `only a 32-bit time_t refuses 2^31 s (${process.arch}: ${interval.code})`);
        assert.equal(interval.code, 'EOVERFLOW');
        assert.equal(interval.syscall, 'timerfd_settime');
        assert.equal(timerfdGettime(fd).intervalMs, 999.999999, 'a refused setting changes nothing');
      }
      // The first expiration goes through the same check (it_value).
      try {
        timerfdSettime(fd, beyond);
        const left = timerfdGettime(fd).initialMs;
        assert.ok(left > beyond - hour && left <= beyond, `${left} ms left`);
      } catch (err) {
        assert.ok(timeT32, `only a 32-bit time_t refuses 2^31 s (${process.arch}: ${String(err)})`);
        assert.equal((err as NodeJS.ErrnoException).code, 'EOVERFLOW');
      }
      // Past 2^53 - 1 s (far past any time_t): refused before any system call, on every arch.
      assert.throws(() => timerfdSettime(fd, hour, 1e300), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => timerfdSettime(fd, 2 ** 63 * 1000), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    } finally {
      close(fd);
    }
  });

  it('rejects bad clocks and times; a non-timer fd is EINVAL', () => {
    assert.throws(() => timerfdCreate('sundial' as 'monotonic'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => timerfdCreate('toString' as 'monotonic'), { code: 'ERR_INVALID_ARG_VALUE' }, "Object's names are no clocks");
    assert.throws(() => timerfdCreate(999), { code: 'EINVAL', syscall: 'timerfd_create' });
    const fd = timerfdCreate();
    const ev = eventfd();
    try {
      for (const bad of [-1, NaN, Infinity]) {
        assert.throws(() => timerfdSettime(fd, bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        assert.throws(() => timerfdSettime(fd, 1, bad), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      }
      assert.throws(() => timerfdSettime(fd, '10' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => timerfdSettime(fd, 10, 0, { absolute: 1 as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => timerfdSettime(ev, 10), { code: 'EINVAL', syscall: 'timerfd_settime' });
      assert.throws(() => timerfdGettime(ev), { code: 'EINVAL', syscall: 'timerfd_gettime' });
    } finally {
      close(fd);
      close(ev);
    }
    assert.throws(() => timerfdGettime(fd), { code: 'EBADF' });
    assert.throws(() => timerfdRead(fd), { code: 'EBADF' });
  });
});

describe('inotify', () => {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-inotify-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Wait through Epoll for the inotify fd, then read every queued event. */
  function drain(fd: number, ep: Epoll, want: number): InotifyEvent[] {
    const out: InotifyEvent[] = [];
    const deadline = Date.now() + 5000;
    while (out.length < want && Date.now() < deadline) {
      if (ep.poll(deadline - Date.now()).length) out.push(...(inotifyRead(fd) ?? []));
    }
    return out;
  }

  it('reports create, modify, move (with a shared cookie) and delete, names in UTF-8 and raw bytes', () => {
    const fd = inotifyInit();
    const ep = new Epoll();
    try {
      assert.equal(fdFlags(fd) & NONBLOCK_CLOEXEC, NONBLOCK_CLOEXEC);
      assert.equal(inotifyRead(fd), null);
      const wd = inotifyAddWatch(fd, dir, IN_CREATE | IN_MODIFY | IN_MOVE | IN_DELETE);
      ep.register(fd, EPOLLIN);
      const a = path.join(dir, 'é☃');
      const rawName = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]); // 'f', two bytes that are not UTF-8, '.t'
      const rawPath = Buffer.concat([Buffer.from(dir + '/'), rawName]);
      fs.writeFileSync(a, 'x'); // IN_CREATE, IN_MODIFY
      fs.renameSync(a, path.join(dir, 'moved')); // IN_MOVED_FROM, IN_MOVED_TO
      fs.writeFileSync(rawPath, ''); // IN_CREATE (no write: no IN_MODIFY)
      fs.unlinkSync(path.join(dir, 'moved')); // IN_DELETE
      fs.unlinkSync(rawPath); // IN_DELETE
      fs.mkdirSync(path.join(dir, 'sub')); // IN_CREATE | IN_ISDIR
      const evs = drain(fd, ep, 8);
      const summary = evs.map((e) => [inotifyEventNames(e.mask).join('|'), e.name]);
      assert.deepEqual(summary, [
        ['IN_CREATE', 'é☃'],
        ['IN_MODIFY', 'é☃'],
        ['IN_MOVED_FROM', 'é☃'],
        ['IN_MOVED_TO', 'moved'],
        ['IN_CREATE', rawName.toString('utf8')],
        ['IN_DELETE', 'moved'],
        ['IN_DELETE', rawName.toString('utf8')],
        ['IN_CREATE|IN_ISDIR', 'sub'],
      ]);
      assert.ok(evs.every((e) => e.wd === wd));
      const [from, to] = [evs[2]!, evs[3]!];
      assert.ok(from.cookie !== 0 && from.cookie === to.cookie, 'a move pairs by cookie');
      assert.equal(evs[0]!.cookie, 0);
      assert.deepEqual(evs[0]!.nameBuffer, Buffer.from('é☃'));
      assert.deepEqual(evs[4]!.nameBuffer, rawName, 'the raw bytes of a non-UTF-8 name');
      assert.equal(evs[4]!.name, 'f\ufffd\ufffd.t');
    } finally {
      ep.close();
      close(fd);
    }
  });

  it('watches a raw (non-UTF-8) path given as a Buffer; rmWatch ends with IN_IGNORED', () => {
    const fd = inotifyInit();
    const sub = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x64, 0xe9])]); // 'd' + latin-1 é
    fs.mkdirSync(sub);
    try {
      const wd = inotifyAddWatch(fd, sub, IN_ALL_EVENTS | IN_ONLYDIR);
      fs.writeFileSync(Buffer.concat([sub, Buffer.from('/f')]), '');
      const evs = inotifyRead(fd)!;
      assert.deepEqual(evs.map((e) => [e.wd, e.name]), [[wd, 'f'], [wd, 'f'], [wd, 'f']]);
      assert.deepEqual(evs.map((e) => e.mask), [IN_CREATE, 0x20 /* IN_OPEN */, IN_CLOSE_WRITE]);
      assert.equal(inotifyAddWatch(fd, sub, IN_ATTRIB), wd, 'the same path gives the same wd');
      inotifyRmWatch(fd, wd);
      assert.deepEqual(inotifyRead(fd), [{ wd, mask: IN_IGNORED, cookie: 0, name: '' }]);
      assert.throws(() => inotifyRmWatch(fd, wd), { code: 'EINVAL', syscall: 'inotify_rm_watch' });
    } finally {
      close(fd);
      fs.rmSync(sub, { recursive: true });
    }
  });

  it('the watched object itself: IN_DELETE_SELF then IN_IGNORED, name empty; IN_ONESHOT', () => {
    const fd = inotifyInit();
    const file = path.join(dir, 'self');
    fs.writeFileSync(file, 'x');
    try {
      const wd = inotifyAddWatch(fd, file, IN_DELETE_SELF | IN_ATTRIB);
      fs.unlinkSync(file);
      const evs = inotifyRead(fd)!;
      assert.deepEqual(evs.map((e) => inotifyEventNames(e.mask)), [['IN_ATTRIB'], ['IN_DELETE_SELF'], ['IN_IGNORED']]);
      assert.ok(evs.every((e) => e.wd === wd && e.name === '' && e.nameBuffer === undefined));
      fs.writeFileSync(file, 'y');
      inotifyAddWatch(fd, file, IN_ACCESS | IN_CLOSE | IN_ONESHOT);
      fs.readFileSync(file);
      fs.readFileSync(file);
      const once = inotifyRead(fd)!;
      assert.deepEqual(once.map((e) => inotifyEventNames(e.mask)), [['IN_ACCESS'], ['IN_IGNORED']], 'one event, then the watch is gone');
      fs.unlinkSync(file);
    } finally {
      close(fd);
    }
  });

  it('parses many events from one read, and a small caller buffer', () => {
    const fd = inotifyInit();
    try {
      inotifyAddWatch(fd, dir, IN_CREATE);
      for (let i = 0; i < 50; i++) fs.mkdirSync(path.join(dir, `d${i}`));
      const evs = inotifyRead(fd)!;
      assert.equal(evs.length, 50);
      assert.deepEqual(evs.map((e) => e.name), Array.from({ length: 50 }, (_, i) => `d${i}`));
      assert.ok(evs.every((e) => e.mask === (IN_CREATE | IN_ISDIR)));
      for (let i = 0; i < 50; i++) fs.rmdirSync(path.join(dir, `d${i}`));
      fs.mkdirSync(path.join(dir, 'again'));
      const small = Buffer.alloc(INOTIFY_MIN_BUFFER);
      assert.deepEqual(inotifyRead(fd, small)!.map((e) => e.name), ['again']);
      fs.rmdirSync(path.join(dir, 'again'));
      fs.mkdirSync(path.join(dir, 'x'.repeat(40)));
      assert.throws(() => inotifyRead(fd, Buffer.alloc(20)), { code: 'EINVAL', syscall: 'read' }, 'too small for the next event');
      fs.rmdirSync(path.join(dir, 'x'.repeat(40)));
    } finally {
      close(fd);
    }
  });

  it('names every IN_* bit, lowest first, unknown bits in hex', () => {
    assert.deepEqual(inotifyEventNames(IN_CREATE | IN_ISDIR), ['IN_CREATE', 'IN_ISDIR']);
    assert.deepEqual(inotifyEventNames(IN_MOVE), ['IN_MOVED_FROM', 'IN_MOVED_TO']);
    assert.deepEqual(inotifyEventNames(IN_CLOSE), ['IN_CLOSE_WRITE', 'IN_CLOSE_NOWRITE']);
    assert.deepEqual(inotifyEventNames(IN_Q_OVERFLOW | IN_ONESHOT), ['IN_Q_OVERFLOW', 'IN_ONESHOT']);
    assert.deepEqual(inotifyEventNames(0x800000), ['0x800000']);
    assert.deepEqual(inotifyEventNames(0), []);
    assert.equal(inotifyEventNames(IN_ALL_EVENTS).length, 12);
    assert.equal(IN_ONESHOT, 0x80000000);
    assert.equal(IN_CLOSE_NOWRITE, 0x10);
    assert.throws(() => inotifyEventNames(1.5), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('rejects bad paths, masks and fds', () => {
    const fd = inotifyInit({ nonblock: false, cloexec: false });
    try {
      assert.equal(fdFlags(fd) & NONBLOCK_CLOEXEC, 0);
      assert.throws(() => inotifyAddWatch(fd, 'a\0b', IN_CREATE), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => inotifyAddWatch(fd, 42 as unknown as string, IN_CREATE), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => inotifyAddWatch(fd, dir, 1.5), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => inotifyAddWatch(fd, dir, 2 ** 33), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => inotifyAddWatch(fd, path.join(dir, 'nope'), IN_CREATE), { code: 'ENOENT', syscall: 'inotify_add_watch' });
      assert.throws(() => inotifyAddWatch(fd, dir, 0), { code: 'EINVAL' }, 'a mask with no event');
      assert.throws(() => inotifyRmWatch(fd, -1), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => inotifyRead(fd, 'buf' as unknown as Buffer), { code: 'ERR_INVALID_ARG_TYPE' });
      const f = path.join(dir, 'plain');
      fs.writeFileSync(f, '');
      assert.throws(() => inotifyAddWatch(fd, f, IN_CREATE | IN_ONLYDIR), { code: 'ENOTDIR' });
      fs.unlinkSync(f);
    } finally {
      close(fd);
    }
    assert.throws(() => inotifyAddWatch(fd, dir, IN_CREATE), { code: 'EBADF', syscall: 'inotify_add_watch' });
    assert.throws(() => inotifyRead(fd), { code: 'EBADF', syscall: 'read' });
    const ev = eventfd();
    assert.throws(() => inotifyAddWatch(ev, dir, IN_CREATE), { code: 'EINVAL' }, 'not an inotify fd');
    write(ev, Buffer.alloc(8, 1));
    close(ev);
  });
});

describe('eventfdRead and timerfdRead on the wrong kind of fd', () => {
  it('a short read is refused, not parsed with stale bytes', () => {
    const [r, w] = pipe();
    try {
      write(w, Buffer.from('abc'));
      assert.throws(() => eventfdRead(r), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      write(w, Buffer.from('abc'));
      assert.throws(() => timerfdRead(r), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      // The short read took the bytes (one read(2), as in C): nothing is left.
      assert.equal(read(r, Buffer.alloc(8)), null);
    } finally {
      close(r);
      close(w);
    }
  });

  it('the kind is not checked (docs/toolkit.md): 8 bytes of a pipe come back as a number, as in Python and C', () => {
    const [r, w] = pipe();
    try {
      write(w, Buffer.from('abcdefghi'));
      const bytes = Buffer.from('abcdefgh'); // host byte order, as the kernel's counter
      assert.equal(eventfdRead(r), os.endianness() === 'LE' ? bytes.readBigUInt64LE(0) : bytes.readBigUInt64BE(0));
      const rest = Buffer.alloc(8);
      assert.equal(read(r, rest), 1, 'exactly 8 bytes were taken');
      assert.equal(rest.toString('latin1', 0, 1), 'i');
    } finally {
      close(r);
      close(w);
    }
  });
});

leakCheckAtEnd();
