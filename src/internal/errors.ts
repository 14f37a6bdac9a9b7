/**
 * The error scheme, in one place (CONTRACT.md "Errors"):
 * - kernel said no      -> Error with code/errno/syscall, like Node's system errors
 * - bad argument        -> TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE,
 *                          RangeError ERR_OUT_OF_RANGE (thrown before any system call)
 * - object closed       -> Error ERR_IOREADY_CLOSED
 * - selector key misuse -> Error ERR_IOREADY_KEY (Python's KeyError)
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, getSystemErrorName, inspect } from 'node:util';

const EAGAIN = osConstants.errno.EAGAIN;

/** A failed system call, shaped like Node's own system errors. */
export interface SystemError extends Error {
  /** 'EEXIST', 'ENOENT', 'EBADF', ... */
  code: string;
  /** Negative errno, as Node reports it. */
  errno: number;
  /** The system call that failed: 'epoll_ctl', 'accept4', ... */
  syscall: string;
}

let errorMap: Map<number, [string, string]> | undefined;

/**
 * Build the error for `errno` (positive, as the kernel numbers it) from `syscall`.
 * Message as Node's: `EEXIST: file already exists, epoll_ctl`.
 */
export function errnoError(errno: number, syscall: string): SystemError {
  errorMap ??= getSystemErrorMap();
  const entry = errorMap.get(-errno);
  let code: string;
  let desc: string;
  if (entry) [code, desc] = entry;
  else {
    try {
      code = getSystemErrorName(-errno);
    } catch {
      code = `E${errno}`;
    }
    desc = 'unknown error';
  }
  const err = new Error(`${code}: ${desc}, ${syscall}`) as SystemError;
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  Error.captureStackTrace?.(err, errnoError);
  return err;
}

/** Throw for a native result below zero (-errno); return it otherwise. */
export function check(result: number, syscall: string): number {
  if (result < 0) throw errnoError(-result, syscall);
  return result;
}

/** Like check(), but EAGAIN (would block) is `null`, not an exception. */
export function checkAgain(result: number, syscall: string): number | null {
  if (result < 0) {
    if (result === -EAGAIN) return null;
    throw errnoError(-result, syscall);
  }
  return result;
}

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? `an instance of ${ctor}` : inspect(value, { depth: -1 });
  }
  let shown = inspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** TypeError ERR_INVALID_ARG_TYPE, worded as Node words it. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  const err = withCode(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
  Error.captureStackTrace?.(err, invalidArgType);
  return err;
}

/** TypeError ERR_INVALID_ARG_VALUE: right type, unusable value. */
export function invalidArgValue(name: string, actual: unknown, reason: string): TypeError & { code: string } {
  const err = withCode(new TypeError(`The argument '${name}' ${reason}. Received ${inspect(actual)}`), 'ERR_INVALID_ARG_VALUE');
  Error.captureStackTrace?.(err, invalidArgValue);
  return err;
}

/** RangeError ERR_OUT_OF_RANGE, worded as Node words it. */
export function outOfRange(name: string, range: string, actual: unknown): RangeError & { code: string } {
  const err = withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(actual)}`), 'ERR_OUT_OF_RANGE');
  Error.captureStackTrace?.(err, outOfRange);
  return err;
}

/** Error ERR_IOREADY_CLOSED: a call on a closed object. */
export function closedError(what: string): Error & { code: string } {
  const err = withCode(new Error(`I/O operation on closed ${what}`), 'ERR_IOREADY_CLOSED');
  Error.captureStackTrace?.(err, closedError);
  return err;
}

/** Error ERR_IOREADY_KEY: Python's KeyError for selector registrations. */
export function keyError(message: string): Error & { code: string } {
  const err = withCode(new Error(message), 'ERR_IOREADY_KEY');
  Error.captureStackTrace?.(err, keyError);
  return err;
}

/** TypeError ERR_UNKNOWN_SIGNAL: a signal name Node does not know, worded as process.kill words it. */
export function unknownSignal(signal: unknown): TypeError & { code: string } {
  const err = withCode(new TypeError(`Unknown signal: ${String(signal)}`), 'ERR_UNKNOWN_SIGNAL');
  Error.captureStackTrace?.(err, unknownSignal);
  return err;
}

/** Error ABORT_ERR: an AbortSignal fired, as Node's own APIs report it. */
export function abortError(reason: unknown): Error & { code: string } {
  const err = withCode(new Error('The operation was aborted', { cause: reason }), 'ABORT_ERR');
  err.name = 'AbortError';
  return err;
}
