/**
 * Waiting for records on a GPIO fd (a line request's edge events, a chip's
 * line-info events): blocking, as Python's wait_*_event(), with poll(2); and
 * on the Node event loop, as an async iterator over an Epoll of its own.
 */
import { constants as osConstants } from 'node:os';

import { Epoll } from '../readiness/epoll';
import { EPOLLERR, EPOLLHUP, EPOLLIN, POLLIN } from '../readiness/constants';
import { abortError, check, errnoError, invalidArgType } from '../internal/errors';
import { native } from '../internal/binding';
import { validateOptions, validateTimeout } from '../internal/validate';

const { ENODEV } = osConstants.errno;
const pollFds = new Int32Array(2);
const pollOut = new Int32Array(2);

/**
 * Block the thread until `fd` is readable or reports an error/hang-up (the
 * read that follows says which), or `timeoutMs` passes.
 * @returns true when something is ready, false on timeout
 */
export function waitReadable(fd: number, timeoutMs: unknown): boolean {
  const timeout = validateTimeout(timeoutMs);
  pollFds[0] = fd;
  pollFds[1] = POLLIN;
  return check(native.pollWait(pollFds, 1, timeout, pollOut), 'poll') > 0;
}

/** Options of the GPIO async iterators. */
export interface EventIteratorOptions {
  /** Ends the iteration with an AbortError (code 'ABORT_ERR') when aborted. */
  signal?: AbortSignal;
}

/** What an iterator needs from the object whose fd it reads. */
export interface RecordSource<T> {
  /** The fd, or -1 once closed. */
  readonly fd: number;
  /** Read what is pending without blocking: null when nothing is (EAGAIN). */
  read(): T[] | null;
  /** Keep `ep` to close it when the source closes (that ends the iteration). */
  track(ep: Epoll): void;
  untrack(ep: Epoll): void;
}

/** The signal of an iterator's options, checked. */
export function iteratorSignal(options: unknown): AbortSignal | undefined {
  const signal = validateOptions<EventIteratorOptions>(options).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  return signal;
}

/**
 * The records of `src` as they come, from the event loop: the fd is watched
 * (an Epoll of the iterator's own) only while nothing is pending. Ends when
 * the source closes; throws an AbortError when `signal` aborts, and the
 * read's error (ENODEV) when the chip goes away (the fd reports
 * EPOLLERR|EPOLLHUP forever then, so the iterator must not wait again).
 */
export async function* records<T>(src: RecordSource<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  if (src.fd < 0) return;
  const ep = new Epoll();
  src.track(ep);
  try {
    ep.register(src.fd, EPOLLIN);
    for (;;) {
      if (signal?.aborted) throw abortError(signal.reason);
      if (src.fd < 0) return;
      const batch = src.read();
      if (batch !== null) {
        for (const r of batch) yield r;
        continue;
      }
      let ready;
      try {
        ready = await ep.wait(undefined, signal === undefined ? undefined : { signal });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_IOREADY_CLOSED') return; // the source closed
        throw err;
      }
      const events = ready.reduce((m, [, e]) => m | e, 0);
      if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN) && src.fd >= 0) {
        // The read should say what happened (ENODEV); if it does not, say it here.
        const after = src.read();
        if (after === null) throw errnoError(ENODEV, 'read');
        for (const r of after) yield r;
      }
    }
  } finally {
    src.untrack(ep);
    ep.close();
  }
}
