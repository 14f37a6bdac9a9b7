/**
 * Argument validation, shared by every API: each check throws the error
 * CONTRACT.md names before any system call is made.
 */
import { invalidArgType, outOfRange } from './errors';

/** Anything that names a file descriptor: a number, `{ fd }`, or `{ fileno() }`. */
export type FdLike =
  | number
  | {
      /** The file descriptor (as on Node's fs.ReadStream / net.Socket handles). */
      readonly fd: number;
    }
  | {
      /** Returns the file descriptor (as Python's file objects do). */
      fileno(): number;
    };

const INT32_MAX = 0x7fffffff;

/**
 * An integer in [min, max]. As CONTRACT.md says, anything that is not an
 * integer (a string, NaN, Infinity, -Infinity, 1.5) is a TypeError
 * ERR_INVALID_ARG_TYPE; an integer outside the range a RangeError ERR_OUT_OF_RANGE.
 */
export function validateInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgType(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** A file descriptor number from an FdLike (a negative one is a RangeError). */
export function toFd(value: unknown, name = 'fd'): number {
  if (typeof value === 'number') return validateInt(value, name, 0, INT32_MAX);
  if (typeof value === 'object' && value !== null) {
    const obj = value as { fd?: unknown; fileno?: unknown };
    if (typeof obj.fileno === 'function') {
      return validateInt((obj.fileno as () => unknown)(), `${name}.fileno()`, 0, INT32_MAX);
    }
    if ('fd' in obj) return validateInt(obj.fd, `${name}.fd`, 0, INT32_MAX);
  }
  throw invalidArgType(name, 'a file descriptor (an integer, or an object with fd or fileno())', value);
}

/**
 * An event mask. Accepts the unsigned value (EPOLLET is 0x80000000) and the
 * signed one that `|` produces (EPOLLIN | EPOLLET < 0); returns it unsigned.
 */
export function validateMask(value: unknown, name = 'events'): number {
  return validateInt(value, name, -0x80000000, 0xffffffff) >>> 0;
}

/**
 * A timeout in milliseconds, Python's way: undefined, null or negative waits
 * forever (-1); fractions round up, so 0.1 waits at least 1 ms and a loop
 * never spins on a sub-millisecond timeout. A timeout is a number, not an
 * integer: NaN is a RangeError, and so is a finite time above 2^31-1 ms
 * (Python's OverflowError). Infinity waits forever: Python refuses
 * float('inf') only because C's time types cannot hold it, and in JavaScript
 * Infinity is how "no limit" is written (`deadline - now` with no deadline).
 */
export function validateTimeout(value: unknown, name = 'timeoutMs'): number {
  if (value === undefined || value === null) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value)) throw outOfRange(name, 'a number of milliseconds (not NaN)', value);
  if (value < 0 || value === Infinity) return -1;
  const ms = Math.ceil(value);
  if (ms > INT32_MAX) throw outOfRange(name, `<= ${INT32_MAX} ms (or negative to wait forever)`, value);
  return ms;
}

/**
 * The value `table` gives the name `key`, or undefined: own properties only,
 * so that 'constructor' or 'toString' is an unknown name, not Object's.
 */
export function lookupName<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A function argument. */
export function validateFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as T;
}

/** A boolean option (undefined takes the default). */
export function validateBool(value: unknown, name: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** An options object (undefined is `{}`). */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'of type object', value);
  return value as Partial<T>;
}

/** A Buffer, TypedArray or DataView. */
export function validateView(buf: unknown, name = 'buffer'): asserts buf is ArrayBufferView {
  if (!ArrayBuffer.isView(buf)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', buf);
}

/**
 * A byte range inside a Buffer/TypedArray/DataView: offset defaults to 0,
 * length to the rest of the buffer. Returns [offset, length] in bytes.
 */
export function validateRange(buf: unknown, offset: unknown, length: unknown, name = 'buffer'): [number, number] {
  validateView(buf, name);
  const size = buf.byteLength;
  const off = offset === undefined ? 0 : validateInt(offset, 'offset', 0, size);
  const len = length === undefined ? size - off : validateInt(length, 'length', 0, size - off);
  return [off, len];
}
