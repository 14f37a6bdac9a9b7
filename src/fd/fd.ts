/**
 * Plain file descriptors: pipes, socket pairs, and read/write/close on
 * caller-given Buffers. Non-blocking and close-on-exec by default; EAGAIN is
 * `null`, never an exception.
 */
import { willClose } from '../internal/close-hook';
import { check, checkAgain } from '../internal/errors';
import { native } from '../internal/binding';
import {
  type FdLike,
  toFd,
  validateBool,
  validateInt,
  validateOptions,
  validateView,
} from '../internal/validate';

const c = native.fdConstants;
// Bound once: the hot calls skip even the (fast) property load.
const { read: nativeRead, write: nativeWrite } = native;
/** open(2)/fcntl(2) flag: reads and writes never block (they return null instead). */
export const O_NONBLOCK: number = c.O_NONBLOCK!;
/** open(2) flag: close the fd in child processes. */
export const O_CLOEXEC: number = c.O_CLOEXEC!;
/** Address family: Unix domain sockets (paths and abstract names). */
export const AF_UNIX: number = c.AF_UNIX!;
/** Address family: IPv4. */
export const AF_INET: number = c.AF_INET!;
/** Address family: IPv6. */
export const AF_INET6: number = c.AF_INET6!;
/** Socket type: a reliable byte stream (TCP, Unix stream). */
export const SOCK_STREAM: number = c.SOCK_STREAM!;
/** Socket type: datagrams (UDP, Unix datagram). */
export const SOCK_DGRAM: number = c.SOCK_DGRAM!;
/** Socket type: reliable, ordered datagrams (Unix). */
export const SOCK_SEQPACKET: number = c.SOCK_SEQPACKET!;
const SOCK_NONBLOCK = c.SOCK_NONBLOCK!;
const SOCK_CLOEXEC = c.SOCK_CLOEXEC!;

/** Options shared by every call that creates fds. */
export interface FdOptions {
  /** O_NONBLOCK: reads and writes return `null` instead of blocking. Default true. */
  nonblock?: boolean;
  /** O_CLOEXEC: the fd is closed in child processes. Default true. */
  cloexec?: boolean;
}

/** Resolve the nonblock/cloexec options to [nonblock, cloexec]. */
export function fdFlags(options: unknown): [nonblock: boolean, cloexec: boolean] {
  const o = validateOptions<FdOptions>(options);
  return [validateBool(o.nonblock, 'options.nonblock', true), validateBool(o.cloexec, 'options.cloexec', true)];
}

const pairOut = new Int32Array(2);

/**
 * A pipe (pipe2): `[readEnd, writeEnd]`.
 * @throws SystemError EMFILE/ENFILE when out of fds
 */
export function pipe(options?: FdOptions): [readFd: number, writeFd: number] {
  const [nonblock, cloexec] = fdFlags(options);
  check(native.pipe2((nonblock ? O_NONBLOCK : 0) | (cloexec ? O_CLOEXEC : 0), pairOut), 'pipe2');
  return [pairOut[0]!, pairOut[1]!];
}

export interface SocketPairOptions extends FdOptions {
  /** SOCK_STREAM (default), SOCK_DGRAM or SOCK_SEQPACKET. */
  type?: number;
}

/**
 * A connected pair of Unix sockets (socketpair): `[a, b]`.
 * @throws SystemError EMFILE/ENFILE when out of fds, EINVAL for a bad type
 */
export function socketpair(options?: SocketPairOptions): [number, number] {
  const [nonblock, cloexec] = fdFlags(options);
  const o = options ?? {}; // fdFlags has validated it
  const type = o.type === undefined ? SOCK_STREAM : validateInt(o.type, 'options.type', 0, 0x7fffffff);
  const flags = (nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0);
  check(native.socketpair(AF_UNIX, type | flags, 0, pairOut), 'socketpair');
  return [pairOut[0]!, pairOut[1]!];
}

/**
 * Whether (offset, length) names all of `buf`: `read(fd, buf, 0, buf.length)`
 * then costs what `read(fd, buf)` costs (#18: a user passing the range paid
 * about 15% more per event). Only exact integers match; anything else goes
 * through the range checks.
 */
function isWhole(buf: ArrayBufferView, offset: unknown, length: unknown): boolean {
  return (offset === 0 || offset === undefined) && (length === buf.byteLength || (length === undefined && offset === 0));
}

/**
 * Read into `buf[offset, offset + length)`.
 * @returns bytes read, 0 at end of file, `null` if nothing is ready (EAGAIN)
 * @throws SystemError EBADF and friends; RangeError for a range outside buf
 */
export function read(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number): number | null {
  const n = toFd(fd);
  validateView(buf);
  // The whole buffer, however it was said: the binding's two-argument form, the cheapest crossing.
  if ((offset === undefined && length === undefined) || isWhole(buf, offset, length)) return checkAgain(nativeRead(n, buf), 'read');
  const size = buf.byteLength;
  const off = offset === undefined ? 0 : validateInt(offset, 'offset', 0, size);
  const len = length === undefined ? size - off : validateInt(length, 'length', 0, size - off);
  return checkAgain(nativeRead(n, buf, off, len), 'read');
}

/**
 * Write `buf[offset, offset + length)`.
 * @returns bytes written (possibly fewer), `null` if the fd is full (EAGAIN)
 * @throws SystemError EPIPE, EBADF and friends; RangeError for a range outside buf
 */
export function write(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number): number | null {
  const n = toFd(fd);
  validateView(buf);
  if ((offset === undefined && length === undefined) || isWhole(buf, offset, length)) return checkAgain(nativeWrite(n, buf), 'write');
  const size = buf.byteLength;
  const off = offset === undefined ? 0 : validateInt(offset, 'offset', 0, size);
  const len = length === undefined ? size - off : validateInt(length, 'length', 0, size - off);
  return checkAgain(nativeWrite(n, buf, off, len), 'write');
}

/**
 * Close `fd`. Events still pending for it in a batch being delivered by any
 * Epoll are dropped, so a reused fd number never gets the old file's events.
 * @throws SystemError EBADF if `fd` is not open
 */
export function close(fd: FdLike): void {
  const n = toFd(fd);
  willClose(n);
  check(native.close(n), 'close');
}

/** Set or clear O_NONBLOCK on `fd`. */
export function setBlocking(fd: FdLike, blocking: boolean): void {
  const n = toFd(fd);
  const flags = check(native.fcntl(n, c.F_GETFL!, 0), 'fcntl');
  const next = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (next !== flags) check(native.fcntl(n, c.F_SETFL!, next), 'fcntl');
}
