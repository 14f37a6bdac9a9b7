/**
 * Epoll: Python's select.epoll, synchronous, plus delivery on the Node event
 * loop (start/stop/ref/unref/wait/events).
 *
 * The kernel holds the interest list; this class keeps no shadow of it. The
 * only user-space state is the batch being dispatched, so that an fd
 * unregistered, re-registered or closed during a batch gets none of the
 * batch's remaining (stale) events - libuv's uv__platform_invalidate_fd.
 */
import { EPOLLIN, EPOLL_MAX_EVENTS } from './constants';
import { abortError, check, closedError, errnoError, invalidArgType } from '../internal/errors';
import { native, type NativeHandle } from '../internal/binding';
import { observeCloses } from '../internal/close-hook';
import { watchBridge } from './delivery'; // uv_poll on Node, a thread on Bun and Deno
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

/** One ready fd: `[fd, events]`. */
export type EpollEvent = [fd: number, events: number];

/** Called once per ready fd, from the event loop. */
export type EpollListener = (fd: number, events: number) => void;

/** Options of `new Epoll()`. */
export interface EpollOptions {
  /** Close the epoll fd in child processes (EPOLL_CLOEXEC). Default true. */
  cloexec?: boolean;
}

/** Options of `Epoll.start()`. */
export interface StartOptions {
  /**
   * Batches delivered per event-loop wake-up, at most: 1 to 64, default 1
   * (libuv's own behaviour). With more, after each batch the epoll fd is polled
   * again at once and a new batch delivered while any is ready; nextTicks and
   * microtasks still run between batches. It speeds up request/response
   * between local fds (a reply that makes another watched fd ready) by about a
   * third, at the price of one more epoll_wait per wake-up, and a
   * level-triggered fd that the listener does not drain at once (say, it reads
   * in a setImmediate) is then reported again up to `rounds` times per turn.
   */
  rounds?: number;
}

/** Options of `Epoll.wait()`. */
export interface WaitOptions {
  /** Rejects the wait with an AbortError (code 'ABORT_ERR') when aborted. */
  signal?: AbortSignal;
}

const { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL } = native.epollConstants as Record<string, number>;

/** How many events one event-loop wake-up hands to JavaScript at most. */
const WATCH_BATCH = 1024;

/** Scratch for synchronous poll(): one per thread, as poll() blocks the thread. */
const pollOut = new Int32Array(2 * EPOLL_MAX_EVENTS);

/** The first n (fd, events) pairs of out, as poll() and wait() return them. */
function toEvents(out: Int32Array, n: number): EpollEvent[] {
  const events: EpollEvent[] = new Array(n);
  for (let i = 0; i < n; i++) events[i] = [out[2 * i]!, out[2 * i + 1]! >>> 0];
  return events;
}

/** Epolls dispatching a batch right now (close(fd) must invalidate their rest). */
const dispatching = new Set<Epoll>();

/** Epoll's private #invalidate, for the close hook below (set by the class's static block). */
let invalidate!: (ep: Epoll, fd: number) => void;

// The toolkit's close(fd): drop the rest of every batch being dispatched for
// `fd`, as those events belong to a file that is gone, whatever number it has now.
observeCloses((fd) => {
  for (const ep of dispatching) invalidate(ep, fd);
});

interface Waiter {
  resolve(batch: EpollEvent[]): void;
  reject(err: unknown): void;
  cleanup(): void;
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
  #handle: NativeHandle | null;
  #listener: EpollListener | null = null;
  #waiters: Waiter[] = [];
  #running = false;
  #refd = true;
  #rounds = 1;
  #out: Int32Array | null = null;
  /** Index of the event being delivered, and the batch size (while dispatching). */
  #cursor = 0;
  #count = 0;

