/**
 * Delivery of an Epoll's readiness on the event loop: the policy half of
 * native/watch.c (start/stop/ref/unref, wait(), events()).
 *
 * The addon drains the epoll fd into an Int32Array shared with this module
 * and calls `onBatch(n, round)` once per batch, in its own callback scope, so
 * nextTicks and microtasks run after every batch. How it learns that the
 * epoll fd is readable is chosen once at load time:
 *
 * - 'uv' (Node): libuv watches the epoll fd with a uv_poll_t on the event
 *   loop's own thread. No extra thread.
 * - 'thread' (Bun, whose libuv functions abort; Deno, whose uv_poll emulation
 *   is not level-triggered, so a batch left unread would never be reported
 *   again): a thread per Epoll blocked in poll() wakes the JS thread through a
 *   thread-safe function; it parks while nobody consumes (native/thread_watch.c).
 *
 * `IOREADY_WATCH=thread` (or `uv`) in the environment overrides the choice,
 * which lets the thread path be tested under Node.
 *
 * Rounds. After a batch whose handling may have made another watched fd
 * ready (a reply to a local peer), the addon drains the epoll fd again at
 * once, up to `rounds` batches per wake-up, without a trip through libuv's
 * loop. This module decides when to stop: after a batch larger than
 * REPOLL_MAX (fan-in: the loop turn is amortised already), and after a round
 * that only repeats what the previous round reported for fds known to be
 * level-triggered - a listener that leaves an fd undrained (it reads in a
 * setImmediate, say). Such repeats are dropped, not delivered: level-triggered
 * means the kernel reports them again on the next turn, so an undrained fd is
 * reported once per loop turn, as libuv itself does. Edge-triggered and
 * one-shot events are never dropped (they would not come back).
 */
import { EPOLLET, EPOLLONESHOT } from './constants';
import { abortError, check, closedError, errnoError, invalidArgType, invalidArgValue } from '../internal/errors';
import { native, type NativeHandle } from '../internal/binding';
import { observeCloses } from '../internal/close-hook';
import { validateOptions, validateTimeout } from '../internal/validate';

/** One ready fd: `[fd, events]`. */
export type EpollEvent = [fd: number, events: number];

/** Called once per ready fd, from the event loop. */
export type EpollListener = (fd: number, events: number) => void;

/** Options of `Epoll.wait()`. */
export interface WaitOptions {
  /** Rejects the wait with an AbortError (code 'ABORT_ERR') when aborted. */
  signal?: AbortSignal;
}

function chooseMode(): 'uv' | 'thread' {
  const forced = process.env.IOREADY_WATCH;
  if (forced === 'uv' || forced === 'thread') return forced;
  if (forced !== undefined && forced !== '') {
    throw invalidArgValue('IOREADY_WATCH', forced, "must be 'uv' or 'thread'");
  }
  // Bun's uv_* abort; Deno's uv_poll reports a readable fd once and then not
  // again while it stays readable (not level-triggered as libuv's is).
  const v = process.versions as Record<string, string | undefined>;
  return typeof v.bun === 'string' || typeof v.deno === 'string' ? 'thread' : 'uv';
}

/** Which bridge this process uses: 'uv' (Node) or 'thread' (Bun, Deno). */
export const watchMode: 'uv' | 'thread' = chooseMode();

/** What a watch start failure is labelled with (err.syscall): the call that arms it. */
const START_SYSCALL = watchMode === 'thread' ? 'pthread_create' : 'uv_poll_start';

/** Open the native handle that owns `fd` (and runs this process's bridge). */
export function openHandle(fd: number): NativeHandle {
  return native.handleOpen(fd, watchMode === 'thread');
}

/** The most batches start() may ask one wake-up to deliver (native/watch.c's WATCH_MAX_ROUNDS). */
export const MAX_ROUNDS = 64;

/** Batches one wake-up delivers at most, unless start() says otherwise (1 to MAX_ROUNDS). */
export const DEFAULT_ROUNDS = MAX_ROUNDS;

/** How many events one batch hands to JavaScript at most. */
const WATCH_BATCH = 1024;

/** The control words shared with the addon (native/watch.h): JS writes WANT, the addon the others. */
const CTL_WANT = 0;
const CTL_ACTIVE = 1;
const CTL_DISPATCHING = 2;

