// Selectors: Python's selectors module, checked against the kernel.
// CPython's Lib/test/test_selectors.py is the checklist: every BaseSelectorTestCase
// case runs on each selector (Default, Epoll, Poll, Select), the scalable ones go
// above FD_SETSIZE, the epoll one refuses regular files. Then what Node adds:
// read-only map views, misuse errors, HUP/ERR mapping, and EpollSelector's
// event-loop face (start/stop/wait/events).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';

import {
  BaseSelector, close, DefaultSelector, Epoll, EPOLLIN, EPOLLOUT, EpollSelector, EVENT_READ, EVENT_WRITE, FD_SETSIZE, pipe, PollSelector,
  read, SelectorKey, SelectSelector, socketpair, write, type SelectorEvent,
} from '../src/index';
import { DISPOSE, elapsedMs, epollRegistrations, fdLeakCheck, isOpen, loopBarrier, runNode, signalWhenBlocked, until } from './helpers';

const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const KEY = { code: 'ERR_IOREADY_KEY' };
const CLOSED = { code: 'ERR_IOREADY_CLOSED' };
const MSG = Buffer.from(' This is a test.');

/** A socket-like object: fileno() says -1 once closed, as a Python socket does. */
class Sock {
  #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  fileno(): number {
    return this.#fd;
  }
  close(): void {
    if (this.#fd >= 0) close(this.#fd);
    this.#fd = -1;
  }
  /** Give up the fd without closing it (the caller closes it). */
  detach(): number {
    const fd = this.#fd;
    this.#fd = -1;
    return fd;
  }
}

type SelectorClass = new () => BaseSelector<unknown>;

/** A socketpair closed when the test ends. */
function makeSocketpair(t: TestContext): [Sock, Sock] {
  const [a, b] = socketpair();
  const pair: [Sock, Sock] = [new Sock(a), new Sock(b)];
  t.after(() => pair.forEach((s) => s.close()));
  return pair;
}

/** A selector closed when the test ends. */
function make<S extends BaseSelector<unknown>>(t: TestContext, Cls: new () => S): S {
  const s = new Cls();
  t.after(() => s.close());
  return s;
}

function readyMatching(ready: Array<SelectorEvent<unknown>>, flag: number): unknown[] {
  return ready.filter(([, ev]) => ev & flag).map(([key]) => key.fileobj);
}

const leakCheckAtEnd = fdLeakCheck();

