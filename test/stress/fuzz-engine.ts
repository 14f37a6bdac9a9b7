/**
 * The property-based fuzzer behind test/fuzz.test.ts (a fast run in `npm test`)
 * and test/stress/fuzz.test.ts (a million calls in `npm run test:stress`).
 *
 * fast-check generates runs of `opsPerRun` operations; each run builds a fresh
 * world (two Epolls, a Poll, an Epoll-, Poll- and SelectSelector, a pool of
 * pipes, socket pairs, eventfds and TCP sockets) and performs the operations on
 * it with random arguments: fds that are open, closed, closed-and-reused,
 * stdio, negative, huge, not numbers at all, wrapped in `{ fd }` / `{ fileno() }`;
 * masks that are named bits, random 32-bit values (signed and unsigned) or
 * garbage; timeouts that are 0 or tiny (nothing ever blocks). After EVERY call:
 *
 *  - an error thrown is one of the documented kinds (TypeError
 *    ERR_INVALID_ARG_TYPE/VALUE, RangeError ERR_OUT_OF_RANGE, a system error
 *    with code + syscall + errno, ERR_IOREADY_CLOSED, ERR_IOREADY_KEY), and an
 *    argument error is thrown exactly when an argument is invalid;
 *  - the kernel's interest list of every epoll fd (/proc/self/fdinfo: `tfd: N
 *    events: HEX`) equals the model built from the calls that succeeded (a
 *    failed call changed nothing; an EPOLLONESHOT that fired is disarmed), and
 *    EpollSelector.getMap() agrees with the kernel (keys whose fd was closed
 *    since are the only ones the kernel may lack, as in Python);
 *  - Epoll answers EEXIST / ENOENT / EBADF exactly where the model says;
 *    Poll, select() and the selectors only report fds they were given.
 *
 * At the end of each run everything is closed and no fd may remain open.
 * The seed is printed; FUZZ_SEED=<seed> replays a failure (fast-check also
 * prints the path of the shrunk counterexample: FUZZ_PATH=<path>).
 */
import fs from 'node:fs';
import fc from 'fast-check';

import {
  accept,
  bind,
  close,
  connect,
  Epoll,
  EpollSelector,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  EPOLLWAKEUP,
  EVENT_READ,
  EVENT_WRITE,
  eventfd,
  eventfdRead,
  eventfdWrite,
  listen,
  localAddress,
  MSG_OOB,
  MSG_PEEK,
  MSG_WAITALL,
  pipe,
  Poll,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  PollSelector,
  read,
  recv,
  select,
  SelectSelector,
  send,
  shutdown,
  socket,
  socketpair,
  write,
  type FdLike,
  type SelectorKey,
} from '../../src/index';

// ---------------------------------------------------------------- errors

const ARG_CODES = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']);

/** What a call ended with: 'ok', 'arg' (an argument error), 'closed', 'key', or the errno code. */
export type Outcome = string;

/** Classify a thrown value; anything that is not a documented kind fails the property. */
export function classifyError(err: unknown): Outcome {
  if (!(err instanceof Error)) throw new Error(`undocumented throw: ${String(err)}`);
  const e = err as Error & { code?: unknown; syscall?: unknown; errno?: unknown };
  if (e.code === 'ERR_INVALID_ARG_TYPE' || e.code === 'ERR_INVALID_ARG_VALUE') {
    if (!(e instanceof TypeError)) throw new Error(`${String(e.code)} is not a TypeError: ${e.stack}`);
    return 'arg';
  }
  if (e.code === 'ERR_OUT_OF_RANGE') {
    if (!(e instanceof RangeError)) throw new Error(`ERR_OUT_OF_RANGE is not a RangeError: ${e.stack}`);
    return 'arg';
  }
  if (e.code === 'ERR_IOREADY_CLOSED') return 'closed';
  if (e.code === 'ERR_IOREADY_KEY') return 'key';
  if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string' && e.syscall !== '') {
    if (typeof e.errno !== 'number' || e.errno >= 0) throw new Error(`system error without a negative errno: ${e.stack}`);
    if (!e.message.startsWith(`${e.code}: `)) throw new Error(`system error message not Node's shape: ${e.message}`);
    return e.code;
  }
  throw new Error(`undocumented error kind: ${e.stack}`);
}

function attempt(fn: () => unknown): [Outcome, unknown] {
  try {
    return ['ok', fn()];
  } catch (err) {
    return [classifyError(err), undefined];
  }
}

class Violation extends Error {}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Violation(what);
}

// ---------------------------------------------------------------- arguments

/** A generated argument, resolved against the world when the call is made. */
type FdArg =
  | { t: 'live'; i: number } // a world fd: pipe, socket, eventfd, or an epoll fd
  | { t: 'closed'; i: number } // a number the world closed (maybe reused since)
  | { t: 'std'; v: number } // 0, 1, 2
  | { t: 'raw'; v: unknown } // negative, huge, NaN, a string, null...
  | { t: 'objfd'; inner: FdArg }
  | { t: 'fileno'; inner: FdArg };

/** What an argument validator makes of a value: an fd number, or the error it must throw. */
type Valid = number | 'arg';

const INT32_MAX = 0x7fffffff;

function classifyFd(v: unknown): Valid {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= INT32_MAX ? v : 'arg';
  if (typeof v === 'object' && v !== null) {
    const o = v as { fd?: unknown; fileno?: unknown };
    // fileno() and .fd must give a number: a wrapped wrapper is not an fd.
    if (typeof o.fileno === 'function') return classifyInt((o.fileno as () => unknown)(), 0, INT32_MAX);
    if ('fd' in o) return classifyInt(o.fd, 0, INT32_MAX);
  }
  return 'arg';
}