/** Poll again after a batch only if it was this small: a larger one amortises the loop turn. */
const REPOLL_MAX = 64;

// Bound once: the hot path calls these without a property lookup on the binding.
const { watchStart, watchStop } = native;

/**
 * Node's own "run the nextTicks and microtasks now" (runNextTicks), which its
 * timers and immediates call between two callbacks of one loop phase. With it
 * the rounds of a wake-up run here, in one call from the addon, and the
 * guarantee holds as for timers: nextTicks and microtasks run after each
 * batch. Without it (Bun, Deno; or --pending-deprecation, under which touching
 * it warns, DEP0134) the addon runs the rounds, one napi_make_callback each,
 * which costs more per round but means the same.
 */
const runNextTicks: (() => void) | undefined = (() => {
  const fn = (process as unknown as { _tickCallback?: unknown })._tickCallback;
  const pending = process.execArgv.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1';
  return watchMode === 'uv' && typeof fn === 'function' && !pending ? (fn as () => void) : undefined;
})();

/** The first n (fd, events) pairs of out, skipping dropped ones (fd -1). */
export function toEvents(out: Int32Array, n: number): EpollEvent[] {
  let live = 0;
  for (let i = 0; i < n; i++) if (out[2 * i]! >= 0) live++;
  const events: EpollEvent[] = new Array(live);
  for (let i = 0, k = 0; i < n; i++) {
    const fd = out[2 * i]!;
    if (fd >= 0) events[k++] = [fd, out[2 * i + 1]! >>> 0];
  }
  return events;
}

