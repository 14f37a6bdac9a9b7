// Every argument check against CONTRACT.md, one table for the whole API:
// where an integer is required, anything that is not one (NaN, Infinity,
// -Infinity, 1.5, a string...) is a TypeError ERR_INVALID_ARG_TYPE and an
// integer outside the range a RangeError ERR_OUT_OF_RANGE, before any system
// call. Timeouts are numbers of ms, not integers: NaN is a RangeError, and
// Infinity waits forever (see the timeout table below).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Epoll as FivdiEpoll } from '../src/compat/epoll';
import {
  DefaultSelector, EPOLLIN, EVENT_READ, Epoll, IPPROTO_TCP, Poll, PollSelector, SOL_SOCKET, SO_REUSEADDR, SelectSelector,
  TCP_NODELAY, accept, bind, close, connect, eventNames, eventfd, eventfdRead, eventfdWrite, getsockopt, inotifyAddWatch,
  inotifyEventNames, inotifyInit, inotifyRead, inotifyRmWatch, listen, localAddress, pipe, read, recv, recvfrom,
  remoteAddress, select, send, sendto, setBlocking, setsockopt, shutdown, socket, socketpair, timerfdCreate,
  timerfdGettime, timerfdRead, timerfdSettime, write,
} from '../src/index';
import { openFds } from './helpers';

const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

/** Not integers: each must be a TypeError wherever an integer is required. */
const NOT_INTEGERS: unknown[] = [NaN, Infinity, -Infinity, 1.5, -0.5, Number.EPSILON, '1', '', null, 1n, true, {}];
/** Slots that also take a name ('IPv4', 'stream', 'both', 'monotonic'): a string there is an unknown name, ERR_INVALID_ARG_VALUE. */
const NAMED = new Set(['socket(family)', 'socket(family, type)', 'shutdown(fd, how)', 'timerfdCreate(clock)']);

