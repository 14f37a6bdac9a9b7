/**
 * The concrete selectors, each a thin class over one kernel API: epoll(7)
 * (the default on Linux, also on the Node event loop), poll(2) and select(2).
 * The bookkeeping they share is in base.ts.
 */
import { EPOLLIN, EPOLLOUT, POLLIN, POLLOUT } from '../readiness/constants';
import { Epoll, type EpollEvent, type WaitOptions } from '../readiness/epoll';
import { Poll } from '../readiness/poll';
import { FD_SETSIZE, selectFds } from '../readiness/select';
import { outOfRange } from '../internal/errors';
import { validateFunction } from '../internal/validate';
import { BaseSelectorImpl, EVENT_READ, EVENT_WRITE, PollLikeSelector, type SelectorEvent, type SelectorKey, type SelectorListener, selectorTimeout } from './base';

const EMPTY = new Int32Array(0);

/**
 * The epoll(7) selector, and the default on Linux. Besides Python's blocking
 * select(), it delivers readiness on the Node event loop: start()/stop(),
 * wait() and events(), through Epoll's own.
 */
export class EpollSelector<T = unknown> extends PollLikeSelector<T, Epoll> {
  /** @throws SystemError EMFILE/ENFILE when out of fds */
  constructor() {
    super(new Epoll(), EPOLLIN, EPOLLOUT);
  }

  /**
   * The epoll fd.
   * @returns the fd (owned by the selector: close() closes it)
   * @throws Error ERR_IOREADY_CLOSED once closed
   */
  fileno(): number {
    this._checkOpen();
    return this._poller.fd;
  }

  select(timeoutMs?: number): Array<SelectorEvent<T>> {
    this._checkOpen();
    const timeout = selectorTimeout(timeoutMs);
    return this._ready(this._poller.poll(timeout, Math.max(this._fdToKey.size, 1)));
  }

  /**
   * Deliver readiness from the event loop: `listener(key, events)` for each
   * ready registration, no thread blocked. Calling start() again replaces
   * the listener. Unregistering during a batch drops that fd's pending events.
   * A listener that throws does not stop the watch: the error surfaces as an
   * 'uncaughtException' (as Epoll.start).
   * @returns this selector
   * @throws TypeError ERR_INVALID_ARG_TYPE if listener is not a function;
   *   Error ERR_IOREADY_CLOSED once closed
   */
  start(listener: SelectorListener<T>): this {
    this._checkOpen();
    const fn = validateFunction<SelectorListener<T>>(listener, 'listener');
    const map = this._fdToKey;
    this._poller.start((fd, flags) => {
      const key = map.get(fd);
      if (key === undefined) return;
      const events = this._events(flags) & key.events;
      if (events !== 0) fn(key, events);
    });
    return this;
  }

  /**
   * Stop delivering to the listener (pending wait()s and events() go on).
   * @returns this selector
   * @throws Error ERR_IOREADY_CLOSED once closed
   */
  stop(): this {
    this._checkOpen();
    this._poller.stop();
    return this;
  }

  /**
   * A started watch keeps the process alive (the default).
   * @returns this selector
   * @throws Error ERR_IOREADY_CLOSED once closed
   */
  ref(): this {
    this._checkOpen();
    this._poller.ref();
    return this;
  }

  /**
   * Let the process exit even while watching.
   * @returns this selector
   * @throws Error ERR_IOREADY_CLOSED once closed
   */
  unref(): this {
    this._checkOpen();
    this._poller.unref();
    return this;
  }

  /**
   * The next ready registrations, from the event loop. Never throws: every
   * error is a rejection of the promise.
   * @param timeoutMs resolve with `[]` after this long (undefined, null or
   *   Infinity: never; <= 0: at the next turn of the event loop)
   * @param options   `{ signal }`: an AbortSignal that rejects the wait
   * @returns a promise of `[key, events]` for each ready registration, rejected
   *   with ERR_IOREADY_CLOSED if closed (before or meanwhile), with an AbortError
   *   (ABORT_ERR) if `options.signal` aborts, with ERR_INVALID_ARG_TYPE for a
   *   timeoutMs that is not a number or a bad options object, or with
   *   ERR_OUT_OF_RANGE for a NaN timeoutMs or one above 2^31-1 ms
   */
  async wait(timeoutMs?: number, options?: WaitOptions): Promise<Array<SelectorEvent<T>>> {
    this._checkOpen();
    let timeout = selectorTimeout(timeoutMs);
    const deadline = timeout >= 0 ? performance.now() + timeout : Infinity;
    for (;;) {
      const batch = await this._poller.wait(timeout, options);
      const ready = this._ready(batch);
      // A batch of fds all unregistered meanwhile is no answer: wait on for the time left.
      if (ready.length !== 0 || batch.length === 0 || this.closed) return ready;
      if (deadline !== Infinity) timeout = Math.max(0, Math.ceil(deadline - performance.now()));
    }
  }