function classifyInt(v: unknown, min: number, max: number): Valid {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : 'arg';
}

const weird = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, 1.5, -0.5, '3', '', null, undefined, {}, [], true, 3n, Symbol('fd'), () => 3);

const plainFdArg: fc.Arbitrary<FdArg> = fc.oneof(
  { weight: 12, arbitrary: fc.nat(1000).map((i): FdArg => ({ t: 'live', i })) },
  { weight: 4, arbitrary: fc.nat(1000).map((i): FdArg => ({ t: 'closed', i })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((v): FdArg => ({ t: 'std', v })) },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.integer({ min: -(2 ** 31), max: -1 }),
        fc.constantFrom(-1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER, 65536, 1 << 20),
        fc.integer({ min: 20000, max: INT32_MAX }),
        weird,
      )
      .map((v): FdArg => ({ t: 'raw', v })),
  },
);

/** An fd argument: a plain one, or one wrapped in `{ fd }`, `{ fileno() }` or both. */
const fdArg: fc.Arbitrary<FdArg> = fc.oneof(
  { weight: 18, arbitrary: plainFdArg },
  { weight: 1, arbitrary: plainFdArg.map((inner): FdArg => ({ t: 'objfd', inner })) },
  { weight: 1, arbitrary: plainFdArg.map((inner): FdArg => ({ t: 'fileno', inner })) },
  { weight: 1, arbitrary: plainFdArg.map((inner): FdArg => ({ t: 'fileno', inner: { t: 'objfd', inner } })) },
);

const EPOLL_BITS = [EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLET, EPOLLONESHOT, EPOLLWAKEUP, EPOLLEXCLUSIVE, 0x40, 0x80, 0x100, 0x200, 0x400];

const epollMask = fc.oneof(
  { weight: 8, arbitrary: fc.subarray(EPOLL_BITS).map((bits) => bits.reduce((a, b) => a | b, 0)) }, // signed when ET is in
  { weight: 2, arbitrary: fc.subarray(EPOLL_BITS).map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(2 ** 32, -(2 ** 31) - 1, NaN, 1.5, '1', null, undefined, {}) },
);

const pollMask = fc.oneof(
  { weight: 8, arbitrary: fc.subarray([POLLIN, POLLPRI, POLLOUT, 8, 0x10, POLLNVAL, 0x40, 0x100, 0x2000]).map((b) => b.reduce((a, x) => a | x, 0)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0x10000, -1, NaN, '1', null, 2.5) },
);

const selectorEvents = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(EVENT_READ, EVENT_WRITE, EVENT_READ | EVENT_WRITE) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 4, 7, -1, 2 ** 31, 1.5, '1', null, undefined) },
);

/** Timeouts that never block: 0 mostly, sometimes a fraction (rounds up to 1 ms), sometimes invalid. */
const pollTimeout = fc.oneof(
  { weight: 20, arbitrary: fc.constant<unknown>(0) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-0, 0.0001, 0.5, 1) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(NaN, '0', {}, 2 ** 40) },
);
/** Selectors also take negatives (<= 0 returns at once, as Python's). */
const selectorTimeout = fc.oneof(
  { weight: 10, arbitrary: pollTimeout },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(-1, -1000, -Infinity, -0.5) },
);
const maxEvents = fc.oneof(
  { weight: 6, arbitrary: fc.constant<unknown>(undefined) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(-1, 1, 2, 3, 64, INT32_MAX) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -2, 1.5, NaN, '8', 2 ** 31) },
);
const range = fc.record({
  size: fc.constantFrom(0, 1, 8, 64, 4096, 70000),
  offset: fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, fc.nat(80000), fc.constantFrom<unknown>(-1, 1.5, 'x')),
  length: fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, fc.nat(80000), fc.constantFrom<unknown>(-1, NaN)),
});

// ---------------------------------------------------------------- operations

const slot = fc.nat(1);
const sel = fc.nat(2);
const fdList = fc.array(fdArg, { maxLength: 4 });

/** One generated call. */
export type Op =
  | { k: 'epRegister'; e: number; fd: FdArg; mask: unknown; omit: boolean }
  | { k: 'epModify'; e: number; fd: FdArg; mask: unknown }
  | { k: 'epUnregister'; e: number; fd: FdArg }
  | { k: 'epPoll'; e: number; timeout: unknown; max: unknown }
  | { k: 'epClose'; e: number }
  | { k: 'epReopen'; e: number }
  | { k: 'epFileno'; e: number }
  | { k: 'epStart'; e: number; fn: boolean }
  | { k: 'epStop'; e: number }
  | { k: 'pRegister'; fd: FdArg; mask: unknown; omit: boolean }
  | { k: 'pModify'; fd: FdArg; mask: unknown }
  | { k: 'pUnregister'; fd: FdArg }
  | { k: 'pPoll'; timeout: unknown }
  | { k: 'sRegister'; s: number; fd: FdArg; events: unknown; data: number }
  | { k: 'sModify'; s: number; fd: FdArg; events: unknown; data: number }
  | { k: 'sUnregister'; s: number; fd: FdArg }
  | { k: 'sSelect'; s: number; timeout: unknown }
  | { k: 'sGetKey'; s: number; fd: FdArg }
  | { k: 'sClose'; s: number }
  | { k: 'sReopen'; s: number }
  | { k: 'select'; r: FdArg[]; w: FdArg[]; x: FdArg[]; timeout: unknown }
  | { k: 'pipe' }
  | { k: 'socketpair'; type: unknown }
  | { k: 'eventfd'; init: unknown }
  | { k: 'tcp'; what: number }
  | { k: 'close'; fd: FdArg }
  | { k: 'read'; fd: FdArg; r: { size: number; offset: unknown; length: unknown } }
  | { k: 'write'; fd: FdArg; r: { size: number; offset: unknown; length: unknown } }
  | { k: 'recv'; fd: FdArg; r: { size: number; offset: unknown; length: unknown }; flags: unknown }
  | { k: 'send'; fd: FdArg; r: { size: number; offset: unknown; length: unknown }; flags: unknown }
  | { k: 'efd'; fd: FdArg; value: unknown }
  | { k: 'shutdown'; fd: FdArg; how: unknown };

