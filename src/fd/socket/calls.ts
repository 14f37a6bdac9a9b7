/**
 * Sockets for IPv4, IPv6 and Unix paths, in Python's `socket` names, driven
 * by plain fd numbers: everything needed to write an Epoll server with no
 * help from Node's `net`. Non-blocking and close-on-exec by default; EAGAIN is
 * `null`, never an exception; `send` never raises SIGPIPE (MSG_NOSIGNAL).
 *
 * Addresses are IP literals or Unix paths, never host names: no resolver runs
 * on the calling thread. The socket's own family (SO_DOMAIN) decides how an
 * address string is read:
 * - an IPv4 socket takes an IPv4 literal ('127.0.0.1', '0.0.0.0');
 * - an IPv6 socket takes an IPv6 literal ('::1', 'fe80::1%2' or '%eth0'),
 *   or an IPv4 literal, which becomes its IPv4-mapped form ('::ffff:127.0.0.1');
 * - a Unix socket takes a path (a string or a Buffer of raw bytes), '\0name'
 *   for a Linux abstract name, or '' to let the kernel pick an abstract name.
 * Anything else is a TypeError ERR_INVALID_ARG_VALUE.
 */
import { check, checkAgain, errnoError, invalidArgValue } from '../../internal/errors';
import { native } from '../../internal/binding';
import { type FdLike, lookupName, toFd, validateInt, validateRange } from '../../internal/validate';
import { AF_UNIX, type FdOptions, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, fdFlags } from '../fd';
import { type AcceptResult, type RecvFromResult, type SocketAddress, type SocketFamilyInput, type SocketType, acceptResult, addrBuf, decodeAddress, encodeAddress, familyNumber } from './address';
import { MSG_NOSIGNAL, SHUT_RD, SHUT_RDWR, SHUT_WR, SOL_SOCKET, SO_DOMAIN, SO_LINGER } from './constants';

const k = native.socketConstants;
const SOCK_NONBLOCK = native.fdConstants.SOCK_NONBLOCK!;
const SOCK_CLOEXEC = native.fdConstants.SOCK_CLOEXEC!;
const EINPROGRESS = k.EINPROGRESS!;
const EINTR = k.EINTR!;

const TYPES: Record<SocketType, number> = { stream: SOCK_STREAM, dgram: SOCK_DGRAM, seqpacket: SOCK_SEQPACKET };

// Scratch for lengths and option values: calls are synchronous, so one set per thread is enough.
const lenOut = new Int32Array(1);
const optOut = new Int32Array(2);

/**
 * SOCK_NONBLOCK | SOCK_CLOEXEC as the options say. No array and no
 * destructuring for the default: accept() runs this per connection, and an
 * idle server's memory grows with its garbage.
 */
function socketFlags(options: FdOptions | undefined): number {
  if (options === undefined) return SOCK_NONBLOCK | SOCK_CLOEXEC;
  const f = fdFlags(options);
  return (f[0] ? SOCK_NONBLOCK : 0) | (f[1] ? SOCK_CLOEXEC : 0);
}

/** The socket's address family (SO_DOMAIN); a failure is reported as `syscall`'s. */
function domainOf(fd: number, syscall: string): number {
  const r = native.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, optOut);
  if (r < 0) throw errnoError(-r, syscall);
  return optOut[0]!;
}

function typeNumber(value: unknown): number {
  if (value === undefined) return SOCK_STREAM;
  if (typeof value === 'string') {
    const t = lookupName(TYPES, value);
    if (t === undefined) throw invalidArgValue('type', value, "must be 'stream', 'dgram', 'seqpacket' or a SOCK_* number");
    return t;
  }
  return validateInt(value, 'type', 0, 0x7fffffff);
}

/**
 * Create a socket (socket(2)), non-blocking and close-on-exec unless told otherwise.
 * @param family  'IPv4', 'IPv6' or 'unix' (Node's names, taken in any case, so
 *   'ipv4' and 'ipv6' too), 4 or 6 (Node's numbers, as `net.connect({ family })`),
 *   or an AF_* number (AF_INET, AF_INET6, AF_UNIX...)
 * @param type    'stream' (default), 'dgram', 'seqpacket', or a SOCK_* number
 * @param options `{ nonblock, cloexec }`, both true by default
 * @returns the new fd
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown family or type name;
 *   TypeError ERR_INVALID_ARG_TYPE for a family or type that is neither a name nor an
 *   integer, or a bad options object; RangeError ERR_OUT_OF_RANGE for a number outside
 *   its range; SystemError EAFNOSUPPORT, EINVAL, EPROTONOSUPPORT, EMFILE... as the kernel says
 */
