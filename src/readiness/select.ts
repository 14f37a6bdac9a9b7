/**
 * select(): Python's select.select over select(2).
 *
 * select(2) takes fixed-size bit sets: an fd at or above FD_SETSIZE (1024)
 * cannot be named at all, so it is refused here, before the call, instead of
 * corrupting memory as an unchecked FD_SET would.
 */
import { check, invalidArgType, outOfRange } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, toFd, validateTimeout } from '../internal/validate';

/** The size of select(2)'s fd sets: every fd passed to select() must be below it. */
export const FD_SETSIZE: number = native.pollConstants.FD_SETSIZE;

/**
 * @internal The raw call, for SelectSelector: each array lists fds below
 * FD_SETSIZE; on return the fds that are not ready are replaced by -1.
 * `timeoutMs` is a whole number of ms, -1 for forever (as validateTimeout gives it).
 */
export function selectFds(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMs: number): number {
  return check(native.selectWait(read, write, except, timeoutMs), 'select');
}

/**
 * @internal An fd for select(2): an FdLike whose number is below FD_SETSIZE.
 * @returns the fd number
 * @throws TypeError ERR_INVALID_ARG_TYPE for a value that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd or one >= FD_SETSIZE
 */
export function toSelectFd(value: unknown, name: string): number {
  const fd = toFd(value, name);
  if (fd >= FD_SETSIZE) throw outOfRange(name, `< ${FD_SETSIZE} (FD_SETSIZE): select() cannot wait on it, use Poll or Epoll`, fd);
  return fd;
}

function toFds<T>(list: Iterable<T>, name: string): [items: T[], fds: Int32Array] {
  if (list === null || typeof list !== 'object' || typeof (list as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(name, 'an iterable of file descriptors', list);
  }
  // A copy: a fileno() that edits the caller's array cannot disturb the walk.
  const items = Array.from(list);
  const fds = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) fds[i] = toSelectFd(items[i], `${name}[${i}]`);
  return [items, fds];
}

function readyOnes<T>(items: T[], fds: Int32Array): T[] {
  const ready: T[] = [];
  for (let i = 0; i < items.length; i++) if (fds[i] !== -1) ready.push(items[i]!);
  return ready;
}

/**
 * Wait until some of the given fds are ready, blocking the thread: Python's
 * `select.select(rlist, wlist, xlist, timeout)` with the timeout in ms.
 * @param read fds to wait on for reading (or end of file / hang-up)
 * @param write fds to wait on for writing
 * @param except fds to wait on for exceptional conditions (TCP urgent data)
 * @param timeoutMs undefined, null or Infinity: forever; 0: return at once;
 *   fractions round up (0.1 waits at least 1 ms). EINTR is retried with the
 *   time that remains.
 * @returns three new arrays holding the very objects passed in that are
 *   ready, in the order given; three empty arrays on timeout. A regular file
 *   is always ready.
 * @throws TypeError ERR_INVALID_ARG_TYPE for a list that is not iterable, an element
 *   that is not an FdLike, or a timeoutMs that is not a number
 * @throws RangeError ERR_OUT_OF_RANGE for a negative fd, an fd >= FD_SETSIZE,
 *   a negative (-Infinity too) or NaN timeout (Python's ValueError), or a
 *   finite one above 2^31-1 ms.
 *   Whatever an element's fileno() throws propagates.
 * @throws SystemError EBADF if an fd is not open, also one numbered beyond the
 *   end of the process's fd table, which select(2) itself would not check (the
 *   addon asks the kernel about each fd first).
 */
export function select<R extends FdLike, W extends FdLike, X extends FdLike>(
  read: Iterable<R>,
  write: Iterable<W>,
  except: Iterable<X>,
  timeoutMs?: number,
): [read: R[], write: W[], except: X[]] {
  if (typeof timeoutMs === 'number' && timeoutMs < 0) {
    throw outOfRange('timeoutMs', '>= 0 (undefined waits forever)', timeoutMs);
  }
  const timeout = validateTimeout(timeoutMs);
  const [r, rfds] = toFds(read, 'read');
  const [w, wfds] = toFds(write, 'write');
  const [x, xfds] = toFds(except, 'except');
  if (selectFds(rfds, wfds, xfds, timeout) === 0) return [[], [], []];
  return [readyOnes(r, rfds), readyOnes(w, wfds), readyOnes(x, xfds)];
}
