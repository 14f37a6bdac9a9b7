/**
 * timerfd(2): a timer that is an fd, readable when it has expired. Times are
 * milliseconds (fractions allowed, down to the nanosecond); the number of
 * expirations since the last read is a bigint.
 */
import { check, invalidArgType, invalidArgValue, outOfRange } from '../internal/errors';
import { readU64 } from './eventfd';
import { fdFlags, type FdOptions } from './fd';
import { native } from '../internal/binding';
import { type FdLike, lookupName, toFd, validateBool, validateInt, validateOptions } from '../internal/validate';

const k = native.fdkindConstants;
/** CLOCK_MONOTONIC: a clock that never jumps and stops while the system is suspended ('monotonic'). */
export const CLOCK_MONOTONIC: number = k.CLOCK_MONOTONIC!;
/** CLOCK_REALTIME: the wall clock, which jumps when the system time is set ('realtime'). */
export const CLOCK_REALTIME: number = k.CLOCK_REALTIME!;
/** CLOCK_BOOTTIME: like CLOCK_MONOTONIC, but counting time spent suspended ('boottime'). */
export const CLOCK_BOOTTIME: number = k.CLOCK_BOOTTIME!;
/** timerfd_create flag: reads never block (`options.nonblock`, on by default). */
export const TFD_NONBLOCK: number = k.TFD_NONBLOCK!;
/** timerfd_create flag: close the fd in child processes (`options.cloexec`, on by default). */
export const TFD_CLOEXEC: number = k.TFD_CLOEXEC!;
/** timerfd_settime flag: the initial time is a time on the timer's clock, not a delay (`options.absolute`). */
export const TFD_TIMER_ABSTIME: number = k.TFD_TIMER_ABSTIME!;
/** timerfd_settime flag: with TFD_TIMER_ABSTIME on a realtime timer, a jump of the wall clock makes a read fail with ECANCELED (`options.cancelOnSet`). */
export const TFD_TIMER_CANCEL_ON_SET: number = k.TFD_TIMER_CANCEL_ON_SET!;

/** The clocks a timer can follow: 'monotonic' (default), 'realtime' (wall clock), 'boottime' (counts suspend). */
export type TimerClock = 'monotonic' | 'realtime' | 'boottime';

const CLOCKS: Record<TimerClock, number> = { monotonic: CLOCK_MONOTONIC, realtime: CLOCK_REALTIME, boottime: CLOCK_BOOTTIME };

/** A timer setting: when it next expires, and how often after that (0: once). */
export interface TimerSpec {
  /** Milliseconds until the next expiration (0: disarmed); for `absolute`, the clock's time. */
  initialMs: number;
  /** Milliseconds between expirations after the first (0: one-shot). */
  intervalMs: number;
}

/** Options for `timerfdSettime`: how to read `initialMs`. */
export interface TimerSettimeOptions {
  /** `initialMs` is a time on the timer's clock (ms since the epoch for 'realtime'), not a delay. */
  absolute?: boolean;
  /**
   * With `absolute` on a 'realtime' timer: a jump of the wall clock makes the
   * next read fail with ECANCELED (TFD_TIMER_CANCEL_ON_SET).
   */
  cancelOnSet?: boolean;
}

const spec = new Float64Array(4);

/**
 * Create a timer fd (disarmed), non-blocking and close-on-exec unless told otherwise.
 * @param clock   'monotonic' (default), 'realtime', 'boottime', or a CLOCK_* number
 * @param options `{ nonblock, cloexec }`, both true by default
 * @returns the new fd
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown clock name;
 *   TypeError ERR_INVALID_ARG_TYPE for a clock that is neither a name nor an integer,
 *   or a bad options object; RangeError ERR_OUT_OF_RANGE for a negative clock number;
 *   SystemError EINVAL (unknown clock), EPERM, EMFILE...
 */
export function timerfdCreate(clock: TimerClock | number = 'monotonic', options?: FdOptions): number {
  let id: number;
  if (typeof clock === 'string') {
    const c = lookupName(CLOCKS, clock);
    if (c === undefined) throw invalidArgValue('clock', clock, "must be 'monotonic', 'realtime', 'boottime' or a CLOCK_* number");
    id = c;
  } else id = validateInt(clock, 'clock', 0, 0x7fffffff);
  const [nonblock, cloexec] = fdFlags(options);
  return check(native.timerfdCreate(id, (nonblock ? TFD_NONBLOCK : 0) | (cloexec ? TFD_CLOEXEC : 0)), 'timerfd_create');
}