function baseSelectorCases(Cls: SelectorClass): void {
  test('register: the key, then misuse (unknown event, invalid fd, twice, same fd via another object)', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ, 'data');
    assert.ok(key instanceof SelectorKey);
    assert.equal(key.fileobj, rd);
    assert.equal(key.fd, rd.fileno());
    assert.equal(key.events, EVENT_READ);
    assert.equal(key.data, 'data');
    assert.throws(() => s.register(0, 999999), RANGE, 'an unknown event');
    assert.throws(() => s.register(-10, EVENT_READ), RANGE, 'an invalid fd');
    assert.throws(() => s.register(rd, EVENT_READ), KEY, 'twice');
    assert.throws(() => s.register(rd.fileno(), EVENT_READ), KEY, 'the same fd, another object');
    assert.equal(s.getMap().size, 1);
    assert.equal(s.getKey(rd), key, 'the failed calls left the key alone');
  });

  test('unregister: unknown fileobj and twice are key errors', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    const key = s.unregister(rd);
    assert.equal(key.fileobj, rd);
    assert.throws(() => s.unregister(999999), KEY);
    assert.throws(() => s.unregister(rd), KEY);
    assert.equal(s.getMap().size, 0);
  });

  test('unregister after the fds were closed', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    const [r, w] = [rd.fileno(), wr.fileno()];
    s.register(r, EVENT_READ);
    s.register(w, EVENT_WRITE);
    rd.close();
    wr.close();
    assert.equal(s.unregister(r).fd, r);
    assert.equal(s.unregister(w).fd, w);
    assert.equal(s.getMap().size, 0);
  });

  test('unregister after the fds were closed and their numbers reused', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    const [r, w] = [rd.fileno(), wr.fileno()];
    s.register(r, EVENT_READ);
    s.register(w, EVENT_WRITE);
    rd.close();
    wr.close();
    const [rd2, wr2] = makeSocketpair(t); // the lowest free numbers: r and w again
    assert.deepEqual(new Set([rd2.fileno(), wr2.fileno()]), new Set([r, w]), 'the numbers were reused');
    s.unregister(r);
    s.unregister(w);
    assert.equal(s.getMap().size, 0);
    if (s instanceof EpollSelector) assert.equal(epollRegistrations(s.fileno()).size, 0, 'the kernel holds nothing either');
    // The new sockets are free to be registered anew.
    s.register(wr2, EVENT_WRITE);
    assert.deepEqual(s.select(0).map(([k]) => k.fileobj), [wr2]);
  });

  test('unregister after the socket objects were closed (fileno() is -1: found by identity)', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    s.register(wr, EVENT_WRITE);
    rd.close();
    wr.close();
    assert.equal(rd.fileno(), -1);
    assert.equal(s.unregister(rd).fileobj, rd);
    assert.equal(s.unregister(wr).fileobj, wr);
    assert.throws(() => s.unregister(rd), RANGE, 'once gone from the map, -1 is just an invalid fd');
  });

  test('modify: events, then data alone (no kernel call), unknown fileobj', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ);
    const key2 = s.modify(rd, EVENT_WRITE);
    assert.notEqual(key.events, key2.events);
    assert.equal(key2, s.getKey(rd));
    assert.deepEqual(s.select(0), [[key2, EVENT_WRITE]], 'the kernel watches the new events');
    s.unregister(rd);

    const d1 = {};
    const d2 = {};
    const k1 = s.register(rd, EVENT_READ, d1);
    const k2 = s.modify(rd, EVENT_READ, d2);
    assert.equal(k1.events, k2.events);
    assert.notEqual(k1.data, k2.data);
    assert.equal(k2, s.getKey(rd));
    assert.equal(k2.data, d2);
    assert.equal(s.modify(rd, EVENT_READ, d2), k2, 'nothing changed: the same key');
    assert.equal(s.modify(rd, EVENT_READ).data, undefined, 'omitting data sets it to undefined, as Python');
    assert.throws(() => s.modify(999999, EVENT_READ), KEY);

    // The shortcut: a data-only change calls neither register nor unregister...
    const d3 = {};
    const spy = s as unknown as Record<string, unknown>;
    spy.register = spy.unregister = () => assert.fail('modify of data alone went through register/unregister');
    assert.equal(s.modify(rd, EVENT_READ, d3).data, d3);
    delete spy.register;
    delete spy.unregister;
    // ...and touches no kernel state: with the fd closed behind its back, a
    // kernel call would fail (EBADF), the data change still succeeds.
    wr.close();
    const fd = rd.detach();
    close(fd);
    const d4 = {};
    assert.equal(s.modify(fd, EVENT_READ, d4).data, d4);
    assert.equal(s.getKey(fd).data, d4);
    s.unregister(fd);
  });

  test('modify with bad events leaves the registration as it was', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ, 'd');
    for (const bad of [0, 4, 7, -1, 999999]) assert.throws(() => s.modify(rd, bad, 'x'), RANGE, String(bad));
    for (const bad of [1.5, '1', null, NaN]) assert.throws(() => s.modify(rd, bad as never), TYPE, String(bad));
    assert.equal(s.getKey(rd), key);
  });

  test('close: keys gone, a map view taken before reads empty, every call but close throws', (t) => {
    const s = make(t, Cls);
    const mapping = s.getMap();
    const [rd, wr] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    s.register(wr, EVENT_WRITE);
    assert.equal(mapping.size, 2);
    assert.equal(s.closed, false);
    s.close();
    assert.equal(s.closed, true);
    assert.throws(() => s.getKey(rd), CLOSED);
    assert.throws(() => s.getKey(wr), CLOSED);
    assert.equal(mapping.get(rd), undefined);
    assert.equal(mapping.get(wr), undefined);
    assert.equal(mapping.size, 0);
    assert.throws(() => s.getMap(), CLOSED);
    assert.throws(() => s.register(rd, EVENT_READ), CLOSED);
    assert.throws(() => s.unregister(rd), CLOSED);
    assert.throws(() => s.modify(rd, EVENT_READ), CLOSED);
    assert.throws(() => s.select(0), CLOSED);
    s.close();
    assert.equal(s.closed, true);
  });

  test('getKey: the registered key; an unknown fileobj is a key error', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ, 'data');
    assert.equal(s.getKey(rd), key);
    assert.equal(s.getKey(rd.fileno()), key, 'by fd number too');
    assert.throws(() => s.getKey(999999), KEY);
    assert.throws(() => s.getKey('x' as never), TYPE);
  });

  test('getMap: a live read-only ReadonlyMap keyed by fd', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    const keys = s.getMap();
    assert.equal(keys.size, 0);
    assert.deepEqual([...keys], []);
    const key = s.register(rd, EVENT_READ, 'data');
    assert.ok(keys.has(rd));
    assert.ok(keys.has(rd.fileno()));
    assert.equal(keys.get(rd), key);
    assert.equal(keys.size, 1);
    assert.deepEqual([...keys.keys()], [rd.fileno()]);
    assert.deepEqual([...keys.values()], [key]);
    assert.deepEqual([...keys.entries()], [[rd.fileno(), key]]);
    assert.deepEqual([...keys], [[rd.fileno(), key]]);
    const seen: unknown[] = [];
    const thisArg = {};
    keys.forEach(function (this: unknown, k, fd, map) {
      seen.push(k, fd, map, this);
    }, thisArg);
    assert.equal(seen.length, 4);
    assert.equal(seen[0], key);
    assert.equal(seen[1], rd.fileno());
    assert.equal(seen[2], keys);
    assert.equal(seen[3], thisArg);
    assert.equal(keys.get(999999), undefined);
    assert.equal(keys.get('nonsense' as never), undefined, 'Map.get never throws');
    assert.equal(keys.has(-1), false);
    assert.equal(Object.prototype.toString.call(keys), '[object SelectorMap]');
    // Read-only: no mutators, and the view itself is frozen.
    const m = keys as unknown as Record<string, unknown>;
    for (const name of ['set', 'delete', 'clear']) assert.equal(typeof m[name], 'undefined', name);
    assert.equal(Reflect.set(m, 'size', 0), false, 'size cannot be assigned');
    assert.equal(Reflect.defineProperty(m, 'set', { value: () => {} }), false, 'nothing can be added');
    assert.ok(Object.isFrozen(keys));
    assert.ok(Object.isFrozen(key), 'keys are immutable');
    assert.equal(keys.size, 1);
    s.unregister(rd);
    assert.equal(keys.size, 0, 'live: follows unregister');
    assert.equal(s.getMap(), keys, 'one view per selector');
  });

  test('select: only the writer is ready; keys and READ/WRITE events only', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    const wrKey = s.register(wr, EVENT_WRITE);
    const result = s.select();
    for (const [key, events] of result) {
      assert.ok(key instanceof SelectorKey);
      assert.ok(events);
      assert.equal(events & ~(EVENT_READ | EVENT_WRITE), 0);
    }
    assert.deepEqual(result, [[wrKey, EVENT_WRITE]]);
  });

  test('[Symbol.dispose]() closes the selector (Node 20.0-20.3, which lack Symbol.dispose: Symbol.for(\'nodejs.dispose\'), as 20.4+ defines it)', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    s[DISPOSE]();
    assert.equal(s.closed, true);
    assert.throws(() => s.getKey(rd), CLOSED);
  });

  // On Node 20.0-20.3, tsx's (esbuild's) lowered `using` finds the method under its fallback key.
  test('Symbol.dispose (Python\'s context manager): `using` closes the selector', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    {
      using sel = s;
      sel.register(rd, EVENT_READ);
      sel.register(wr, EVENT_WRITE);
    }
    assert.equal(s.closed, true);
    assert.throws(() => s.getKey(rd), CLOSED);
    assert.throws(() => s.getKey(wr), CLOSED);
  });

  test('fileno: an fd, for the selectors that have one', (t) => {
    const s = make(t, Cls);
    const f = (s as unknown as { fileno?: () => number }).fileno;
    if (Cls === EpollSelector || Cls === DefaultSelector) assert.equal(typeof f, 'function');
    if (typeof f === 'function') {
      const fd = f.call(s);
      assert.ok(Number.isInteger(fd) && fd >= 0);
      assert.ok(isOpen(fd));
      s.close();
      assert.ok(!isOpen(fd), 'close() closed it');
      assert.throws(() => f.call(s), CLOSED);
    }
  });

  test('12 socket pairs: write to a random ready writer, read exactly its reader', (t) => {
    const s = make(t, Cls);
    const r2w = new Map<Sock, Sock>();
    const w2r = new Map<Sock, Sock>();
    let writers: Sock[] = [];
    for (let i = 0; i < 12; i++) {
      const [rd, wr] = makeSocketpair(t);
      s.register(rd, EVENT_READ);
      s.register(wr, EVENT_WRITE);
      writers.push(wr);
      r2w.set(rd, wr);
      w2r.set(wr, rd);
    }
    const bufs: string[] = [];
    while (writers.length) {
      const readyWriters = readyMatching(s.select(), EVENT_WRITE) as Sock[];
      assert.ok(readyWriters.length > 0, 'no sockets ready for writing');
      const wr = readyWriters[Math.floor(Math.random() * readyWriters.length)]!;
      assert.equal(write(wr, MSG), MSG.length);
      let readyReaders: unknown[] = [];
      for (let i = 0; i < 10 && readyReaders.length === 0; i++) readyReaders = readyMatching(s.select(), EVENT_READ);
      assert.deepEqual(readyReaders, [w2r.get(wr)]);
      const rd = readyReaders[0] as Sock;
      const buf = Buffer.alloc(MSG.length);
      assert.equal(read(rd, buf), MSG.length);
      bufs.push(buf.toString());
      s.unregister(r2w.get(rd)!);
      s.unregister(rd);
      writers = writers.filter((w) => w !== r2w.get(rd));
    }
    assert.deepEqual(bufs, Array(12).fill(MSG.toString()));
    assert.equal(s.getMap().size, 0);
  });

  test('empty select: nothing registered, select(0) is []', (t) => {
    const s = make(t, Cls);
    assert.deepEqual(s.select(0), []);
    const [none, ms] = elapsedMs(() => s.select(30));
    assert.deepEqual(none, []);
    assert.ok(ms >= 29 && ms < 3000, `select(30) with nothing registered returned after ${ms} ms`);
  });

  test('timeouts: <= 0 returns at once, 100 ms waits at least 100 ms, fractions round up', (t) => {
    const s = make(t, Cls);
    const [rd, wr] = makeSocketpair(t);
    s.register(wr, EVENT_WRITE);
    const [ready, fast] = elapsedMs(() => [s.select(0).length, s.select(-1).length, s.select(-Infinity).length]);
    assert.deepEqual(ready, [1, 1, 1]);
    assert.ok(fast < 500);
    s.unregister(wr);
    s.register(rd, EVENT_READ);
    const [none, fast2] = elapsedMs(() => [s.select(0), s.select(-1)]);
    assert.deepEqual(none, [[], []]);
    assert.ok(fast2 < 500);
    const [empty, ms] = elapsedMs(() => s.select(100));
    assert.deepEqual(empty, []);
    assert.ok(ms >= 99 && ms <= 2000, `select(100) returned after ${ms} ms`);
    const [, small] = elapsedMs(() => s.select(0.1));
    assert.ok(small >= 0.9, `select(0.1) waited ${small} ms`);
    assert.throws(() => s.select(NaN), RANGE);
    assert.throws(() => s.select('1' as never), TYPE);
  });

  test('misuse: events 0 or unknown bits, non-integer events, non-FdLike fileobjs', (t) => {
    const s = make(t, Cls);
    const [rd] = makeSocketpair(t);
    for (const bad of [0, 4, 8, -1, 999999, EVENT_READ | 4, 2 ** 31]) assert.throws(() => s.register(rd, bad), RANGE, String(bad));
    // Infinity is not an integer: a TypeError, as CONTRACT.md says (it was a RangeError before).
    for (const bad of [1.5, '1', null, undefined, NaN, Infinity, -Infinity, 1n]) assert.throws(() => s.register(rd, bad as never), TYPE, String(bad));
    for (const bad of ['3', 1.5, null, undefined, {}, { fd: '3' }, { fileno: () => 'x' }, []]) {
      assert.throws(() => s.register(bad as never, EVENT_READ), TYPE, String(bad));
      assert.throws(() => s.unregister(bad as never), TYPE);
      assert.throws(() => s.modify(bad as never, EVENT_READ), TYPE);
    }
    for (const bad of [-1, 2 ** 31, { fd: -1 }]) assert.throws(() => s.register(bad as never, EVENT_READ), RANGE);
    assert.equal(s.getMap().size, 0, 'nothing was registered by the failed calls');
  });

  test('HUP/ERR come back as READ|WRITE, masked by each key\'s interest', (t) => {
    const s = make(t, Cls);
    const [r1, w1] = pipe();
    const [r2, w2] = pipe();
    t.after(() => [r1, w2].forEach((fd) => isOpen(fd) && close(fd)));
    const kr = s.register(r1, EVENT_READ);
    const kw = s.register(w2, EVENT_WRITE);
    close(w1); // r1: end of file (POLLHUP)
    close(r2); // w2: nobody reads (POLLERR)
    assert.deepEqual(new Set(s.select(0).map(([k, e]) => `${k.fd}:${e}`)), new Set([`${kr.fd}:${EVENT_READ}`, `${kw.fd}:${EVENT_WRITE}`]));
    const [a, b] = makeSocketpair(t);
    const ka = s.register(a, EVENT_READ | EVENT_WRITE);
    b.close();
    assert.deepEqual(s.select(0).find(([k]) => k === ka), [ka, EVENT_READ | EVENT_WRITE], 'a hung-up socket: both');
  });

  test('a regular file: always ready (poll and select); EpollSelector refuses it (EPERM) and keeps no key', (t) => {
    const s = make(t, Cls);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-selectors-'));
    const fd = fs.openSync(path.join(dir, 'f'), 'w+');
    t.after(() => {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true });
    });
    const file = { fd };
    if (s instanceof EpollSelector) {
      assert.throws(() => s.register(file, EVENT_READ), { code: 'EPERM', syscall: 'epoll_ctl' });
      assert.throws(() => s.getKey(file), KEY, 'the key was rolled back');
      assert.equal(s.getMap().size, 0);
    } else {
      const key = s.register(file, EVENT_READ | EVENT_WRITE);
      assert.deepEqual(s.select(0), [[key, EVENT_READ | EVENT_WRITE]]);
    }
  });

  test('EINTR: a real signal during a blocking select() is retried with the remaining time', async () => {
    const script = `
      const sel = require('./src/index');
      let signals = 0;
      process.on('SIGUSR2', () => { signals++; });
      const { spawn } = require('node:child_process');
      const s = new sel.${Cls.name}();
      const [r] = sel.pipe();
      s.register(r, sel.EVENT_READ);
      spawn('sh', ['-c', ${JSON.stringify(signalWhenBlocked(Cls.name === 'PollSelector' || Cls.name === 'SelectSelector' ? 'poll' : 'epoll', 1))}, 'sh', String(process.pid)], { stdio: 'ignore' });
      const t0 = process.hrtime.bigint();
      const ready = s.select(450);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const during = signals;
      process.on('exit', () => console.log(JSON.stringify({ ready, ms, during, signals })));`;
    const res = await runNode(['-e', script]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { ready: unknown[]; ms: number; during: number; signals: number };
    assert.deepEqual(out.ready, []);
    assert.equal(out.during, 0, "Node runs the handler after the call (Python's raising handler cannot interrupt it)");
    assert.equal(out.signals, 1);
    assert.ok(out.ms >= 449 && out.ms < 3000, `select(450) returned after ${out.ms} ms`);
  });
}