export function socket(family: SocketFamilyInput, type: SocketType | number = 'stream', options?: FdOptions): number {
  const af = familyNumber(family);
  const t = typeNumber(type);
  const [nonblock, cloexec] = fdFlags(options);
  return check(native.socket(af, t | (nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0), 0), 'socket');
}

/**
 * Bind `fd` to a local address (bind(2)). Port 0 (the default) lets the kernel
 * pick one: `localAddress(fd).port` tells which.
 * @param address an IP literal for IPv4/IPv6 sockets, a path for Unix ones (see the module doc)
 * @param port    0-65535 for IPv4/IPv6; must be omitted for Unix sockets
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or an address
 *   that is not a string (or Buffer, for Unix); TypeError ERR_INVALID_ARG_VALUE for an
 *   address the socket's family cannot take (not a literal, an unknown IPv6 zone, a Unix
 *   path too long or with NUL bytes, a port given for a Unix socket);
 *   RangeError ERR_OUT_OF_RANGE for a negative fd or a port outside 0-65535;
 *   SystemError EADDRINUSE, EACCES, EADDRNOTAVAIL, EBADF, ENOTSOCK, EINVAL (already bound),
 *   EAFNOSUPPORT (a family other than IPv4, IPv6 and Unix)...
 */
export function bind(fd: FdLike, address: string | Buffer, port?: number): void {
  const n = toFd(fd);
  const len = encodeAddress(domainOf(n, 'bind'), address, port, false, 'bind');
  check(native.bind(n, addrBuf, len), 'bind');
}

/**
 * Listen for connections (listen(2)).
 * @param backlog queue length (default 511, as Node's; the kernel caps it at somaxconn)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike or a backlog
 *   that is not an integer; RangeError ERR_OUT_OF_RANGE for a negative fd or backlog;
 *   SystemError EBADF, ENOTSOCK, EOPNOTSUPP (a datagram socket), EADDRINUSE...
 */
export function listen(fd: FdLike, backlog = 511): void {
  const n = toFd(fd);
  const q = validateInt(backlog, 'backlog', 0, 0x7fffffff);
  check(native.listen(n, q), 'listen');
}

/**
 * Accept a connection (accept4(2)); the new fd is non-blocking and
 * close-on-exec unless told otherwise.
 * @returns the new fd with the peer's address, or `null` if none is pending (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike or a bad
 *   options object; RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError EMFILE
 *   (out of fds: the connection stays queued), EINVAL (not listening), EBADF, ENOTSOCK,
 *   ECONNABORTED...; EAFNOSUPPORT for a peer family other than IPv4, IPv6 and Unix (the new
 *   fd is closed)
 */
export function accept(fd: FdLike, options?: FdOptions): AcceptResult | null {
  const n = toFd(fd);
  const conn = checkAgain(native.accept4(n, socketFlags(options), addrBuf, lenOut), 'accept4');
  if (conn === null) return null;
  try {
    // Only an unnamed Unix peer comes back with no address bytes: its family is 'unix'.
    return acceptResult(conn, lenOut[0]!, AF_UNIX);
  } catch (err) {
    native.close(conn); // a family we cannot describe (not IP nor Unix): do not leak the fd
    throw err;
  }
}

/**
 * Start connecting `fd` (connect(2)); on a non-blocking socket this does not wait.
 * @param address an IP literal for IPv4/IPv6 sockets, a path for Unix ones (see the module doc)
 * @param port    0-65535, required for IPv4/IPv6; must be omitted for Unix sockets
 * @returns true if connected at once (Unix sockets, often loopback), false if the
 *   connection is in progress: wait for EPOLLOUT, then `getsockopt(fd, SOL_SOCKET,
 *   SO_ERROR)` is 0 on success or the errno that failed it (ECONNREFUSED...)
 * @throws TypeError/RangeError for a bad fd, address or port, as `bind` (and
 *   TypeError ERR_INVALID_ARG_TYPE for a missing port on an IPv4/IPv6 socket);
 *   SystemError ECONNREFUSED, ENOENT (no such Unix path), EAGAIN (a Unix listener's
 *   queue is full: nothing was started), ENETUNREACH, EISCONN, EALREADY, EBADF...
 */
export function connect(fd: FdLike, address: string | Buffer, port?: number): boolean {
  const n = toFd(fd);
  const len = encodeAddress(domainOf(n, 'connect'), address, port, true, 'connect');
  const r = native.connect(n, addrBuf, len);
  // EINTR: the kernel goes on connecting in the background, as with EINPROGRESS.
  if (r === -EINPROGRESS || r === -EINTR) return false;
  check(r, 'connect');
  return true;
}

