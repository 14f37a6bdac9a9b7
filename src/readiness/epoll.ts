/**
 * Epoll: Python's select.epoll, synchronous, plus delivery on the Node event
 * loop (start/stop/ref/unref/wait/events, in ./delivery.ts).
 *
 * The kernel holds the interest list; this class keeps no shadow of it that
 * anything depends on. The event-loop delivery keeps the batch being
 * dispatched, so that an fd unregistered, re-registered or closed during a
 * batch gets none of the batch's remaining (stale) events - libuv's
 * uv__platform_invalidate_fd - and notes which fds were registered
 * level-triggered, for its rounds policy.
 */
import { EPOLLIN, EPOLL_MAX_EVENTS } from './constants';
import { readlinkSync } from 'node:fs';
import { check, closedError, errnoError, invalidArgValue } from '../internal/errors';
import { native } from '../internal/binding';
import {
  DEFAULT_ROUNDS,
  Delivery,
  MAX_ROUNDS,
  openHandle,
  type EpollEvent,
  type EpollListener,
  type WaitOptions,
} from './delivery';
import {
  type FdLike,
  toFd,
  validateBool,
  validateFunction,
  validateInt,
  validateMask,
  validateOptions,
  validateTimeout,
} from '../internal/validate';
import { aliasDispose, DISPOSE } from '../internal/dispose';

export type { EpollEvent, EpollListener, WaitOptions } from './delivery';

/** Options of `Epoll.events()`: as `wait()`'s. */
export type EventsOptions = WaitOptions;

/** Options of `new Epoll()`. */
export interface EpollOptions {
  /** Close the epoll fd in child processes (EPOLL_CLOEXEC). Default true. */
  cloexec?: boolean;
}

/** Options of `Epoll.start()`. */
export interface StartOptions {
  /**
   * Batches delivered per event-loop wake-up, at most: 1 to 64, default 64.
   * After a small batch (up to 64 events) the epoll fd is polled again at
   * once, and a new batch delivered while one is ready, so a listener whose
   * reply makes another watched fd ready (request/response between local
   * fds) gets it without a trip through libuv's loop. nextTicks and
   * microtasks still run after each batch. Re-polling stops at the first
   * round with nothing new, or one that only repeats level-triggered fds
   * the listener left undrained (say, it reads in a setImmediate): those are
   * reported once per loop turn, not once per round. The cap bounds how long
   * other event-loop work waits behind a chain of replies. 1 is libuv's own
   * behaviour: one batch per loop turn.
   */
  rounds?: number;
}

const { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL } = native.epollConstants as Record<string, number>;
const F_GETFD = native.fdConstants.F_GETFD!;

/** Scratch for synchronous poll(): one per thread, as poll() blocks the thread. */
const pollOut = new Int32Array(2 * EPOLL_MAX_EVENTS);
/** Bound once (per module instance and thread): poll() converts no array per call. */
const pollSlot = check(native.epollScratch(pollOut), 'epoll_wait');
const { epollWait } = native;

/** poll()'s result: the first n pairs of pollOut, in one pass (nothing in it is ever dropped). */
function pollEvents(n: number): EpollEvent[] {
  const events: EpollEvent[] = new Array(n);
  for (let i = 0; i < n; i++) events[i] = [pollOut[2 * i]!, pollOut[2 * i + 1]! >>> 0];
  return events;
}

/** What the kernel's /proc/self/fd/N says of an epoll fd. */
const EPOLL_LINK = 'anon_inode:[eventpoll]';

/**
 * Throw unless `fd` is an open epoll fd. Open: fcntl(F_GETFD), EBADF as the
 * kernel says. Epoll: its /proc/self/fd link, one readlink(2) - there is no
 * cheaper question the kernel answers for every fd (an epoll_ctl probe needs
 * a second, pollable fd; an epoll_wait probe could consume a one-shot or
 * edge-triggered event). Where /proc is not mounted the kind is not checked
 * (a misuse then shows at the first call, as EINVAL).
 */
function checkIsEpoll(fd: number): void {
  check(native.fcntl(fd, F_GETFD, 0), 'fcntl');
  let link: string;
  try {
    link = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return; // no /proc: nothing to ask
  }
  if (link !== EPOLL_LINK) throw invalidArgValue('fd', fd, `must be an epoll fd; it is ${link}`);
}

/** What Epoll.fromFd passes to the constructor: an fd to own instead of a new one. */
class Adopt {
  constructor(readonly fd: number) {}
}