/** More fds than FD_SETSIZE: 1100 pipe ends. */
function aboveFdSetsize(t: TestContext, s: BaseSelector<unknown>): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  t.after(() => pairs.forEach(([r, w]) => (close(r), close(w))));
  for (let i = 0; i < 550; i++) pairs.push(pipe());
  assert.ok(Math.max(...pairs.flat()) >= FD_SETSIZE, 'some fds are beyond FD_SETSIZE');
  return pairs;
}

for (const Cls of [DefaultSelector, EpollSelector, PollSelector, SelectSelector] as SelectorClass[]) {
  const name = Cls === DefaultSelector && Cls === EpollSelector ? 'DefaultSelector (= EpollSelector)' : Cls.name;
  describe(name, () => {
    baseSelectorCases(Cls);
    if (Cls === SelectSelector) {
      test('fds >= FD_SETSIZE are refused with RangeError, and the key rolled back', (t) => {
        const s = make(t, Cls);
        const pairs = aboveFdSetsize(t, s);
        const high = pairs.flat().filter((fd) => fd >= FD_SETSIZE);
        const low = pairs.filter(([r, w]) => r < FD_SETSIZE && w < FD_SETSIZE);
        for (const fd of high) assert.throws(() => s.register(fd, EVENT_READ), RANGE);
        for (const [r, w] of low) {
          s.register(r, EVENT_READ);
          s.register(w, EVENT_WRITE);
        }
        assert.equal(s.getMap().size, 2 * low.length, 'only the low fds are registered');
        assert.equal(s.select().length, low.length);
      });
    } else {
      test('more fds than FD_SETSIZE (1100 pipe ends): every writer reported', (t) => {
        const s = make(t, Cls);
        const pairs = aboveFdSetsize(t, s);
        for (const [r, w] of pairs) {
          s.register(r, EVENT_READ);
          s.register(w, EVENT_WRITE);
        }
        const ready = s.select();
        assert.equal(ready.length, pairs.length);
        assert.deepEqual(new Set(ready.map(([k]) => k.fd)), new Set(pairs.map(([, w]) => w)));
        const [r, w] = pairs[pairs.length - 1]!;
        write(w, MSG);
        assert.deepEqual(readyMatching(s.select(0), EVENT_READ), [r]);
      });
    }
  });
}

