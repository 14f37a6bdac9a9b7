/**
 * Poll: Python's select.poll over poll(2).
 *
 * poll(2) has no kernel object: the interest list lives here, in user space,
 * and goes to the kernel whole on every call. It is packed once into an
 * Int32Array of (fd, events) pairs and re-packed only after a change.
 */
import { constants as osConstants } from 'node:os';

import { POLLIN } from './constants';
import { check, errnoError, type SystemError } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, toFd, validateInt, validateTimeout } from '../internal/validate';

/** One ready fd: `[fd, revents]`. */
export type PollEvent = [fd: number, revents: number];

const { ENOENT } = osConstants.errno;
const EMPTY = new Int32Array(0);

/** Python's errors for an fd that is not registered (CONTRACT: code 'ENOENT'). */
function notRegistered(fd: number, what: string): SystemError {
  const err = errnoError(ENOENT, what);
  err.message = `ENOENT: fd ${fd} is not registered, ${what}`;
  return err;
}

/**
 * A set of fds to wait on with poll(2), as Python's `select.poll()`.
 *
 * It owns no kernel resource, so it has nothing to close (Python's has no
 * close() either): drop it when done. Fds are taken by number at register
 * time; closing one that is registered makes poll() report POLLNVAL for it.
 */
export class Poll {
  /** fd -> events, in registration order (the order poll() reports in). */
  readonly #events = new Map<number, number>();
  /** The packed (fd, events) pairs, or null once the map changed. */
  #fds: Int32Array | null = EMPTY;
  #out: Int32Array = EMPTY;

  /**
   * Watch `fd` for `events` (default POLLIN; Python's default adds POLLOUT,
   * which makes every socket ready forever). Registering an fd that is
   * already registered replaces its events, as Python's does.
   * @param fd     a number, `{ fd }` or `{ fileno() }`, read once, now
   * @param events POLLIN, POLLOUT, POLLPRI... (0..0xffff)
   * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or events that is not an integer
   * @throws RangeError ERR_OUT_OF_RANGE for a negative fd, or events outside 0..0xffff
   */
  register(fd: FdLike, events: number = POLLIN): void {
    const ev = validateInt(events, 'events', 0, 0xffff);
    this.#events.set(toFd(fd), ev);
    this.#fds = null;
  }

  /**
   * Change the events a registered `fd` is watched for.
   * @param events POLLIN, POLLOUT, POLLPRI... (0..0xffff)
   * @throws SystemError code 'ENOENT' if `fd` is not registered
   * @throws TypeError / RangeError for bad arguments, as register()
   */
  modify(fd: FdLike, events: number): void {
    const ev = validateInt(events, 'events', 0, 0xffff);
    const n = toFd(fd);
    if (!this.#events.has(n)) throw notRegistered(n, 'poll.modify');
    this.#events.set(n, ev);
    this.#fds = null;
  }

  /**
   * Stop watching `fd`.
   * @throws SystemError code 'ENOENT' if `fd` is not registered (Python's KeyError)
   * @throws TypeError / RangeError for a bad fd
   */
  unregister(fd: FdLike): void {
    const n = toFd(fd);
    if (!this.#events.delete(n)) throw notRegistered(n, 'poll.unregister');
    this.#fds = null;
  }

  /**
   * Wait until a registered fd is ready, blocking the thread (as Python's).
   * With nothing registered it just sleeps for the timeout.
   * @param timeoutMs undefined, null, negative or Infinity: forever; 0: return at once;
   *   fractions round up (0.1 waits at least 1 ms). EINTR is retried with the
   *   time that remains.
   * @returns `[fd, revents]` for each fd with non-zero revents (POLLNVAL for a
   *   closed fd, POLLHUP/POLLERR whether asked or not), in registration order;
   *   `[]` on timeout
   * @throws TypeError ERR_INVALID_ARG_TYPE for a timeoutMs that is not a number;
   *   RangeError ERR_OUT_OF_RANGE for NaN or more than 2^31-1 ms;
   *   SystemError ENOMEM, EINVAL (more fds than RLIMIT_NOFILE) as the kernel says
   */
  poll(timeoutMs?: number): PollEvent[] {
    const timeout = validateTimeout(timeoutMs);
    const fds = (this.#fds ??= this.#pack());
    const nfds = fds.length / 2;
    const n = check(native.pollWait(fds, nfds, timeout, this.#out), 'poll');
    const out = this.#out;
    const result: PollEvent[] = new Array(n);
    for (let i = 0; i < n; i++) result[i] = [out[2 * i]!, out[2 * i + 1]!];
    return result;
  }

  #pack(): Int32Array {
    const fds = new Int32Array(2 * this.#events.size);
    let i = 0;
    for (const [fd, ev] of this.#events) {
      fds[i++] = fd;
      fds[i++] = ev;
    }
    if (this.#out.length < fds.length) this.#out = new Int32Array(fds.length);
    return fds;
  }
}
