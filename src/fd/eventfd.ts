/**
 * eventfd(2): a 64-bit counter in the kernel, readable when non-zero. A cheap
 * way to wake an Epoll from another part of the program or a worker thread.
 * Values are bigints (the counter holds up to 2^64 - 2).
 */
import { check, invalidArgType, outOfRange, invalidArgValue } from '../internal/errors';
import { fdFlags, read, write, type FdOptions } from './fd';
import { native } from '../internal/binding';
import { readU64 as hostU64, writeU64 } from '../internal/bytes';
import { type FdLike, validateBool, validateInt, validateOptions } from '../internal/validate';

const k = native.fdkindConstants;
/** eventfd flag: semaphore mode, each read takes 1 (`options.semaphore`). */
export const EFD_SEMAPHORE: number = k.EFD_SEMAPHORE!;
/** eventfd flag: reads and writes never block (`options.nonblock`, on by default). */
export const EFD_NONBLOCK: number = k.EFD_NONBLOCK!;
/** eventfd flag: close the fd in child processes (`options.cloexec`, on by default). */
export const EFD_CLOEXEC: number = k.EFD_CLOEXEC!;

/** The largest value the counter can hold (and `eventfdWrite` can add). */
export const EVENTFD_MAX: bigint = 0xfffffffffffffffen;

/** 8 bytes: the counter as read(2)/write(2) exchange it, in host byte order. */
const cell = Buffer.alloc(8);

/** Options for `eventfd`: the fd flags, and semaphore mode. */
export interface EventfdOptions extends FdOptions {
  /**
   * Semaphore mode (EFD_SEMAPHORE): each read takes 1 from the counter and
   * returns 1n, instead of returning the whole counter and resetting it to 0.
   */
  semaphore?: boolean;
}

/**
 * Create an eventfd, non-blocking and close-on-exec unless told otherwise.
 * @param initval the counter's starting value, 0 - 2^32-1 (the kernel takes an unsigned int)
 * @param options `{ nonblock, cloexec, semaphore }`: true, true, false by default
 * @returns the new fd (readable while the counter is non-zero, writable while it is below the maximum)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an initval that is not an integer or a bad
 *   options object; RangeError ERR_OUT_OF_RANGE for an initval outside 0 - 2^32-1;
 *   SystemError EMFILE, ENFILE...
 */
export function eventfd(initval = 0, options?: EventfdOptions): number {
  const init = validateInt(initval, 'initval', 0, 0xffffffff);
  const [nonblock, cloexec] = fdFlags(options);
  const semaphore = validateBool(validateOptions<EventfdOptions>(options).semaphore, 'options.semaphore', false);
  const flags = (semaphore ? EFD_SEMAPHORE : 0) | (nonblock ? EFD_NONBLOCK : 0) | (cloexec ? EFD_CLOEXEC : 0);
  return check(native.eventfd(init, flags), 'eventfd');
}

/**
 * Read the counter: the whole value (which resets it to 0), or 1n in semaphore mode.
 * The fd is not checked to be an eventfd (as Python's `os.eventfd_read`; asking
 * costs a readlink of /proc/self/fd/N, three times the read: docs/toolkit.md):
 * on a pipe or socket it reads 8 bytes as a number, or throws after reading fewer.
 * @returns the value as a bigint, `null` if the counter is 0 on a non-blocking fd (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd; TypeError ERR_INVALID_ARG_VALUE
 *   if the read gave other than 8 bytes (not an eventfd); SystemError EBADF...
 */
export function eventfdRead(fd: FdLike): bigint | null {
  return readU64(fd);
}

/** @internal Read one host-order u64 (an eventfd counter, a timerfd's expirations); null on EAGAIN. */
export function readU64(fd: FdLike): bigint | null {
  const n = read(fd, cell);
  if (n === null) return null;
  // An eventfd or timerfd always gives 8 bytes; anything else is not one.
  if (n !== 8) throw invalidArgValue('fd', fd, `is not an eventfd or timerfd (read gave ${n} bytes, not 8)`);
  return hostU64(cell, 0);
}

/**
 * Add `value` to the counter. The fd is not checked to be an eventfd.
 * @param value 0 to 2^64-2, a bigint or a safe integer
 * @returns true, or false if the sum would pass the maximum on a non-blocking fd (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for a value that is neither a bigint nor an
 *   integer, or an fd that is not an FdLike; RangeError ERR_OUT_OF_RANGE for a value
 *   outside 0 - 2^64-2 (a number above 2^53-1 too), or a negative fd; SystemError EBADF...
 */
export function eventfdWrite(fd: FdLike, value: bigint | number): boolean {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number') v = BigInt(validateInt(value, 'value', 0, Number.MAX_SAFE_INTEGER));
  else throw invalidArgType('value', 'of type bigint or number', value);
  if (v < 0n || v > EVENTFD_MAX) throw outOfRange('value', `>= 0 && <= ${EVENTFD_MAX}`, value);
  writeU64(cell, v, 0);
  return write(fd, cell) !== null;
}