describe('rolling back what the kernel refuses', () => {
  test('EpollSelector: register of a closed fd (EBADF) keeps no key', (t) => {
    const s = make(t, EpollSelector);
    const [r, w] = pipe();
    close(r);
    close(w);
    assert.throws(() => s.register(r, EVENT_READ), { code: 'EBADF' });
    assert.throws(() => s.getKey(r), KEY);
    assert.equal(s.getMap().size, 0);
  });

  test('EpollSelector: a modify the kernel refuses unregisters the key (bpo-30014)', (t) => {
    const s = make(t, EpollSelector);
    const [rd] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    assert.equal(s.getMap().size, 1);
    const fd = rd.detach();
    close(fd); // the kernel drops the registration with the file
    assert.throws(() => s.modify(fd, EVENT_WRITE), { code: 'EBADF', syscall: 'epoll_ctl' });
    assert.equal(s.getMap().size, 0);
  });

  test('PollSelector: an error from the poller during modify unregisters the key', (t) => {
    const s = make(t, PollSelector);
    const [rd] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    const poller = (s as unknown as { _poller: { modify(): void } })._poller;
    poller.modify = () => {
      throw new RangeError('boom');
    };
    assert.throws(() => s.modify(rd, EVENT_WRITE), /boom/);
    assert.equal(s.getMap().size, 0);
  });

  test('SelectSelector: a registered fd that is closed is EBADF at select(), also one beyond the fd table', (t) => {
    // select(2) alone would report an fd past the end of the fd table as ready.
    const s = make(t, SelectSelector);
    const [rd] = makeSocketpair(t);
    const k = s.register(rd, EVENT_READ | EVENT_WRITE);
    assert.deepEqual(s.select(0), [[k, EVENT_WRITE]]);
    s.register(1000, EVENT_READ); // no such fd: the table of this process is smaller
    assert.throws(() => s.select(0), { code: 'EBADF', syscall: 'select' });
    s.unregister(1000);
    assert.deepEqual(s.select(0), [[k, EVENT_WRITE]]);
  });

  test('SelectSelector: modify of events goes through the fd sets', (t) => {
    const s = make(t, SelectSelector);
    const [rd] = makeSocketpair(t);
    const k = s.register(rd, EVENT_READ);
    assert.deepEqual(s.select(0), []);
    const k2 = s.modify(rd, EVENT_READ | EVENT_WRITE, 'd');
    assert.deepEqual(s.select(0), [[k2, EVENT_WRITE]]);
    assert.notEqual(k, k2);
    assert.equal(k2.fileobj, rd);
  });

  test('an Epoll registered as a fileobj, then closed: unregister finds it by identity', (t) => {
    for (const S of [EpollSelector, PollSelector, SelectSelector] as SelectorClass[]) {
      const s = make(t, S);
      const ep = new Epoll();
      s.register(ep, EVENT_READ, 'ep');
      ep.close();
      assert.throws(() => ep.fileno(), CLOSED);
      assert.equal(s.getKey(ep).data, 'ep');
      assert.equal(s.unregister(ep).data, 'ep');
      assert.equal(s.getMap().size, 0);
    }
  });
});