describe('arguments: one rule for every integer the API takes', () => {
  let ep: Epoll;
  let p: Poll;
  let sel: DefaultSelector;
  let pollSel: PollSelector;
  let selectSel: SelectSelector;
  let fivdi: FivdiEpoll;
  let r: number;
  let w: number;
  let tcp: number;
  let udp: number;
  let ev: number;
  let tfd: number;
  let ino: number;
  const buf = Buffer.alloc(16);
  let fdsBefore: Set<number>;

  before(() => {
    fdsBefore = openFds();
    ep = new Epoll();
    p = new Poll();
    sel = new DefaultSelector();
    pollSel = new PollSelector();
    selectSel = new SelectSelector();
    fivdi = new FivdiEpoll(() => {});
    [r, w] = pipe();
    tcp = socket('IPv4');
    udp = socket('IPv4', 'dgram');
    ev = eventfd();
    tfd = timerfdCreate();
    ino = inotifyInit();
    ep.register(r);
    p.register(r);
    sel.register(r, EVENT_READ);
    pollSel.register(r, EVENT_READ);
    selectSel.register(r, EVENT_READ);
  });

  after(() => {
    for (const s of [sel, pollSel, selectSel]) s.close();
    ep.close();
    fivdi.close();
    for (const fd of [r, w, tcp, udp, ev, tfd, ino]) close(fd);
    assert.deepEqual(openFds(), fdsBefore, 'no fd leaked by the failed calls');
  });

  /** [what, call with `v` in the slot, integers out of range for it]. */
  const slots = (): Array<[string, (v: never) => unknown, number[]]> => [
    // File descriptors, in every API that takes one (FdLike: a number, { fd }, { fileno() }).
    ['Epoll.register(fd)', (v) => ep.register(v), [-1, 2 ** 31]],
    ['Epoll.register({ fd })', (v) => ep.register({ fd: v }), [-1]],
    ['Epoll.register({ fileno() })', (v) => ep.register({ fileno: () => v }), [-1]],
    ['Epoll.modify(fd)', (v) => ep.modify(v, EPOLLIN), [-1]],
    ['Epoll.unregister(fd)', (v) => ep.unregister(v), [-1]],
    ['Epoll.fromFd(fd)', (v) => Epoll.fromFd(v), [-1, 2 ** 31]],
    ['Poll.register(fd)', (v) => p.register(v), [-1]],
    ['Poll.modify(fd)', (v) => p.modify(v, 1), [-1]],
    ['Poll.unregister(fd)', (v) => p.unregister(v), [-1]],
    ['select(read[0])', (v) => select([v], [], [], 0), [-1, 1024]],
    ['select(write[0])', (v) => select([], [v], [], 0), [-1]],
    ['select(except[0])', (v) => select([], [], [v], 0), [-1]],
    ['EpollSelector.register(fd)', (v) => sel.register(v, EVENT_READ), [-1]],
    ['PollSelector.register(fd)', (v) => pollSel.register(v, EVENT_READ), [-1]],
    ['SelectSelector.register(fd)', (v) => selectSel.register(v, EVENT_READ), [-1]],
    ['compat Epoll.add(fd)', (v) => fivdi.add(v, EPOLLIN), [-1]],
    ['read(fd)', (v) => read(v, buf), [-1]],
    ['write(fd)', (v) => write(v, buf), [-1]],
    ['close(fd)', (v) => close(v), [-1]],
    ['setBlocking(fd)', (v) => setBlocking(v, false), [-1]],
    ['eventfdRead(fd)', (v) => eventfdRead(v), [-1]],
    ['eventfdWrite(fd)', (v) => eventfdWrite(v, 1), [-1]],
    ['timerfdSettime(fd)', (v) => timerfdSettime(v, 0), [-1]],
    ['timerfdGettime(fd)', (v) => timerfdGettime(v), [-1]],
    ['timerfdRead(fd)', (v) => timerfdRead(v), [-1]],
    ['inotifyAddWatch(fd)', (v) => inotifyAddWatch(v, '.', 1), [-1]],
    ['inotifyRmWatch(fd)', (v) => inotifyRmWatch(v, 1), [-1]],
    ['inotifyRead(fd)', (v) => inotifyRead(v), [-1]],
    ['bind(fd)', (v) => bind(v, '127.0.0.1', 0), [-1]],
    ['listen(fd)', (v) => listen(v), [-1]],
    ['accept(fd)', (v) => accept(v), [-1]],
    ['connect(fd)', (v) => connect(v, '127.0.0.1', 1), [-1]],
    ['recv(fd)', (v) => recv(v, buf), [-1]],
    ['send(fd)', (v) => send(v, buf), [-1]],
    ['recvfrom(fd)', (v) => recvfrom(v, buf), [-1]],
    ['sendto(fd)', (v) => sendto(v, buf, '127.0.0.1', 1), [-1]],
    ['shutdown(fd)', (v) => shutdown(v, 'both'), [-1]],
    ['setsockopt(fd)', (v) => setsockopt(v, SOL_SOCKET, SO_REUSEADDR, 1), [-1]],
    ['getsockopt(fd)', (v) => getsockopt(v, SOL_SOCKET, SO_REUSEADDR), [-1]],
    ['localAddress(fd)', (v) => localAddress(v), [-1]],
    ['remoteAddress(fd)', (v) => remoteAddress(v), [-1]],
    // Event masks.
    ['Epoll.register(fd, events)', (v) => ep.register(w, v), [2 ** 32, -(2 ** 31) - 1]],
    ['Epoll.modify(fd, events)', (v) => ep.modify(r, v), [2 ** 32]],
    ['Poll.register(fd, events)', (v) => p.register(w, v), [0x10000, -1]],
    ['Poll.modify(fd, events)', (v) => p.modify(r, v), [0x10000, -1]],
    ['EpollSelector.register(fd, events)', (v) => sel.register(w, v), [0, 4, -1, 2 ** 31]],
    ['EpollSelector.modify(fd, events)', (v) => sel.modify(r, v), [0, 4]],
    ['PollSelector.register(fd, events)', (v) => pollSel.register(w, v), [0, 4]],
    ['SelectSelector.register(fd, events)', (v) => selectSel.register(w, v), [0, 4]],
    ['compat Epoll.add(fd, events)', (v) => fivdi.add(w, v), [2 ** 32]],
    ['inotifyAddWatch(fd, path, mask)', (v) => inotifyAddWatch(ino, '.', v), [2 ** 32]],
    ['eventNames(mask)', (v) => eventNames(v), []],
    ['inotifyEventNames(mask)', (v) => inotifyEventNames(v), []],
    // Counts and sizes.
    ['Epoll.poll(timeout, maxEvents)', (v) => ep.poll(0, v), [0, -2, 2 ** 31]],
    ['Epoll.start(fn, { rounds })', (v) => ep.start(() => {}, { rounds: v }), [0, 65]],
    ['read(fd, buf, offset)', (v) => read(r, buf, v), [-1, 17]],
    ['read(fd, buf, offset, length)', (v) => read(r, buf, 0, v), [-1, 17]],
    ['write(fd, buf, offset)', (v) => write(w, buf, v), [-1, 17]],
    ['recv(fd, buf, offset, length, flags)', (v) => recv(tcp, buf, 0, 1, v), [-1]],
    ['send(fd, buf, offset, length, flags)', (v) => send(tcp, buf, 0, 1, v), [-1]],
    ['recvfrom(fd, buf, offset, length, flags)', (v) => recvfrom(udp, buf, 0, 1, v), [-1]],
    ['sendto(fd, buf, address, port, offset)', (v) => sendto(udp, buf, '127.0.0.1', 9, v), [-1, 17]],
    ['sendto(..., flags)', (v) => sendto(udp, buf, '127.0.0.1', 9, 0, 1, v), [-1]],
    ['listen(fd, backlog)', (v) => listen(tcp, v), [-1]],
    ['socketpair({ type })', (v) => socketpair({ type: v }), [-1]],
    ['eventfd(initval)', (v) => eventfd(v), [-1, 2 ** 32]],
    ['eventfdWrite(fd, value)', (v) => eventfdWrite(ev, v), [-1, 2 ** 53]],
    ['inotifyRmWatch(fd, wd)', (v) => inotifyRmWatch(ino, v), [-1]],
    // Ports, families, socket types, clocks, option levels and values.
    ['bind(fd, address, port)', (v) => bind(tcp, '127.0.0.1', v), [-1, 65536]],
    ['connect(fd, address, port)', (v) => connect(tcp, '127.0.0.1', v), [-1, 65536]],
    ['sendto(fd, buf, address, port)', (v) => sendto(udp, buf, '127.0.0.1', v), [-1, 65536]],
    ['socket(family)', (v) => socket(v), [-1, 0x10000]],
    ['socket(family, type)', (v) => socket('IPv4', v), [-1]],
    ['shutdown(fd, how)', (v) => shutdown(tcp, v), [-1, 3]],
    ['setsockopt(fd, level)', (v) => setsockopt(tcp, v, TCP_NODELAY, 1), [-1]],
    ['setsockopt(fd, level, option)', (v) => setsockopt(tcp, IPPROTO_TCP, v, 1), [-1]],
    ['setsockopt(fd, level, option, value)', (v) => setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, v), [2 ** 31, -(2 ** 31) - 1]],
    ['getsockopt(fd, level)', (v) => getsockopt(tcp, v, TCP_NODELAY), [-1]],
    ['getsockopt(fd, level, option)', (v) => getsockopt(tcp, IPPROTO_TCP, v), [-1]],
    ['timerfdCreate(clock)', (v) => timerfdCreate(v), [-1]],
  ];

  test('not an integer (NaN, Infinity, -Infinity, 1.5, a string...): TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const [what, call] of slots()) {
      for (const v of NOT_INTEGERS) {
        // eventfdWrite takes a bigint as well; setsockopt a boolean value.
        if (typeof v === 'bigint' && what === 'eventfdWrite(fd, value)') continue;
        if (typeof v === 'boolean' && what === 'setsockopt(fd, level, option, value)') continue;
        const expected = typeof v === 'string' && NAMED.has(what) ? { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' } : TYPE;
        assert.throws(() => call(v as never), expected, `${what} with ${String(v)}`);
      }
    }
  });

  test('an integer out of range: RangeError ERR_OUT_OF_RANGE', () => {
    for (const [what, call, outside] of slots()) {
      for (const v of outside) assert.throws(() => call(v as never), RANGE, `${what} with ${v}`);
    }
  });

  test('nothing was registered or changed by the failed calls', () => {
    assert.deepEqual([...sel.getMap().keys()], [r]);
    assert.deepEqual(p.poll(0), [], 'the pipe is empty: nothing ready, nothing registered besides it');
    assert.equal(sel.getKey(r).events, EVENT_READ);
  });
});