  static {
    invalidate = (ep, fd) => ep.#invalidate(fd);
  }

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
    this.#handle = native.handleOpen(this.#fd);
  }

  /**
   * Adopt an existing epoll fd: the new object owns it and closes it.
   * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an integer
   *   (NaN, Infinity, 1.5...); RangeError ERR_OUT_OF_RANGE for a negative fd
   */
  static fromFd(fd: number): Epoll {
    // The implementation signature takes an Adopt; the public one does not show it.
    return new Epoll(new Adopt(validateInt(fd, 'fd', 0, 0x7fffffff)) as EpollOptions);
  }

  /** The epoll fd, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * The epoll fd.
   * @throws ERR_IOREADY_CLOSED once closed
   */
  fileno(): number {
    this.#checkOpen();
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
    this.#checkOpen();
    const n = toFd(fd);
    check(native.epollCtl(this.#fd, EPOLL_CTL_ADD, n, validateMask(events)), 'epoll_ctl');
    // A new registration: whatever the batch still holds for this number is stale.
    if (this.#count !== 0) this.#invalidate(n);
  }

  /**
   * Change the events `fd` is watched for (also re-arms EPOLLONESHOT).
   * @throws TypeError / RangeError for a bad fd or events, as register()
   * @throws SystemError ENOENT if not registered, EBADF, EINVAL
   */
  modify(fd: FdLike, events: number): void {
    this.#checkOpen();
    const n = toFd(fd);
    check(native.epollCtl(this.#fd, EPOLL_CTL_MOD, n, validateMask(events)), 'epoll_ctl');
  }

  /**
   * Stop watching `fd`. Events still pending for it in the batch being
   * delivered are dropped.
   * @throws TypeError / RangeError for a bad fd, as register()
   * @throws SystemError ENOENT if not registered, EBADF if `fd` is closed
   */
  unregister(fd: FdLike): void {
    this.#checkOpen();
    const n = toFd(fd);
    if (this.#count !== 0) this.#invalidate(n);
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
    this.#checkOpen();
    const timeout = validateTimeout(timeoutMs);
    let max = EPOLL_MAX_EVENTS;
    if (maxEvents !== undefined && maxEvents !== -1) {
      max = Math.min(validateInt(maxEvents, 'maxEvents', 1, 0x7fffffff), EPOLL_MAX_EVENTS);
    }
    return toEvents(pollOut, check(native.epollWait(this.#fd, timeout, max, pollOut), 'epoll_wait'));
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
    this.#checkOpen();
    const fn = validateFunction<EpollListener>(listener, 'listener');
    const o = validateOptions<StartOptions>(options);
    const rounds = o.rounds === undefined ? 1 : validateInt(o.rounds, 'options.rounds', 1, 64);
    this.#listener = fn;
    if (rounds !== this.#rounds) {
      this.#rounds = rounds;
      if (this.#running) {
        watchBridge.stop(this.#handle!); // restarted below with the new setting
        this.#running = false;
      }
    }
    this.#sync();
    return this;
  }

  /** Stop delivering to the listener (pending wait()s and events() go on). */
  stop(): this {
    this.#checkOpen();
    this.#listener = null;
    this.#sync();
    return this;
  }

  /** A started watch keeps the process alive (the default). */
  ref(): this {
    this.#checkOpen();
    this.#refd = true;
    watchBridge.ref(this.#handle!, true);
    return this;
  }

  /** Let the process exit even while watching. */
  unref(): this {
    this.#checkOpen();
    this.#refd = false;
    watchBridge.ref(this.#handle!, false);
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
      this.#checkOpen();
      const timeout = validateTimeout(timeoutMs);
      const signal = validateOptions<WaitOptions>(options).signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
      }
      if (signal?.aborted) return Promise.reject(abortError(signal.reason));
      return new Promise<EpollEvent[]>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
          this.#removeWaiter(waiter);
          reject(abortError(signal!.reason));
        };
        const waiter: Waiter = {
          resolve,
          reject,
          cleanup: () => {
            if (timer !== undefined) clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
          },
        };
        if (timeout >= 0) {
          timer = setTimeout(() => {
            this.#removeWaiter(waiter);
            resolve([]);
          }, timeout);
          if (!this.#refd) timer.unref();
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(waiter);
        this.#sync();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Batches of ready events as an async iterator, until close(). The watch
   * runs only while a `next()` is pending, so an idle consumer costs nothing.
   * @throws ERR_IOREADY_CLOSED if already closed
   */
  events(): AsyncIterableIterator<EpollEvent[]> {
    this.#checkOpen();
    let done = false;
    const iterator: AsyncIterableIterator<EpollEvent[]> = {
      next: async (): Promise<IteratorResult<EpollEvent[]>> => {
        if (done || this.closed) return { done: true, value: undefined };
        try {
          return { done: false, value: await this.wait() };
        } catch (err) {
          if ((err as { code?: unknown }).code === 'ERR_IOREADY_CLOSED') {
            done = true;
            return { done: true, value: undefined };
          }
          throw err;
        }
      },
      return: async (): Promise<IteratorResult<EpollEvent[]>> => {
        done = true;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /**
   * Stop any watch and close the epoll fd. Idempotent. Pending wait()s reject
   * with ERR_IOREADY_CLOSED; events() iterators end.
   */
  close(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    this.#listener = null;
    this.#running = false;
    this.#fd = -1;
    this.#count = 0;
    dispatching.delete(this);
    const waiters = this.#waiters;
    this.#waiters = [];
    const rc = watchBridge.close(handle);
    for (const w of waiters) {
      w.cleanup();
      w.reject(closedError('epoll object'));
    }
    if (rc < 0) throw errnoError(-rc, 'close');
  }

  /** The same as close(): `using ep = new Epoll()` closes it at the end of the block. */
  [DISPOSE](): void {
    this.close();
  }

  /** Drop the rest of the current batch's events for `fd`. */
  #invalidate(fd: number): void {
    const out = this.#out;
    if (out === null) return;
    for (let i = this.#cursor + 1; i < this.#count; i++) {
      if (out[2 * i] === fd) out[2 * i] = -1;
    }
  }

  #checkOpen(): void {
    if (this.#handle === null) throw closedError('epoll object');
  }

  #removeWaiter(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    w.cleanup();
    this.#sync();
  }

  /** Run the native watch exactly while someone is listening. */
  #sync(): void {
    if (this.#handle === null) return;
    const want = this.#listener !== null || this.#waiters.length > 0;
    if (want === this.#running) return;
    if (want) {
      this.#out ??= new Int32Array(2 * WATCH_BATCH);
      check(watchBridge.start(this.#handle, this.#fd, this.#out, this.#onBatch, this.#rounds), 'epoll_wait');
    } else {
      watchBridge.stop(this.#handle);
    }
    this.#running = want;
  }

  /** Called by the addon with the number of (fd, events) pairs in #out, or -errno. */
  #onBatch = (n: number): void => {
    if (n < 0) {
      // The epoll fd itself failed (closed behind our back?): stop, and say so.
      const err = errnoError(-n, 'epoll_wait');
      const waiters = this.#waiters;
      this.#waiters = [];
      this.#listener = null;
      this.#sync();
      for (const w of waiters) {
        w.cleanup();
        w.reject(err);
      }
      if (waiters.length === 0) throw err;
      return;
    }
    const out = this.#out!;
    if (this.#waiters.length !== 0) {
      const batch = toEvents(out, n);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) {
        w.cleanup();
        w.resolve(batch);
      }
      if (this.#listener === null) {
        this.#sync();
        return;
      }
    }
    let firstError: unknown;
    let failed = false;
    this.#count = n;
    dispatching.add(this);
    try {
      for (let i = 0; i < n; i++) {
        const listener = this.#listener;
        if (listener === null) break; // stop() or close() from a listener
        const fd = out[2 * i]!;
        if (fd < 0) continue; // invalidated earlier in this batch
        this.#cursor = i;
        try {
          listener(fd, out[2 * i + 1]! >>> 0);
        } catch (err) {
          if (!failed) {
            failed = true;
            firstError = err;
          } else {
            process.nextTick(() => {
              throw err;
            });
          }
        }
      }
    } finally {
      this.#count = 0;
      this.#cursor = 0;
      dispatching.delete(this);
      this.#sync();
    }
    // Rethrown to the addon, which hands it to Node as an uncaught exception.
    if (failed) throw firstError;
  };
}
aliasDispose(Epoll.prototype);