/**
 * An epoll instance (epoll(7)), owning its fd.
 *
 * Synchronous use is Python's `select.epoll`; `start()`, `wait()` and
 * `events()` deliver readiness from the Node event loop instead, with no thread
 * blocked and no busy polling.
 */
export class Epoll implements Disposable {
  #fd: number;
  /** The event-loop side; null once closed. */
  #delivery: Delivery | null;

  /**
   * Create an epoll instance (epoll_create1).
   * @throws TypeError ERR_INVALID_ARG_TYPE for a bad options object
   * @throws SystemError EMFILE, ENFILE, ENOMEM as the kernel says
   */
  constructor(options?: EpollOptions);
  constructor(options?: EpollOptions | Adopt) {
    if (options instanceof Adopt) {
      this.#fd = options.fd;
    } else {
      const opts = validateOptions<EpollOptions>(options);
      const cloexec = validateBool(opts.cloexec, 'options.cloexec', true);
      this.#fd = check(native.epollCreate(cloexec), 'epoll_create1');
    }
    this.#delivery = new Delivery(openHandle(this.#fd));
  }

  /**
   * Adopt an existing epoll fd: the new object owns it and closes it. An fd
   * that is not an epoll instance is refused at once (its /proc/self/fd link
   * is not `anon_inode:[eventpoll]`), not at the first call that uses it.
   * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an integer
   *   (NaN, Infinity, 1.5...); RangeError ERR_OUT_OF_RANGE for a negative fd;
   *   TypeError ERR_INVALID_ARG_VALUE for an fd that is open but not an epoll
   *   fd (a pipe, a socket...); SystemError EBADF (syscall 'fcntl') for a closed fd
   */
  static fromFd(fd: number): Epoll {
    const n = validateInt(fd, 'fd', 0, 0x7fffffff);
    checkIsEpoll(n);
    // The implementation signature takes an Adopt; the public one does not show it.
    return new Epoll(new Adopt(n) as EpollOptions);
  }

  /** The epoll fd, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#delivery === null;
  }

  /**
   * The epoll fd.
   * @throws ERR_IOREADY_CLOSED once closed
   */
  fileno(): number {
    this.#open();
    return this.#fd;
  }