describe('arguments: timeouts are milliseconds, fractions round up, Infinity waits forever', () => {
  // Python refuses float('inf') (OverflowError: it cannot convert it to C's
  // time type); in JavaScript Infinity is how "no limit" is written (and what
  // `deadline - now` gives with no deadline), so it waits forever, as
  // undefined does. A finite time above 2^31-1 ms is a RangeError, as in Python.
  let r: number;
  let w: number;

  before(() => {
    [r, w] = pipe();
    write(w, Buffer.from('x')); // r is readable: a wait forever returns at once
  });
  after(() => {
    close(r);
    close(w);
  });

  test('Epoll.poll, Poll.poll, select(), every selector: Infinity waits (here: returns, as the fd is ready)', async () => {
    const ep = new Epoll();
    const p = new Poll();
    try {
      ep.register(r);
      p.register(r);
      for (const t of [Infinity, -Infinity, -1, 0.1]) {
        assert.deepEqual(ep.poll(t), [[r, EPOLLIN]], `Epoll.poll(${t})`);
        assert.deepEqual(p.poll(t), [[r, 1]], `Poll.poll(${t})`);
      }
      assert.deepEqual(await ep.wait(Infinity), [[r, EPOLLIN]], 'Epoll.wait(Infinity)');
      assert.deepEqual(select([r], [], [], Infinity), [[r], [], []]);
      for (const t of [NaN, 2 ** 31, 1e300]) {
        assert.throws(() => ep.poll(t), RANGE, `Epoll.poll(${t})`);
        assert.throws(() => p.poll(t), RANGE, `Poll.poll(${t})`);
        assert.throws(() => select([r], [], [], t), RANGE, `select(${t})`);
        await assert.rejects(ep.wait(t), RANGE, `Epoll.wait(${t})`);
      }
      // select() takes no negative timeout (Python's ValueError), -Infinity included.
      for (const t of [-1, -Infinity]) assert.throws(() => select([r], [], [], t), RANGE, `select(${t})`);
      for (const t of ['1', 1n, {}]) {
        assert.throws(() => ep.poll(t as never), TYPE);
        assert.throws(() => p.poll(t as never), TYPE);
        assert.throws(() => select([r], [], [], t as never), TYPE);
      }
    } finally {
      ep.close();
    }
    for (const Cls of [DefaultSelector, PollSelector, SelectSelector]) {
      const s = new Cls();
      try {
        const key = s.register(r, EVENT_READ);
        assert.deepEqual(s.select(Infinity), [[key, EVENT_READ]], `${Cls.name}.select(Infinity)`);
        // <= 0 returns at once (Python's selectors), -Infinity too: here with nothing to report.
        s.unregister(r);
        assert.deepEqual(s.select(-Infinity), [], `${Cls.name}.select(-Infinity)`);
        for (const t of [NaN, 2 ** 31]) assert.throws(() => s.select(t), RANGE, `${Cls.name}.select(${t})`);
        assert.throws(() => s.select('1' as never), TYPE);
      } finally {
        s.close();
      }
    }
  });

  test('timerfd times: any number of ms from 0 to 2^53-1 s; NaN, Infinity, negatives and more are RangeErrors', () => {
    const tfd = timerfdCreate();
    try {
      for (const t of [NaN, Infinity, -Infinity, -1, -0.5, 1e300, 2 ** 53 * 1000]) {
        assert.throws(() => timerfdSettime(tfd, t), RANGE, `initialMs ${t}`);
        assert.throws(() => timerfdSettime(tfd, 1000, t), RANGE, `intervalMs ${t}`);
      }
      for (const t of ['1', null, 1n]) assert.throws(() => timerfdSettime(tfd, t as never), TYPE);
      timerfdSettime(tfd, Number.MAX_SAFE_INTEGER * 1000); // the largest: armed, the kernel clamps it to KTIME_MAX (292 years)
      assert.ok(timerfdGettime(tfd).initialMs > 9e12, 'armed far ahead, not refused or wrapped');
      timerfdSettime(tfd, 1500.25, 0.5);
      const now = timerfdGettime(tfd);
      assert.ok(now.initialMs > 1400 && now.initialMs <= 1500.25, `${now.initialMs}`);
      assert.ok(Math.abs(now.intervalMs - 0.5) < 1e-6, `${now.intervalMs}`);
    } finally {
      close(tfd);
    }
  });
});