/**
 * Receive into `buf[offset, offset + length)` (recv(2)).
 * @param offset where to start in `buf`, in bytes (default 0)
 * @param length how many bytes at most (default: the rest of `buf`)
 * @param flags  MSG_OOB (urgent byte), MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL...
 * @returns bytes received, 0 at end of stream (the peer shut down writing),
 *   `null` if nothing is ready (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, a buf that is
 *   not a Buffer/TypedArray/DataView, or a non-integer offset, length or flags;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd or flags, or a range outside buf;
 *   SystemError ECONNRESET, EBADF, ENOTSOCK, EINVAL (MSG_OOB with no urgent data)...
 */
export function recv(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number, flags = 0): number | null {
  const n = toFd(fd);
  const [off, len] = validateRange(buf, offset, length);
  const f = validateInt(flags, 'flags', 0, 0x7fffffff);
  return checkAgain(native.recv(n, buf, off, len, f), 'recv');
}

/**
 * Send `buf[offset, offset + length)` (send(2)), with MSG_NOSIGNAL always.
 * @param offset where to start in `buf`, in bytes (default 0)
 * @param length how many bytes (default: the rest of `buf`)
 * @param flags  MSG_OOB sends the last byte as urgent data (the peer sees EPOLLPRI)
 * @returns bytes sent (possibly fewer), `null` if the socket buffer is full (EAGAIN)
 * @throws TypeError/RangeError for a bad fd, buf, range or flags, as `recv`;
 *   SystemError EPIPE (peer gone; no SIGPIPE), ECONNRESET, ENOTCONN, EDESTADDRREQ, EBADF...
 */
export function send(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number, flags = 0): number | null {
  const n = toFd(fd);
  const [off, len] = validateRange(buf, offset, length);
  const f = validateInt(flags, 'flags', 0, 0x7fffffff);
  return checkAgain(native.send(n, buf, off, len, f | MSG_NOSIGNAL), 'send');
}

/**
 * Receive a datagram (or stream bytes) and its sender (recvfrom(2)). A datagram
 * longer than `length` is truncated; pass MSG_TRUNC to get its real length.
 * @param offset where to start in `buf`, in bytes (default 0)
 * @param length how many bytes at most (default: the rest of `buf`)
 * @param flags  MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT...
 * @returns `{ bytes, address, port, family }` (address '' for an unnamed or
 *   connected-stream peer), or `null` if nothing is ready (EAGAIN)
 * @throws TypeError/RangeError for a bad fd, buf, range or flags, as `recv`;
 *   SystemError ECONNRESET, EBADF, ENOTSOCK...; EAFNOSUPPORT for a sender whose
 *   family is not IPv4, IPv6 or Unix
 */
export function recvfrom(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number, flags = 0): RecvFromResult | null {
  const n = toFd(fd);
  const [off, len] = validateRange(buf, offset, length);
  const f = validateInt(flags, 'flags', 0, 0x7fffffff);
  const bytes = checkAgain(native.recvfrom(n, buf, off, len, f, addrBuf, lenOut), 'recvfrom');
  if (bytes === null) return null;
  const from = decodeAddress(lenOut[0]!, lenOut[0]! < 2 ? domainOf(n, 'recvfrom') : AF_UNIX);
  return { bytes, address: from.address, port: from.port, family: from.family };
}

/**
 * Send a datagram to `address`/`port` (sendto(2)), with MSG_NOSIGNAL always.
 * The argument order is (fd, buf, where, then the optional range and flags):
 * `sendto(fd, buf, '127.0.0.1', 9999)`, `sendto(fd, buf, '/tmp/sock')`,
 * `sendto(fd, buf, '::1', 53, 0, 12, MSG_DONTWAIT)`.
 * @param address an IP literal for IPv4/IPv6 sockets, a path for Unix ones (see the module doc)
 * @param port    required for IPv4/IPv6, must be undefined for Unix sockets
 * @returns bytes sent, `null` if the socket buffer is full (EAGAIN)
 * @throws TypeError/RangeError for a bad fd, buf, range or flags (as `recv`) or a
 *   bad address or port (as `connect`); SystemError EMSGSIZE, ECONNREFUSED,
 *   ENOENT (no such Unix path), EISCONN, EACCES, EBADF...
 */
export function sendto(
  fd: FdLike,
  buf: ArrayBufferView,
  address: string | Buffer,
  port?: number,
  offset?: number,
  length?: number,
  flags = 0,
): number | null {
  const n = toFd(fd);
  const [off, len] = validateRange(buf, offset, length);
  const f = validateInt(flags, 'flags', 0, 0x7fffffff);
  const alen = encodeAddress(domainOf(n, 'sendto'), address, port, true, 'sendto');
  return checkAgain(native.sendto(n, buf, off, len, f | MSG_NOSIGNAL, addrBuf, alen), 'sendto');
}

const HOW: Record<string, number> = { read: SHUT_RD, write: SHUT_WR, both: SHUT_RDWR };