  /**
   * Watch `fd` for `events` (default EPOLLIN).
   * @param events EPOLLIN, EPOLLOUT, EPOLLET... as a signed or unsigned 32-bit integer
   * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or events
   *   that are not an integer (NaN, Infinity, 1.5...); RangeError ERR_OUT_OF_RANGE for
   *   a negative fd or events outside 32 bits; Error ERR_IOREADY_CLOSED once closed
   * @throws SystemError EEXIST if already registered, EBADF for a closed fd,
   *   EPERM for a regular file, EINVAL for a bad combination (e.g. EPOLLEXCLUSIVE)
   */
  register(fd: FdLike, events: number = EPOLLIN): void {
    const d = this.#open();
    const n = toFd(fd);
    const mask = validateMask(events);
    check(native.epollCtl(this.#fd, EPOLL_CTL_ADD, n, mask), 'epoll_ctl');
    d.registered(n, mask, true);
  }

  /**
   * Change the events `fd` is watched for (also re-arms EPOLLONESHOT).
   * @throws TypeError / RangeError for a bad fd or events, as register()
   * @throws SystemError ENOENT if not registered, EBADF, EINVAL
   */
  modify(fd: FdLike, events: number): void {
    const d = this.#open();
    const n = toFd(fd);
    const mask = validateMask(events);
    check(native.epollCtl(this.#fd, EPOLL_CTL_MOD, n, mask), 'epoll_ctl');
    d.registered(n, mask, false);
  }

  /**
   * Stop watching `fd`. Events still pending for it in the batch being
   * delivered are dropped.
   * @throws TypeError / RangeError for a bad fd, as register()
   * @throws SystemError ENOENT if not registered, EBADF if `fd` is closed
   */
  unregister(fd: FdLike): void {
    const d = this.#open();
    const n = toFd(fd);
    d.unregistered(n);
    check(native.epollCtl(this.#fd, EPOLL_CTL_DEL, n, 0), 'epoll_ctl');
  }

  /**
   * Wait for events, blocking the thread (as Python's epoll.poll).
   * @param timeoutMs undefined, negative or Infinity: forever; 0: return at once;
   *   fractions round up (0.1 waits at least 1 ms). EINTR is retried with the
   *   time that remains.
   * @param maxEvents undefined or -1: as many as are ready, up to EPOLL_MAX_EVENTS
   * @returns the ready `[fd, events]` pairs; `[]` on timeout
   * @throws TypeError ERR_INVALID_ARG_TYPE for a timeoutMs that is not a number, or
   *   a maxEvents that is not an integer (NaN, Infinity, 1.5...);
   *   RangeError ERR_OUT_OF_RANGE for a NaN timeoutMs or one above 2^31-1 ms, or
   *   maxEvents 0 or < -1; Error ERR_IOREADY_CLOSED once closed
   */
  poll(timeoutMs?: number, maxEvents?: number): EpollEvent[] {
    this.#open();
    const timeout = validateTimeout(timeoutMs);
    if (maxEvents === undefined || maxEvents === -1) {
      return pollEvents(check(epollWait(this.#fd, timeout, pollSlot), 'epoll_wait'));
    }
    const max = Math.min(validateInt(maxEvents, 'maxEvents', 1, 0x7fffffff), EPOLL_MAX_EVENTS);
    return pollEvents(check(epollWait(this.#fd, timeout, pollSlot, max), 'epoll_wait'));
  }

  /**
   * Deliver readiness from the event loop: `listener(fd, events)` is called
   * for each ready fd. Calling start() again replaces the listener (and the options).
   * A listener that throws does not stop the watch or the batch: the error
   * surfaces as an 'uncaughtException', after the batch.
   * @throws TypeError ERR_INVALID_ARG_TYPE for a listener that is not a function or
   *   bad options; RangeError ERR_OUT_OF_RANGE for options.rounds outside 1-64;
   *   ERR_IOREADY_CLOSED once closed
   */
  start(listener: EpollListener, options?: StartOptions): this {
    const d = this.#open();
    const fn = validateFunction<EpollListener>(listener, 'listener');
    const o = validateOptions<StartOptions>(options);
    const rounds = o.rounds === undefined ? DEFAULT_ROUNDS : validateInt(o.rounds, 'options.rounds', 1, MAX_ROUNDS);
    d.start(fn, rounds);
    return this;
  }

  /** Stop delivering to the listener (pending wait()s and events() go on). */
  stop(): this {
    this.#open().stop();
    return this;
  }

  /** A started watch keeps the process alive (the default). */
  ref(): this {
    this.#open().ref(true);
    return this;
  }

  /** Let the process exit even while watching. */
  unref(): this {
    this.#open().ref(false);
    return this;
  }

  /**
   * The next batch of ready events, from the event loop.
   * @param timeoutMs resolve with `[]` after this long (undefined, negative or
   *   Infinity: never); fractions round up
   * @returns a promise rejected with ERR_IOREADY_CLOSED if closed (before or
   *   meanwhile), with an AbortError if `options.signal` aborts, with
   *   ERR_INVALID_ARG_TYPE for a timeoutMs that is not a number or bad options,
   *   or with ERR_OUT_OF_RANGE for a NaN timeoutMs or one above 2^31-1 ms
   */
  wait(timeoutMs?: number, options?: WaitOptions): Promise<EpollEvent[]> {
    try {
      return this.#open().wait(timeoutMs, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Batches of ready events as an async iterator, until close(). The watch
   * runs only while a `next()` is pending, so an idle consumer costs nothing.
   * `options.signal` ends it as it ends a `wait()`: once aborted, the pending
   * `next()` (or the next one called) rejects with an AbortError (code
   * 'ABORT_ERR', `cause`: the signal's reason), and the iterator is done.
   * @throws TypeError ERR_INVALID_ARG_TYPE for bad options (a signal that is not an
   *   AbortSignal); Error ERR_IOREADY_CLOSED if already closed
   */
  events(options?: EventsOptions): AsyncIterableIterator<EpollEvent[]> {
    return this.#open().events(options);
  }

  /**
   * Stop any watch and close the epoll fd. Idempotent. Pending wait()s reject
   * with ERR_IOREADY_CLOSED; events() iterators end.
   */
  close(): void {
    const d = this.#delivery;
    if (d === null) return;
    this.#delivery = null;
    this.#fd = -1;
    const rc = d.close();
    if (rc < 0) throw errnoError(-rc, 'close');
  }

  /** The same as close(): `using ep = new Epoll()` closes it at the end of the block. */
  [DISPOSE](): void {
    this.close();
  }

  /** The delivery, or ERR_IOREADY_CLOSED once closed. */
  #open(): Delivery {
    const d = this.#delivery;
    if (d === null) throw closedError('epoll object');
    return d;
  }
}
aliasDispose(Epoll.prototype);