describe('selectors: the module surface', () => {
  test('EVENT_READ = 1, EVENT_WRITE = 2; DefaultSelector is EpollSelector', () => {
    assert.equal(EVENT_READ, 1);
    assert.equal(EVENT_WRITE, 2);
    assert.equal(DefaultSelector, EpollSelector);
    const s = new DefaultSelector();
    assert.ok(s instanceof EpollSelector && s instanceof BaseSelector);
    s.close();
  });

  test('an EpollSelector registers EPOLLIN/EPOLLOUT in the kernel, and nothing more', (t) => {
    const s = make(t, EpollSelector);
    const [rd, wr] = makeSocketpair(t);
    s.register(rd, EVENT_READ);
    s.register(wr, EVENT_READ | EVENT_WRITE);
    // fdinfo shows EPOLLERR|EPOLLHUP (0x18) too: the kernel always adds them.
    const asked = (fd: number): number => epollRegistrations(s.fileno()).get(fd)! & ~0x18;
    assert.equal(asked(rd.fileno()), EPOLLIN);
    assert.equal(asked(wr.fileno()), EPOLLIN | EPOLLOUT);
    s.modify(wr, EVENT_WRITE);
    assert.equal(asked(wr.fileno()), EPOLLOUT);
    s.unregister(rd);
    assert.deepEqual([...epollRegistrations(s.fileno()).keys()], [wr.fileno()]);
  });

  test('generic data: SelectorKey<T>.data is typed', (t) => {
    const s = make(t, PollSelector<(n: number) => number>);
    const [rd, wr] = makeSocketpair(t);
    s.register(wr, EVENT_WRITE, (n) => n * 2);
    const ready = s.select(0);
    assert.equal(ready[0]![0].data(21), 42);
    void rd;
  });
});