  /**
   * Batches of ready registrations as an async iterator, until close()
   * (which ends it).
   * @returns an async iterator of `[key, events]` arrays, never empty
   * @throws Error ERR_IOREADY_CLOSED if already closed
   */
  events(): AsyncIterableIterator<Array<SelectorEvent<T>>> {
    this._checkOpen();
    const source: AsyncIterableIterator<EpollEvent[]> = this._poller.events();
    const iterator: AsyncIterableIterator<Array<SelectorEvent<T>>> = {
      next: async (): Promise<IteratorResult<Array<SelectorEvent<T>>>> => {
        for (;;) {
          const r = await source.next();
          if (r.done) return { done: true, value: undefined };
          const ready = this._ready(r.value);
          if (ready.length !== 0) return { done: false, value: ready };
        }
      },
      return: async (): Promise<IteratorResult<Array<SelectorEvent<T>>>> => {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Forget every registration, stop any watch and close the epoll fd. Idempotent. */
  override close(): void {
    if (this.closed) return;
    try {
      this._poller.close();
    } finally {
      super.close();
    }
  }
}

/** The poll(2) selector: no kernel object, no fd limit. */
export class PollSelector<T = unknown> extends PollLikeSelector<T, Poll> {
  constructor() {
    super(new Poll(), POLLIN, POLLOUT);
  }

  select(timeoutMs?: number): Array<SelectorEvent<T>> {
    this._checkOpen();
    return this._ready(this._poller.poll(selectorTimeout(timeoutMs)));
  }
}

/** The select(2) selector: fds must be below FD_SETSIZE (1024). */
export class SelectSelector<T = unknown> extends BaseSelectorImpl<T> {
  readonly #readers = new Set<number>();
  readonly #writers = new Set<number>();
  /** The sets packed for select(2), or null after a change. */
  #packed: [read: Int32Array, write: Int32Array] | null = null;

  /** @throws RangeError ERR_OUT_OF_RANGE for an fd >= FD_SETSIZE (select(2) cannot name it) */
  protected _add(key: SelectorKey<T>): void {
    if (key.fd >= FD_SETSIZE) throw outOfRange('fd', `< ${FD_SETSIZE} (FD_SETSIZE) for SelectSelector: use PollSelector or EpollSelector`, key.fd);
    if (key.events & EVENT_READ) this.#readers.add(key.fd);
    if (key.events & EVENT_WRITE) this.#writers.add(key.fd);
    this.#packed = null;
  }

  protected _remove(key: SelectorKey<T>): void {
    this.#readers.delete(key.fd);
    this.#writers.delete(key.fd);
    this.#packed = null;
  }

  /**
   * Wait until some registered fds are ready, blocking the thread (select(2)).
   * @param timeoutMs undefined, null or Infinity: forever; <= 0 (-Infinity too):
   *   return at once; fractions round up. EINTR is retried with the time that remains.
   * @returns `[key, events]` for each ready registration, events within the
   *   key's interest; `[]` on timeout. A regular file is always ready.
   * @throws TypeError ERR_INVALID_ARG_TYPE for a timeoutMs that is not a number;
   *   RangeError ERR_OUT_OF_RANGE for NaN or more than 2^31-1 ms;
   *   Error ERR_IOREADY_CLOSED once closed; SystemError EBADF if a registered fd
   *   was closed (whatever its number), as Python's.
   */
  select(timeoutMs?: number): Array<SelectorEvent<T>> {
    this._checkOpen();
    const timeout = selectorTimeout(timeoutMs);
    const [rSet, wSet] = (this.#packed ??= [Int32Array.from(this.#readers), Int32Array.from(this.#writers)]);
    // select(2) reports in place: hand it copies and keep the packed sets.
    const r = rSet.slice();
    const w = wSet.slice();
    const ready: Array<SelectorEvent<T>> = [];
    if (selectFds(r, w, EMPTY, timeout) === 0) return ready;
    const found = new Map<number, number>();
    for (const fd of r) if (fd !== -1) found.set(fd, EVENT_READ);
    for (const fd of w) if (fd !== -1) found.set(fd, (found.get(fd) ?? 0) | EVENT_WRITE);
    for (const [fd, events] of found) {
      const key = this._fdToKey.get(fd);
      if (key !== undefined && (events & key.events) !== 0) ready.push([key, events & key.events]);
    }
    return ready;
  }

  /** Forget every registration. Idempotent. */
  override close(): void {
    super.close();
    this.#readers.clear();
    this.#writers.clear();
    this.#packed = null;
  }
}

/** The best selector on this platform: epoll on Linux. */
export const DefaultSelector = EpollSelector;
/** The best selector on this platform: epoll on Linux. */
export type DefaultSelector<T = unknown> = EpollSelector<T>;