/** A pending wait(). */
class Waiter {
  timer: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly resolve: (batch: EpollEvent[]) => void,
    readonly reject: (err: unknown) => void,
  ) {}

  cleanup(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

/** The Delivery whose listener is being called right now (one at a time per thread). */
let current: Delivery | null = null;

// The toolkit's close(fd): drop the rest of the batch being delivered for `fd`,
// as those events belong to a file that is gone, whatever number it has now.
observeCloses((fd) => {
  if (current !== null) current.invalidate(fd);
});

const doneResult: IteratorResult<EpollEvent[]> = Object.freeze({ done: true, value: undefined });

/**
 * @internal One Epoll's delivery on the event loop. Epoll validates the
 * public arguments and calls in; this class keeps the listener, the waiters,
 * and the few facts the rounds policy needs.
 */
export class Delivery {
  readonly #handle: NativeHandle;
  #listener: EpollListener | null = null;
  readonly #waiters: Waiter[] = [];
  /** [WANT, ACTIVE, DISPATCHING]: see native/watch.h. Bound with #out. */
  #ctl: Int32Array | null = null;
  /** The handle's drain(): one more batch into #out now (n, or -errno). */
  #drain: () => number = () => 0;
  #refd = true;
  #rounds = DEFAULT_ROUNDS;
  #closed = false;
  #out: Int32Array | null = null;
  /** The previous round's batch, as the kernel reported it (when it was small enough to poll again). */
  readonly #prev = new Int32Array(2 * REPOLL_MAX);
  #prevCount = 0;
  /**
   * `[fd] === 1` for fds registered level-triggered through this Epoll: the
   * only ones whose repeats may be dropped. A byte per fd number (fds are
   * small and dense), grown by doubling: a Set of them cost 30-60 bytes per
   * registered fd, a third of `ioready serve`'s memory per idle connection (#18).
   */
  #level: Uint8Array = new Uint8Array(0);
  /** Index of the event being delivered, and the batch size (while the listener runs). */
  #cursor = 0;
  #count = 0;

  constructor(handle: NativeHandle) {
    this.#handle = handle;
  }

  /** Epoll.register/modify succeeded for fd with this (unsigned) mask. */
  registered(fd: number, events: number, isNew: boolean): void {
    let level = this.#level;
    if ((events & (EPOLLET | EPOLLONESHOT)) === 0) {
      if (fd >= level.length) level = this.#growLevel(fd);
      level[fd] = 1;
    } else if (fd < level.length) level[fd] = 0;
    // A new registration: whatever the batch still holds for this number is stale.
    if (isNew && this.#count !== 0) this.invalidate(fd);
  }

  /** Epoll.unregister is about to remove fd. */
  unregistered(fd: number): void {
    if (fd < this.#level.length) this.#level[fd] = 0;
    if (this.#count !== 0) this.invalidate(fd);
  }

  /** #level, large enough to hold `fd`. */
  #growLevel(fd: number): Uint8Array {
    let size = Math.max(64, this.#level.length);
    while (size <= fd) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#level);
    return (this.#level = bigger);
  }

  /** Drop the rest of the current batch's events for `fd`. */
  invalidate(fd: number): void {
    const out = this.#out;
    if (out === null) return;
    for (let i = this.#cursor + 1; i < this.#count; i++) {
      if (out[2 * i] === fd) out[2 * i] = -1;
    }
  }

  start(listener: EpollListener, rounds: number): void {
    this.#listener = listener;
    this.#rounds = rounds;
    if (this.#active()) watchStart(this.#handle, rounds); // the new rounds, at once
    this.#sync();
  }

  stop(): void {
    this.#listener = null;
    this.#sync();
  }

  ref(ref: boolean): void {
    this.#refd = ref;
    native.watchRef(this.#handle, ref);
  }

  wait(timeoutMs: unknown, options: unknown): Promise<EpollEvent[]> {
    const timeout = validateTimeout(timeoutMs);
    const signal = options === undefined ? undefined : validateOptions<WaitOptions>(options).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
    }
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    let waiter: Waiter;
    const promise = new Promise<EpollEvent[]>((resolve, reject) => {
      waiter = new Waiter(resolve, reject);
    });
    const w = waiter!;
    if (timeout >= 0) {
      w.timer = setTimeout(() => {
        this.#removeWaiter(w);
        w.resolve([]);
      }, timeout);
      if (!this.#refd) w.timer.unref();
    }
    if (signal !== undefined) {
      w.signal = signal;
      w.onAbort = () => {
        this.#removeWaiter(w);
        w.reject(abortError(signal.reason));
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    this.#waiters.push(w);
    this.#sync();
    return promise;
  }

  events(options: unknown): AsyncIterableIterator<EpollEvent[]> {
    const signal = options === undefined ? undefined : validateOptions<WaitOptions>(options).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
    }
    // Each next() is a wait() with the signal: an abort rejects the pending
    // next() (or the next one) with an AbortError, once; the iterator is done then.
    const waitOptions = signal === undefined ? undefined : { signal };
    let done = false;
    const value = (batch: EpollEvent[]): IteratorResult<EpollEvent[]> => ({ done: false, value: batch });
    const ended = (err: unknown): IteratorResult<EpollEvent[]> => {
      const code = (err as { code?: unknown }).code;
      done = true;
      if (code !== 'ERR_IOREADY_CLOSED') throw err; // ABORT_ERR, or the epoll fd failed
      return doneResult;
    };
    const iterator: AsyncIterableIterator<EpollEvent[]> = {
      next: (): Promise<IteratorResult<EpollEvent[]>> => {
        if (done || this.#closed) return Promise.resolve(doneResult);
        return this.wait(undefined, waitOptions).then(value, ended);
      },
      return: (): Promise<IteratorResult<EpollEvent[]>> => {
        done = true;
        return Promise.resolve(doneResult);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Stop, close the handle (and its fd); pending wait()s reject. Returns 0 or -errno. */
  close(): number {
    this.#closed = true;
    this.#listener = null;
    this.#count = 0;
    if (current === this) current = null;
    const waiters = this.#waiters.splice(0);
    const rc = native.handleClose(this.#handle);
    for (const w of waiters) {
      w.cleanup();
      w.reject(closedError('epoll object'));
    }
    return rc;
  }

  #removeWaiter(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    w.cleanup();
    this.#sync();
  }

  /** The addon's watch is started. */
  #active(): boolean {
    const ctl = this.#ctl;
    return ctl !== null && ctl[CTL_ACTIVE] !== 0;
  }

  /**
   * Run the native watch exactly while someone consumes. Within a wake-up
   * (the addon says DISPATCHING) a stop is only noted in WANT: the addon stops
   * the watch when the wake-up ends unless someone wants it again by then -
   * as a wait() loop does, from a microtask - so such a loop makes no call
   * into the addon per batch. (The uv_poll itself is disarmed lazily, too.)
   */
  #sync(): void {
    if (this.#closed) return;
    const want = this.#listener !== null || this.#waiters.length !== 0;
    let ctl = this.#ctl;
    if (want) {
      if (ctl === null) {
        const out = new Int32Array(2 * WATCH_BATCH);
        ctl = new Int32Array(3);
        const drain = native.watchBind(this.#handle, out, ctl, this.#onBatch);
        if (typeof drain === 'number') check(drain, START_SYSCALL);
        else this.#drain = drain;
        this.#out = out;
        this.#ctl = ctl;
      }
      ctl[CTL_WANT] = 1;
      if (ctl[CTL_ACTIVE] === 0) check(watchStart(this.#handle, this.#rounds), START_SYSCALL);
    } else if (ctl !== null) {
      ctl[CTL_WANT] = 0;
      if (ctl[CTL_ACTIVE] !== 0 && ctl[CTL_DISPATCHING] === 0) watchStop(this.#handle);
    }
  }

  /** The epoll fd itself failed (closed behind our back?): stop, and say so. */
  #fail(errno: number): void {
    const err = errnoError(errno, 'epoll_wait');
    const waiters = this.#waiters.splice(0);
    this.#listener = null;
    this.#sync();
    for (const w of waiters) {
      w.cleanup();
      w.reject(err);
    }
    if (waiters.length === 0) throw err;
  }

  /**
   * Round > 0 only: drop (mark -1) the events of fds known to be
   * level-triggered that repeat the previous round's report. Returns how
   * many events remain.
   */
  #dropRepeats(out: Int32Array, n: number, prevCount: number): number {
    const prev = this.#prev;
    const level = this.#level;
    let live = n;
    for (let i = 0; i < n; i++) {
      const fd = out[2 * i]!;
      const ev = out[2 * i + 1]!;
      for (let j = 0; j < prevCount; j++) {
        if (prev[2 * j] === fd && prev[2 * j + 1] === ev) {
          if (fd < level.length && level[fd] === 1) {
            out[2 * i] = -1;
            live--;
          }
          break;
        }
      }
    }
    return live;
  }

  /**
   * The addon's callback: n (fd, events) pairs are in #out (or n is -errno);
   * round is the batch's index in its wake-up. Returns true to have the addon
   * drain the epoll fd again at once (when it runs the rounds).
   */
  readonly #onBatch = (n: number, round: number): boolean => {
    if (runNextTicks === undefined || round !== 0) return this.#batch(n, round);
    // The rounds, here: each batch's nextTicks and microtasks run before the next drain.
    const drain = this.#drain;
    let again = this.#batch(n, 0);
    for (let r = 1; again && r < this.#rounds; r++) {
      runNextTicks();
      // Stopped or closed meanwhile? (A waiter's next wait(), from a microtask, wants it again.)
      if (this.#closed || this.#ctl![CTL_WANT] === 0 || !this.#active()) break;
      const m = drain();
      if (m === 0) break;
      again = this.#batch(m, r);
    }
    return false;
  };

  /** One batch: to the waiters, then the listener. Returns whether another round may follow. */
  #batch(n: number, round: number): boolean {
    if (n < 0) {
      this.#fail(-n);
      return false;
    }
    const out = this.#out!;
    let again = n <= REPOLL_MAX;
    if (round > 0) {
      const live = this.#dropRepeats(out, n, this.#prevCount);
      if (live !== n) again = false; // an fd left undrained: wait for the next loop turn
      if (live === 0) return false;
    }
    if (again) {
      // Kept for the next round's comparison, before listeners mark invalidated events.
      const prev = this.#prev;
      for (let i = 0; i < 2 * n; i++) prev[i] = out[i]!;
      this.#prevCount = n;
    }

    const waiters = this.#waiters;
    if (waiters.length !== 0) {
      const batch = toEvents(out, n);
      for (const w of waiters) {
        w.cleanup();
        w.resolve(batch);
      }
      waiters.length = 0;
      if (this.#listener === null) {
        this.#sync(); // WANT = 0; the next wait(), from a microtask, sets it again
        return again;
      }
    }

    let firstError: unknown;
    let failed = false;
    const previous = current;
    current = this;
    this.#count = n;
    try {
      for (let i = 0; i < n; i++) {
        const listener = this.#listener;
        if (listener === null) break; // stop() or close() from a listener
        const fd = out[2 * i]!;
        if (fd < 0) continue; // dropped, or invalidated earlier in this batch
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
      current = previous;
    }
    // Rethrown to the addon, which hands it to Node as an uncaught exception.
    if (failed) throw firstError;
    return again;
  }
}