describe('EpollSelector on the event loop', () => {
  test('start(listener): (key, events) from the event loop; stop() ends delivery', async (t) => {
    const s = make(t, EpollSelector<string>);
    const [rd, wr] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ, 'reader');
    const seen: Array<[string, number]> = [];
    s.start((k, events) => {
      assert.equal(k, key);
      seen.push([k.data, events]);
      read(rd, Buffer.alloc(64));
    });
    write(wr, MSG);
    await until(() => seen.length > 0, 'the event');
    assert.deepEqual(seen, [['reader', EVENT_READ]]);
    s.stop();
    write(wr, MSG);
    await loopBarrier();
    assert.equal(seen.length, 1, 'nothing after stop()');
    assert.deepEqual(s.select(0), [[key, EVENT_READ]], 'the data is still there for select()');
  });

  test('unregistering another fd during a batch drops its pending event', async (t) => {
    const s = make(t, EpollSelector);
    const [a, b] = makeSocketpair(t);
    const [c, d] = makeSocketpair(t);
    const ka = s.register(a, EVENT_READ);
    const kc = s.register(c, EVENT_READ);
    write(b, MSG);
    write(d, MSG);
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      s.start((k) => {
        seen.push(k);
        s.unregister(k === ka ? kc.fileobj : ka.fileobj);
        setImmediate(resolve);
      });
    });
    s.stop();
    assert.equal(seen.length, 1, 'the other fd, unregistered mid-batch, got nothing');
  });

  test('wait(): the next batch of keys; [] on timeout; rejects once closed', async (t) => {
    const s = make(t, EpollSelector);
    const [rd, wr] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ);
    const t0 = Date.now();
    assert.deepEqual(await s.wait(30), []);
    assert.ok(Date.now() - t0 >= 25);
    setTimeout(() => write(wr, MSG), 10);
    assert.deepEqual(await s.wait(), [[key, EVENT_READ]]);
    const pending = s.wait();
    s.close();
    await assert.rejects(pending, CLOSED);
    await assert.rejects(s.wait(), CLOSED);
    const ac = new AbortController();
    const s2 = make(t, EpollSelector);
    const aborted = s2.wait(undefined, { signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
  });

  test('events(): batches of keys until close()', async (t) => {
    const s = make(t, EpollSelector);
    const [rd, wr] = makeSocketpair(t);
    const key = s.register(rd, EVENT_READ);
    const batches: unknown[] = [];
    setTimeout(() => write(wr, MSG), 10);
    for await (const batch of s.events()) {
      batches.push(batch);
      read(rd, Buffer.alloc(64));
      if (batches.length === 2) s.close();
      else setTimeout(() => write(wr, MSG), 10);
    }
    assert.deepEqual(batches, [
      [[key, EVENT_READ]],
      [[key, EVENT_READ]],
    ]);
    assert.throws(() => s.events(), CLOSED);
    assert.throws(() => s.start(() => {}), CLOSED);
  });

  test('misuse: start() needs a function; ref/unref/stop are chainable', (t) => {
    const s = make(t, EpollSelector);
    assert.throws(() => s.start('x' as never), TYPE);
    assert.equal(s.start(() => {}).unref().ref().stop(), s);
    s.close();
    for (const call of [() => s.stop(), () => s.ref(), () => s.unref()]) assert.throws(call, CLOSED);
  });
});

leakCheckAtEnd();