/**
 * Shut down one or both directions of a connection (shutdown(2)); the fd stays
 * open (close it with `close`). 'write' sends the peer an end of stream.
 * @param how 'read', 'write', 'both', or SHUT_RD / SHUT_WR / SHUT_RDWR
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown `how` name;
 *   TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike or a `how` that
 *   is neither a name nor an integer; RangeError ERR_OUT_OF_RANGE for a negative fd
 *   or a `how` number outside 0-2; SystemError ENOTCONN, EBADF, ENOTSOCK...
 */
export function shutdown(fd: FdLike, how: 'read' | 'write' | 'both' | number): void {
  const n = toFd(fd);
  let h: number;
  if (typeof how === 'string') {
    const v = lookupName(HOW, how);
    if (v === undefined) throw invalidArgValue('how', how, "must be 'read', 'write', 'both' or a SHUT_* number");
    h = v;
  } else h = validateInt(how, 'how', 0, 2);
  check(native.shutdown(n, h), 'shutdown');
}

const isLinger = (level: number, option: number): boolean => level === SOL_SOCKET && option === SO_LINGER;
const setOne = new Int32Array(1);

/**
 * Set a socket option (setsockopt(2)) whose value is an int: a boolean is 1 or 0.
 * SO_LINGER takes seconds (`false` or -1 turns lingering off).
 * @param level  SOL_SOCKET, IPPROTO_TCP, IPPROTO_IPV6...
 * @param option SO_REUSEADDR, TCP_NODELAY, IPV6_V6ONLY...
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or a level,
 *   option or value that is not an integer (or boolean, for value); RangeError
 *   ERR_OUT_OF_RANGE for a negative fd, level or option, or a value outside the int32
 *   range; SystemError ENOPROTOOPT (unknown option, or SO_SNDLOWAT), EINVAL, EPERM,
 *   EBADF, ENOTSOCK...
 */
export function setsockopt(fd: FdLike, level: number, option: number, value: number | boolean): void {
  const n = toFd(fd);
  const lvl = validateInt(level, 'level', 0, 0x7fffffff);
  const opt = validateInt(option, 'option', 0, 0x7fffffff);
  let v: number;
  if (typeof value === 'boolean') v = value ? 1 : 0;
  else v = validateInt(value, 'value', -0x80000000, 0x7fffffff);
  if (isLinger(lvl, opt)) {
    const off = value === false || v < 0;
    optOut[0] = off ? 0 : 1;
    optOut[1] = off ? 0 : v;
    check(native.setsockopt(n, lvl, opt, optOut), 'setsockopt');
    return;
  }
  setOne[0] = v;
  check(native.setsockopt(n, lvl, opt, setOne), 'setsockopt');
}

/**
 * Read a socket option (getsockopt(2)) whose value is an int. SO_ERROR reads
 * and clears the pending error: 0, or an errno number (see `os.constants.errno`).
 * SO_LINGER gives seconds, or -1 when off. Bigger (struct) options are not supported.
 * @param level  SOL_SOCKET, IPPROTO_TCP, IPPROTO_IPV6...
 * @param option SO_ERROR, SO_RCVBUF, TCP_NODELAY...
 * @returns the option's value
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or a level
 *   or option that is not an integer; RangeError ERR_OUT_OF_RANGE for a negative fd,
 *   level or option; SystemError ENOPROTOOPT, EBADF, ENOTSOCK...
 */
export function getsockopt(fd: FdLike, level: number, option: number): number {
  const n = toFd(fd);
  const lvl = validateInt(level, 'level', 0, 0x7fffffff);
  const opt = validateInt(option, 'option', 0, 0x7fffffff);
  check(native.getsockopt(n, lvl, opt, optOut), 'getsockopt');
  if (isLinger(lvl, opt)) return optOut[0] ? optOut[1]! : -1;
  return optOut[0]!;
}

/**
 * The address `fd` is bound to (getsockname(2)).
 * @returns `{ address, port, family }`; an unbound Unix socket has address ''
 *   (and an unbound IP socket the wildcard address with port 0)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError EBADF, ENOTSOCK...
 */
export function localAddress(fd: FdLike): SocketAddress {
  const n = toFd(fd);
  check(native.getsockname(n, addrBuf, lenOut), 'getsockname');
  return decodeAddress(lenOut[0]!, AF_UNIX);
}

/**
 * The address of `fd`'s peer (getpeername(2)).
 * @returns `{ address, port, family }`; an unnamed Unix peer has address ''
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError ENOTCONN (not
 *   connected, or still connecting), EBADF, ENOTSOCK...
 */
export function remoteAddress(fd: FdLike): SocketAddress {
  const n = toFd(fd);
  check(native.getpeername(n, addrBuf, lenOut), 'getpeername');
  return decodeAddress(lenOut[0]!, AF_UNIX);
}