const msgFlags = fc.oneof(
  { weight: 6, arbitrary: fc.constant<unknown>(0) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(MSG_OOB, MSG_PEEK, MSG_WAITALL, MSG_PEEK | MSG_OOB) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, 'x', 2 ** 31) },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ k: fc.constant('epRegister' as const), e: slot, fd: fdArg, mask: epollMask, omit: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('epModify' as const), e: slot, fd: fdArg, mask: epollMask }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('epUnregister' as const), e: slot, fd: fdArg }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('epPoll' as const), e: slot, timeout: pollTimeout, max: maxEvents }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('epClose' as const), e: slot }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('epReopen' as const), e: slot }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('epFileno' as const), e: slot }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('epStart' as const), e: slot, fn: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('epStop' as const), e: slot }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('pRegister' as const), fd: fdArg, mask: pollMask, omit: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pModify' as const), fd: fdArg, mask: pollMask }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('pUnregister' as const), fd: fdArg }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('pPoll' as const), timeout: pollTimeout }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('sRegister' as const), s: sel, fd: fdArg, events: selectorEvents, data: fc.nat(9) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('sModify' as const), s: sel, fd: fdArg, events: selectorEvents, data: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('sUnregister' as const), s: sel, fd: fdArg }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('sSelect' as const), s: sel, timeout: selectorTimeout }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sGetKey' as const), s: sel, fd: fdArg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('sClose' as const), s: sel }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sReopen' as const), s: sel }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('select' as const), r: fdList, w: fdList, x: fdList, timeout: pollTimeout }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('pipe' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('socketpair' as const), type: fc.constantFrom<unknown>(undefined, 1, 2, 5, 3, 99, 'x') }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('eventfd' as const), init: fc.constantFrom<unknown>(0, 1, 5, 0xffffffff, -1, 2 ** 32, 1.5) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('tcp' as const), what: fc.nat(3) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('close' as const), fd: fdArg }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('read' as const), fd: fdArg, r: range }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('write' as const), fd: fdArg, r: range }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('recv' as const), fd: fdArg, r: range, flags: msgFlags }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('send' as const), fd: fdArg, r: range, flags: msgFlags }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('efd' as const), fd: fdArg, value: fc.constantFrom<unknown>(undefined, 0, 1, 7n, 0xfffffffffffffffen, 2n ** 64n, -1, 'x') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('shutdown' as const), fd: fdArg, how: fc.constantFrom<unknown>('read', 'write', 'both', 0, 1, 2, 3, 'x') }) },
);

// ---------------------------------------------------------------- the world

const ERR_HUP = EPOLLERR | EPOLLHUP;
const PRIVATE_BITS = (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE) >>> 0;
/** Whether the kernel keeps EPOLLWAKEUP (it needs CAP_BLOCK_SUSPEND; containers drop it). */
let wakeupKept: boolean | undefined;

/** The events the kernel stores for a registration with `mask` (it adds ERR|HUP). */
function stored(mask: number): number {
  let m = (mask | ERR_HUP) >>> 0;
  if (!wakeupKept) m = (m & ~EPOLLWAKEUP) >>> 0;
  return m;
}

/** The registrations of an epoll fd, as the kernel lists them. */
export function kernelRegistrations(epfd: number): Map<number, number> {
  const info = fs.readFileSync(`/proc/self/fdinfo/${epfd}`, 'utf8');
  const regs = new Map<number, number>();
  for (const m of info.matchAll(/^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm)) regs.set(Number(m[1]), parseInt(m[2]!, 16));
  return regs;
}

function isOpenFd(fd: number): boolean {
  return fs.existsSync(`/proc/self/fd/${fd}`);
}

type Kind = 'pipe' | 'sock' | 'efd' | 'listener' | 'tcp';

interface EpSlot {
  ep: Epoll;
  /** fd -> the mask it was registered with (as the kernel stores it). */
  model: Map<number, number>;
}

interface SelSlot {
  sel: EpollSelector<number> | PollSelector<number> | SelectSelector<number>;
  /** fd -> the generation of that fd number when registered. */
  gens: Map<number, number>;
}

/** Per-run statistics, summed over runs. */
export interface FuzzStats {
  calls: number;
  runs: number;
  outcomes: Map<Outcome, number>;
  kernelChecks: number;
}

export class World {
  /** fds the world opened (and must close): fd -> kind. */
  readonly own = new Map<number, Kind>();
  /** Numbers the world closed (some are open again, reused). */
  readonly closedNums: number[] = [];
  /** How many times each fd number was closed: a registration from an older generation is stale. */
  readonly gen = new Map<number, number>();
  readonly eps: EpSlot[] = [];
  readonly sels: SelSlot[] = [];
  poll = new Poll();
  pollModel = new Map<number, number>();
  readonly listeners: number[] = [];
  readonly stats: FuzzStats;
  readonly scratch = Buffer.alloc(70000);