/**
 * Seconds a timespec can carry exactly: a double holds whole numbers exactly up
 * to 2^53, and C's conversion of a larger one to time_t is undefined (x86 gives
 * a negative time, arm64 the largest one).
 */
const MAX_MS = Number.MAX_SAFE_INTEGER * 1000;

/**
 * A time in milliseconds: a number (fractions allowed, not an integer), >= 0
 * and finite. NaN, Infinity and times above 2^53-1 seconds are RangeErrors.
 */
function validateMs(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 0 && value <= MAX_MS)) throw outOfRange(name, `a number of milliseconds >= 0 && <= ${MAX_MS} (2^53-1 s)`, value);
  return value;
}

/** Store `ms` as (seconds, nanoseconds) at spec[i], spec[i + 1]; a positive value never rounds to 0 (disarm). */
function toTimespec(ms: number, i: number): void {
  let sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  }
  if (ms > 0 && sec === 0 && nsec === 0) nsec = 1;
  spec[i] = sec;
  spec[i + 1] = nsec;
}

function specResult(): TimerSpec {
  return { initialMs: spec[0]! * 1000 + spec[1]! / 1e6, intervalMs: spec[2]! * 1000 + spec[3]! / 1e6 };
}

/**
 * Arm (or, with `initialMs` 0, disarm) the timer (timerfd_settime).
 * @param initialMs  ms until the first expiration (a clock time with `absolute`); 0 disarms
 * @param intervalMs ms between later expirations; 0 (default) fires once
 * @param options    `{ absolute, cancelOnSet }`, both false by default
 * @returns the previous setting, as `timerfdGettime` would have returned it
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, a time that is
 *   not a number, or a bad options object; RangeError ERR_OUT_OF_RANGE for a negative
 *   fd, or a time that is negative, NaN, infinite or above 2^53-1 seconds;
 *   SystemError EBADF, EINVAL (not a timerfd), EOVERFLOW (2^31 seconds or more where
 *   time_t is 32 bits, as on 32-bit arm)...
 */
export function timerfdSettime(fd: FdLike, initialMs: number, intervalMs = 0, options?: TimerSettimeOptions): TimerSpec {
  const n = toFd(fd);
  const initial = validateMs(initialMs, 'initialMs');
  const interval = validateMs(intervalMs, 'intervalMs');
  const o = validateOptions<TimerSettimeOptions>(options);
  const absolute = validateBool(o.absolute, 'options.absolute', false);
  const cancelOnSet = validateBool(o.cancelOnSet, 'options.cancelOnSet', false);
  toTimespec(initial, 0);
  toTimespec(interval, 2);
  const flags = (absolute ? TFD_TIMER_ABSTIME : 0) | (cancelOnSet ? TFD_TIMER_CANCEL_ON_SET : 0);
  check(native.timerfdSettime(n, flags, spec), 'timerfd_settime');
  return specResult();
}

/**
 * The timer's setting now (timerfd_gettime): `initialMs` is the time left until
 * the next expiration (0: disarmed), `intervalMs` the period (0: one-shot).
 * @returns `{ initialMs, intervalMs }`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError EBADF, EINVAL (not a timerfd)...
 */
export function timerfdGettime(fd: FdLike): TimerSpec {
  const n = toFd(fd);
  check(native.timerfdGettime(n, spec), 'timerfd_gettime');
  return specResult();
}

/**
 * Read how many times the timer expired since the last read (or since armed),
 * resetting that count. The fd is not checked to be a timerfd (as Python's
 * `os.read(fd, 8)`; see eventfdRead and docs/toolkit.md).
 * @returns the count (>= 1n), or `null` if it has not expired yet (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError ECANCELED (wall clock
 *   jumped, with `cancelOnSet`), EBADF...
 */
export function timerfdRead(fd: FdLike): bigint | null {
  return readU64(fd);
}