  constructor(stats: FuzzStats) {
    this.stats = stats;
    for (let i = 0; i < 2; i++) this.eps.push({ ep: new Epoll(), model: new Map() });
    for (let i = 0; i < 3; i++) this.sels.push({ sel: this.#newSelector(i), gens: new Map() });
    for (let i = 0; i < 4; i++) this.#track(pipe(), 'pipe');
    this.#track(socketpair(), 'sock');
    this.own.set(eventfd(1), 'efd');
  }

  #newSelector(i: number): SelSlot['sel'] {
    return i === 0 ? new EpollSelector<number>() : i === 1 ? new PollSelector<number>() : new SelectSelector<number>();
  }

  #track(fds: number[], kind: Kind): void {
    for (const fd of fds) this.own.set(fd, kind);
  }

  /** Every fd a call might name: the world's own, and the epoll fds. */
  #pool(): number[] {
    const pool = [...this.own.keys()];
    for (const s of this.eps) if (!s.ep.closed) pool.push(s.ep.fd);
    const s0 = this.sels[0]!.sel as EpollSelector<number>;
    if (!s0.closed) pool.push(s0.fileno());
    return pool;
  }

  /** Turn a generated argument into a value (and the fd or error validation must give). */
  resolve(a: FdArg): unknown {
    switch (a.t) {
      case 'live': {
        const pool = this.#pool();
        return pool.length === 0 ? 0 : pool[a.i % pool.length];
      }
      case 'closed':
        return this.closedNums.length === 0 ? 1_000_000 : this.closedNums[a.i % this.closedNums.length];
      case 'std':
        return a.v;
      case 'raw':
        return a.v;
      case 'objfd':
        return { fd: this.resolve(a.inner) };
      case 'fileno': {
        const v = this.resolve(a.inner);
        return { fileno: () => v };
      }
    }
  }

  /** An fd the toolkit may read, write or close: the world's own, or a number no one has open. */
  #mayTouch(v: Valid): boolean {
    return v === 'arg' || this.own.has(v) || !isOpenFd(v);
  }

  /** The world closed `fd` (it was its only reference): the kernel dropped its registrations. */
  #closed(fd: number): void {
    this.own.delete(fd);
    this.closedNums.push(fd);
    if (this.closedNums.length > 64) this.closedNums.shift();
    this.gen.set(fd, (this.gen.get(fd) ?? 0) + 1);
    for (const s of this.eps) s.model.delete(fd);
    const li = this.listeners.indexOf(fd);
    if (li >= 0) this.listeners.splice(li, 1);
  }

  #count(outcome: Outcome): void {
    this.stats.calls++;
    this.stats.outcomes.set(outcome, (this.stats.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Perform one operation and check every invariant after it. */
  step(op: Op): void {
    try {
      this.#step(op);
    } catch (err) {
      if (err instanceof Violation) err.message += ` (op ${JSON.stringify(op, jsonSafe)})`;
      throw err;
    }
    this.verify(op);
  }

  #step(op: Op): void {
    switch (op.k) {
      case 'epRegister':
      case 'epModify':
      case 'epUnregister': {
        const s = this.eps[op.e]!;
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        const mask = op.k === 'epUnregister' ? 0 : op.k === 'epRegister' && (op.omit || op.mask === undefined) ? EPOLLIN : op.mask;
        const m = op.k === 'epUnregister' ? 0 : classifyInt(mask, -(2 ** 31), 0xffffffff);
        const wasOpen = fd !== 'arg' && isOpenFd(fd);
        const [out] = attempt(() => {
          if (op.k === 'epRegister') return op.omit ? s.ep.register(arg as FdLike) : s.ep.register(arg as FdLike, mask as number);
          if (op.k === 'epModify') return s.ep.modify(arg as FdLike, mask as number);
          return s.ep.unregister(arg as FdLike);
        });
        this.#count(out);
        if (s.ep.closed) return expect(out === 'closed', `${op.k} on a closed Epoll: ${out}`);
        if (fd === 'arg' || m === 'arg') return expect(out === 'arg', `${op.k} with an invalid argument: ${out}`);
        if (!wasOpen) return expect(out === 'EBADF', `${op.k} of closed fd ${fd}: ${out}, want EBADF`);
        const known = s.model.has(fd);
        // The kernel checks the target before looking it up: EINVAL for the epoll fd
        // itself and for EPOLLEXCLUSIVE misuse, EPERM for a file that cannot be polled.
        const early = (out === 'EINVAL' && (fd === s.ep.fd || ((m as number) & EPOLLEXCLUSIVE) !== 0)) || (out === 'EPERM' && fd <= 2);
        if (op.k === 'epRegister') {
          if (known) return expect(out === 'EEXIST' || early, `register of registered fd ${fd}: ${out}, want EEXIST`);
          expect(out === 'ok' || /^E/.test(out), `register: ${out}`);
          if (out === 'ok') s.model.set(fd, stored(m as number));
        } else if (op.k === 'epModify') {
          if (!known) return expect(out === 'ENOENT' || early, `modify of unregistered fd ${fd}: ${out}, want ENOENT`);
          if (out === 'ok') s.model.set(fd, stored(m as number));
        } else {
          if (!known) return expect(out === 'ENOENT' || early, `unregister of unregistered fd ${fd}: ${out}, want ENOENT`);
          expect(out === 'ok', `unregister of registered fd ${fd}: ${out}`);
          s.model.delete(fd);
        }
        return;
      }
      case 'epPoll': {
        const s = this.eps[op.e]!;
        const [out, res] = attempt(() => s.ep.poll(op.timeout as number, op.max as number));
        this.#count(out);
        if (s.ep.closed) return expect(out === 'closed', `poll on a closed Epoll: ${out}`);
        const badT = typeof op.timeout !== 'number' || Number.isNaN(op.timeout) || op.timeout > INT32_MAX;
        const badM = op.max !== undefined && op.max !== -1 && classifyInt(op.max, 1, INT32_MAX) === 'arg';
        if (badT || badM) return expect(out === 'arg', `poll with a bad timeout/maxEvents: ${out}`);
        expect(out === 'ok', `poll: ${out}`);
        const list = res as Array<[number, number]>;
        const cap = op.max === undefined || op.max === -1 ? Infinity : (op.max as number);
        expect(list.length <= cap, `poll returned ${list.length} > maxEvents ${cap}`);
        const seen = new Set<number>();
        for (const [fd, ev] of list) {
          const want = s.model.get(fd);
          expect(want !== undefined, `poll reported fd ${fd}, which is not registered`);
          expect(!seen.has(fd), `poll reported fd ${fd} twice`);
          seen.add(fd);
          expect(ev !== 0 && ev >>> 0 === ev, `poll events ${ev} not an unsigned non-zero mask`);
          expect((ev & ~(want! | ERR_HUP)) === 0, `fd ${fd}: events 0x${ev.toString(16)} outside its mask 0x${want!.toString(16)}`);
          if (want! & EPOLLONESHOT) s.model.set(fd, (want! & PRIVATE_BITS) >>> 0); // fired: disarmed
        }
        return;
      }
      case 'epClose': {
        const s = this.eps[op.e]!;
        const fd = s.ep.fd;
        const [out] = attempt(() => s.ep.close());
        this.#count(out);
        expect(out === 'ok', `close: ${out}`);
        expect(s.ep.fd === -1 && s.ep.closed, 'a closed Epoll says fd -1 and closed');
        if (fd >= 0) {
          expect(!isOpenFd(fd), `Epoll.close left fd ${fd} open`);
          s.model.clear();
          this.#closed(fd);
        }
        return;
      }
      case 'epReopen': {
        const s = this.eps[op.e]!;
        if (!s.ep.closed) return;
        s.ep = new Epoll();
        s.model = new Map();
        this.#count('ok');
        return;
      }
      case 'epFileno': {
        const s = this.eps[op.e]!;
        const [out, fd] = attempt(() => s.ep.fileno());
        this.#count(out);
        expect(s.ep.closed ? out === 'closed' : out === 'ok' && fd === s.ep.fd, `fileno: ${out}`);
        return;
      }
      case 'epStart':
      case 'epStop': {
        // The watch starts and stops on the event loop's epoll; nothing is delivered
        // while this synchronous run holds the thread, and nothing may change the kernel
        // state of our epoll (verify() checks), or fail on close() afterwards.
        const s = this.eps[op.e]!;
        const listener: unknown = op.k === 'epStart' && op.fn ? () => undefined : 'not a function';
        const [out, ret] = attempt(() => (op.k === 'epStart' ? s.ep.start(listener as () => void) : s.ep.stop()));
        this.#count(out);
        if (s.ep.closed) return expect(out === 'closed', `${op.k} on a closed Epoll: ${out}`);
        if (op.k === 'epStart' && !op.fn) return expect(out === 'arg', `start(non-function): ${out}`);
        expect(out === 'ok' && ret === s.ep, `${op.k}: ${out}`);
        return;
      }
      case 'pRegister':
      case 'pModify':
      case 'pUnregister': {
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        const mask = op.k === 'pUnregister' ? 0 : op.k === 'pRegister' && (op.omit || op.mask === undefined) ? POLLIN : op.mask;
        const m = op.k === 'pUnregister' ? 0 : classifyInt(mask, 0, 0xffff);
        const [out] = attempt(() => {
          if (op.k === 'pRegister') return op.omit ? this.poll.register(arg as FdLike) : this.poll.register(arg as FdLike, mask as number);
          if (op.k === 'pModify') return this.poll.modify(arg as FdLike, mask as number);
          return this.poll.unregister(arg as FdLike);
        });
        this.#count(out);
        if (fd === 'arg' || m === 'arg') return expect(out === 'arg', `Poll.${op.k} with an invalid argument: ${out}`);
        const known = this.pollModel.has(fd);
        if (op.k !== 'pRegister' && !known) return expect(out === 'ENOENT', `Poll.${op.k} of unregistered ${fd}: ${out}`);
        expect(out === 'ok', `Poll.${op.k}: ${out}`);
        if (op.k === 'pUnregister') this.pollModel.delete(fd);
        else this.pollModel.set(fd, m as number);
        return;
      }
      case 'pPoll': {
        const [out, res] = attempt(() => this.poll.poll(op.timeout as number));
        this.#count(out);
        const badT = typeof op.timeout !== 'number' || Number.isNaN(op.timeout) || op.timeout > INT32_MAX;
        if (badT) return expect(out === 'arg', `Poll.poll with a bad timeout: ${out}`);
        expect(out === 'ok', `Poll.poll: ${out}`);
        const order = [...this.pollModel.keys()];
        let last = -1;
        for (const [fd, rev] of res as Array<[number, number]>) {
          const i = order.indexOf(fd);
          expect(i > last, `Poll.poll reported fd ${fd} out of registration order or unregistered`);
          last = i;
          expect(rev !== 0, 'Poll.poll reported revents 0');
          if (!isOpenFd(fd)) expect(rev === POLLNVAL, `closed fd ${fd}: revents ${rev}, want POLLNVAL`);
          else expect((rev & ~(this.pollModel.get(fd)! | 0x8 | 0x10)) === 0, `fd ${fd}: revents 0x${rev.toString(16)} outside events`);
        }
        return;
      }
      case 'sRegister':
      case 'sModify':
      case 'sUnregister':
      case 'sGetKey': {
        const s = this.sels[op.s]!;
        const arg = this.resolve(op.fd);
        const map = s.sel.closed ? undefined : s.sel.getMap();
        const before = map ? new Map(map) : undefined;
        const ev = op.k === 'sRegister' || op.k === 'sModify' ? op.events : 1;
        const evOk = typeof ev === 'number' && Number.isInteger(ev) && ev >= 1 && ev <= 3;
        let fd = classifyFd(arg);
        // A fileobj that no longer yields an fd is still found by identity among the keys.
        if (fd === 'arg' && before) for (const k of before.values()) if (k.fileobj === arg) fd = k.fd;
        const [out, key] = attempt(() => {
          if (op.k === 'sRegister') return s.sel.register(arg as FdLike, ev as number, op.data);
          if (op.k === 'sModify') return s.sel.modify(arg as FdLike, ev as number, op.data);
          if (op.k === 'sUnregister') return s.sel.unregister(arg as FdLike);
          return s.sel.getKey(arg as FdLike);
        });
        this.#count(out);
        if (!before) return expect(out === 'closed', `selector ${op.k} after close: ${out}`);
        const after = s.sel.getMap();
        const unchanged = (): void => {
          expect(after.size === before.size && [...before].every(([f, k]) => after.get(f) === k), `selector ${op.k} failed (${out}) but changed the map`);
        };
        if (!evOk || fd === 'arg') {
          expect(out === 'arg', `selector ${op.k} with an invalid argument: ${out}`);
          return unchanged();
        }
        const known = before.get(fd);
        if (op.k === 'sRegister') {
          if (known) {
            expect(out === 'key', `selector register of registered fd ${fd}: ${out}`);
            return unchanged();
          }
          if (op.s === 1) expect(out === 'ok', `PollSelector register: ${out}`);
          if (op.s === 2) expect(fd < 1024 ? out === 'ok' : out === 'arg', `SelectSelector register of ${fd}: ${out}`);
          if (out !== 'ok') return unchanged();
          const k = key as SelectorKey<number>;
          expect(after.get(fd) === k && k.fd === fd && k.events === ev && k.data === op.data && k.fileobj === arg, 'register: the key in the map');
          s.gens.set(fd, this.gen.get(fd) ?? 0);
          return;
        }
        if (!known) {
          expect(out === 'key', `selector ${op.k} of unregistered fd ${fd}: ${out}`);
          return unchanged();
        }
        if (op.k === 'sGetKey') {
          expect(out === 'ok' && key === known, `getKey: ${out}`);
          return unchanged();
        }
        if (op.k === 'sUnregister') {
          expect(out === 'ok' && key === known && !after.has(fd), `selector unregister: ${out}`);
          s.gens.delete(fd);
          return;
        }
        // modify
        if (out === 'ok') {
          const k = key as SelectorKey<number>;
          expect(after.get(fd) === k && k.events === ev && k.data === op.data && k.fileobj === known.fileobj, 'modify: the new key');
        } else {
          expect(/^E/.test(out) && !after.has(fd), `selector modify refused (${out}): the key must be dropped`);
          s.gens.delete(fd);
        }
        return;
      }
      case 'sSelect': {
        const s = this.sels[op.s]!;
        const [out, res] = attempt(() => s.sel.select(op.timeout as number));
        this.#count(out);
        if (s.sel.closed) return expect(out === 'closed', `select after close: ${out}`);
        const t = op.timeout;
        const badT = typeof t !== 'number' || Number.isNaN(t) || t > INT32_MAX;
        if (badT) return expect(out === 'arg', `selector select with a bad timeout: ${out}`);
        if (op.s === 2 && out === 'EBADF') return; // SelectSelector with a closed fd, as Python's
        expect(out === 'ok', `selector select: ${out}`);
        const map = s.sel.getMap();
        for (const [key, events] of res as Array<[SelectorKey<number>, number]>) {
          expect(map.get(key.fd) === key, `select returned a key not in the map (fd ${key.fd})`);
          expect(events !== 0 && (events & ~key.events) === 0, `select events ${events} outside the key's ${key.events}`);
        }
        return;
      }
      case 'sClose': {
        const s = this.sels[op.s]!;
        const epfd = op.s === 0 && !s.sel.closed ? (s.sel as EpollSelector<number>).fileno() : -1;
        const [out] = attempt(() => s.sel.close());
        this.#count(out);
        expect(out === 'ok' && s.sel.closed, `selector close: ${out}`);
        if (epfd >= 0) {
          expect(!isOpenFd(epfd), 'EpollSelector.close closes its epoll fd');
          this.#closed(epfd);
        }
        s.gens.clear();
        return;
      }
      case 'sReopen': {
        const s = this.sels[op.s]!;
        if (!s.sel.closed) return;
        s.sel = this.#newSelector(op.s);
        this.#count('ok');
        return;
      }
      case 'select': {
        const lists = [op.r, op.w, op.x].map((l) => l.map((a) => this.resolve(a)));
        const [out, res] = attempt(() => select(lists[0] as FdLike[], lists[1] as FdLike[], lists[2] as FdLike[], op.timeout as number));
        this.#count(out);
        const fds = lists.flat().map(classifyFd);
        const badT = typeof op.timeout !== 'number' || Number.isNaN(op.timeout) || op.timeout > INT32_MAX;
        if (badT || fds.some((f) => f === 'arg' || f >= 1024)) return expect(out === 'arg', `select() with an invalid argument: ${out}`);
        if (fds.some((f) => !isOpenFd(f as number))) return expect(out === 'EBADF', `select() of a closed fd: ${out}`);
        expect(out === 'ok', `select(): ${out}`);
        const r = res as unknown[][];
        for (let i = 0; i < 3; i++) {
          let at = 0;
          for (const o of r[i]!) {
            const j = lists[i]!.indexOf(o, at);
            expect(j >= 0, 'select() returned an object it was not given, or out of order');
            at = j + 1;
          }
        }
        return;
      }
      case 'pipe':
      case 'socketpair':
      case 'eventfd': {
        if (this.own.size > 48) return;
        const [out, res] = attempt(() =>
          op.k === 'pipe' ? pipe() : op.k === 'socketpair' ? socketpair({ type: op.type as number }) : [eventfd(op.init as number)],
        );
        this.#count(out);
        if (op.k === 'socketpair' && classifyInt(op.type ?? 1, 0, INT32_MAX) === 'arg') return expect(out === 'arg', `socketpair type ${String(op.type)}: ${out}`);
        if (op.k === 'eventfd' && classifyInt(op.init, 0, 0xffffffff) === 'arg') return expect(out === 'arg', `eventfd ${String(op.init)}: ${out}`);
        if (op.k === 'socketpair' && out !== 'ok') return expect(/^E/.test(out), `socketpair: ${out}`);
        expect(out === 'ok', `${op.k}: ${out}`);
        this.#track(res as number[], op.k === 'pipe' ? 'pipe' : op.k === 'eventfd' ? 'efd' : 'sock');
        return;
      }
      case 'tcp':
        return this.#tcp(op.what);
      case 'close': {
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        if (!this.#mayTouch(fd)) return; // someone else's fd (an Epoll's, Node's, stdio): hands off
        const [out] = attempt(() => close(arg as FdLike));
        this.#count(out);
        if (fd === 'arg') return expect(out === 'arg', `close(${String(arg)}): ${out}`);
        if (!this.own.has(fd)) return expect(out === 'EBADF', `close of closed fd ${fd}: ${out}`);
        expect(out === 'ok' && !isOpenFd(fd), `close of fd ${fd}: ${out}`);
        this.#closed(fd);
        return;
      }
      case 'read':
      case 'write':
      case 'recv':
      case 'send': {
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        if (!this.#mayTouch(fd)) return;
        const buf = this.scratch.subarray(0, op.r.size);
        const { offset, length } = op.r;
        const flags = op.k === 'recv' || op.k === 'send' ? op.flags : 0;
        const [out, n] = attempt(() => {
          if (op.k === 'read') return read(arg as FdLike, buf, offset as number, length as number);
          if (op.k === 'write') return write(arg as FdLike, buf, offset as number, length as number);
          if (op.k === 'recv') return recv(arg as FdLike, buf, offset as number, length as number, flags as number);
          return send(arg as FdLike, buf, offset as number, length as number, flags as number);
        });
        this.#count(out);
        const off = offset === undefined ? 0 : classifyInt(offset, 0, buf.length);
        const len = off === 'arg' ? 'arg' : length === undefined ? buf.length - off : classifyInt(length, 0, buf.length - off);
        if (fd === 'arg' || off === 'arg' || len === 'arg' || classifyInt(flags, 0, INT32_MAX) === 'arg') {
          return expect(out === 'arg', `${op.k} with an invalid argument: ${out}`);
        }
        if (!this.own.has(fd)) return expect(out === 'EBADF', `${op.k} of closed fd ${fd}: ${out}`);
        if (out === 'ok' && op.k === 'recv' && len === 0 && n === 1 && ((flags as number) & MSG_OOB) !== 0 && this.own.get(fd) === 'sock') {
          // Kernel quirk (AF_UNIX MSG_OOB, Linux >= 6.9): recv of 0 bytes consumes the
          // urgent byte, copies nothing, and returns 1. Counted, not hidden.
          this.stats.outcomes.set('quirk:unix-oob-recv0', (this.stats.outcomes.get('quirk:unix-oob-recv0') ?? 0) + 1);
          return;
        }
        if (out === 'ok') expect(n === null || (typeof n === 'number' && n >= 0 && n <= len), `${op.k} returned ${String(n)} for ${len} bytes`);
        else expect(/^E/.test(out), `${op.k}: ${out}`);
        return;
      }
      case 'efd': {
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        if (!this.#mayTouch(fd)) return;
        const [out] = attempt(() => (op.value === undefined ? eventfdRead(arg as FdLike) : eventfdWrite(arg as FdLike, op.value as number)));
        this.#count(out);
        if (fd !== 'arg' && !this.own.has(fd) && out !== 'arg') expect(out === 'EBADF', `eventfd op on closed fd: ${out}`);
        return;
      }
      case 'shutdown': {
        const arg = this.resolve(op.fd);
        const fd = classifyFd(arg);
        if (!this.#mayTouch(fd)) return;
        const [out] = attempt(() => shutdown(arg as FdLike, op.how as 'read'));
        this.#count(out);
        if (fd === 'arg') expect(out === 'arg', `shutdown of ${String(arg)}: ${out}`);
        return;
      }
    }
  }

  /** TCP over 127.0.0.1: a listener, a client connecting to it (non-blocking), an accept. */
  #tcp(what: number): void {
    if (this.own.size > 48) return;
    if (what === 0 || this.listeners.length === 0) {
      const fd = socket('IPv4');
      this.own.set(fd, 'listener');
      bind(fd, '127.0.0.1', 0);
      listen(fd, 8);
      this.listeners.push(fd);
      this.#count('ok');
      return;
    }
    const lfd = this.listeners[what % this.listeners.length]!;
    if (what === 1) {
      const fd = socket('IPv4');
      this.own.set(fd, 'tcp');
      const [out] = attempt(() => connect(fd, '127.0.0.1', localAddress(lfd).port));
      this.#count(out);
      // A listener shut down by an earlier call refuses (ECONNREFUSED): only system errors.
      expect(out === 'ok' || /^E/.test(out), `connect to our listener: ${out}`);
      return;
    }
    const [out, conn] = attempt(() => accept(lfd));
    this.#count(out);
    expect(out === 'ok' || /^E/.test(out), `accept: ${out}`); // EINVAL once shut down
    if (conn) this.own.set((conn as { fd: number }).fd, 'tcp');
  }

  /** The kernel agrees with the models: each Epoll's interest list, the EpollSelector's map. */
  verify(op?: Op): void {
    for (const s of this.eps) {
      if (s.ep.closed) continue;
      this.stats.kernelChecks++;
      const k = kernelRegistrations(s.ep.fd);
      if (!sameMap(k, s.model)) {
        throw new Violation(`after ${JSON.stringify(op, jsonSafe)}: epoll fd ${s.ep.fd} kernel ${show(k)} != model ${show(s.model)}`);
      }
    }
    const s0 = this.sels[0]!;
    if (!s0.sel.closed) {
      this.stats.kernelChecks++;
      const k = kernelRegistrations((s0.sel as EpollSelector<number>).fileno());
      const want = new Map<number, number>();
      const stale = new Set<number>();
      for (const [fd, key] of s0.sel.getMap()) {
        if ((this.gen.get(fd) ?? 0) !== s0.gens.get(fd)) stale.add(fd); // closed since: the kernel dropped it
        else want.set(fd, stored((key.events & EVENT_READ ? EPOLLIN : 0) | (key.events & EVENT_WRITE ? EPOLLOUT : 0)));
      }
      for (const fd of k.keys()) expect(want.has(fd), `EpollSelector: the kernel has fd ${fd}, the map has not (${show(k)})`);
      for (const [fd, m] of want) expect(k.get(fd) === m, `EpollSelector: fd ${fd} kernel ${k.get(fd)?.toString(16)} != map ${m.toString(16)}`);
    }
  }

  /** Close everything the run opened. */
  teardown(): void {
    for (const s of this.eps) s.ep.close();
    for (const s of this.sels) s.sel.close();
    for (const fd of this.own.keys()) close(fd);
    this.own.clear();
  }
}

function sameMap(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function show(m: Map<number, number>): string {
  return `{${[...m].map(([k, v]) => `${k}:${v.toString(16)}`).join(' ')}}`;
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return String(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** Learn whether this kernel keeps EPOLLWAKEUP for us (it needs CAP_BLOCK_SUSPEND). */
function probeWakeup(): boolean {
  const ep = new Epoll();
  const [r, w] = pipe();
  try {
    ep.register(r, EPOLLIN | EPOLLWAKEUP);
    return ((kernelRegistrations(ep.fd).get(r)! & EPOLLWAKEUP) >>> 0) !== 0;
  } finally {
    ep.close();
    close(r);
    close(w);
  }
}

/** The open fds of this process, with what each is. */
function fdIdentities(): Map<number, string> {
  const m = new Map<number, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      m.set(Number(fd), fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory's own fd, gone already
    }
  }
  return m;
}

export interface FuzzOptions {
  seed: number;
  runs: number;
  opsPerRun: number;
  /** fast-check path of a shrunk counterexample, to replay it alone. */
  path?: string;
  /** Called after each run (progress). */
  onRun?: (stats: FuzzStats) => void;
}

/** The seed to use: FUZZ_SEED if set, else a fresh one. */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${env}`);
    return n;
  }
  return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}

/**
 * Run the fuzzer: `runs` worlds of `opsPerRun` calls each. Throws (with the
 * seed and the shrunk counterexample) on the first violated property.
 */
export function runFuzz(opts: FuzzOptions): FuzzStats {
  wakeupKept ??= probeWakeup();
  const stats: FuzzStats = { calls: 0, runs: 0, outcomes: new Map(), kernelChecks: 0 };
  const before = fdIdentities();
  // Lengths 0..opsPerRun (fast-check can shrink a failing run to its few relevant calls).
  const ops = fc.array(opArb, { maxLength: opts.opsPerRun, size: 'max' });
  try {
    runProperty(opts, ops, stats, before);
  } catch (err) {
    // fast-check's message has the seed and the shrunk run; add what was violated.
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof Error && cause instanceof Error) err.message = `${cause.message}\n${err.message}`;
    throw err;
  }
  return stats;
}

function runProperty(opts: FuzzOptions, ops: fc.Arbitrary<Op[]>, stats: FuzzStats, before: Map<number, string>): void {
  fc.assert(
    fc.property(ops, (list) => {
      const world = new World(stats);
      try {
        for (const op of list) world.step(op);
      } finally {
        world.teardown();
      }
      const now = fdIdentities();
      const leaked = [...now].filter(([fd, what]) => before.get(fd) !== what);
      expect(leaked.length === 0, `fds left open after a run: ${leaked.map(([fd, w]) => `${fd} -> ${w}`).join(', ')}`);
      stats.runs++;
      opts.onRun?.(stats);
    }),
    { seed: opts.seed, numRuns: opts.runs, path: opts.path, endOnFailure: false },
  );
}

/** A one-line summary of the outcomes, most frequent first. */
export function summarize(stats: FuzzStats): string {
  const top = [...stats.outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  return `${stats.calls} calls in ${stats.runs} runs, ${stats.kernelChecks} kernel checks; outcomes: ${top.join(', ')}`;
}
