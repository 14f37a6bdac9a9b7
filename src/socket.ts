/**
 * Sockets for IPv4, IPv6 and Unix paths, in Python's `socket` names, driven
 * by plain fd numbers: everything needed to write an Epoll server with no
 * help from Node's `net`. Non-blocking and close-on-exec by default; EAGAIN is
 * `null`, never an exception; `send` never raises SIGPIPE (MSG_NOSIGNAL).
 *
 * Addresses are IP literals or Unix paths, never host names: no resolver runs
 * on the calling thread. The socket's own family (SO_DOMAIN) decides how an
 * address string is read:
 * - an `ipv4` socket takes an IPv4 literal ('127.0.0.1', '0.0.0.0');
 * - an `ipv6` socket takes an IPv6 literal ('::1', 'fe80::1%2' or '%eth0'),
 *   or an IPv4 literal, which becomes its IPv4-mapped form ('::ffff:127.0.0.1');
 * - a `unix` socket takes a path (a string or a Buffer of raw bytes), '\0name'
 *   for a Linux abstract name, or '' to let the kernel pick an abstract name.
 * Anything else is a TypeError ERR_INVALID_ARG_VALUE.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { constants as osConstants, endianness } from 'node:os';
import { readFileSync } from 'node:fs';
import { check, checkAgain, errnoError, invalidArgType, invalidArgValue } from './errors';
import { AF_INET, AF_INET6, AF_UNIX, type FdOptions, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, fdFlags } from './fd';
import { native, raw } from './native';
import { type FdLike, toFd, validateInt, validateRange } from './validate';

interface SocketBinding {
  socketConstants: Record<string, number>;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, flags: number, addrOut: Buffer, lenOut: Int32Array): number;
  getsockname(fd: number, addrOut: Buffer, lenOut: Int32Array): number;
  getpeername(fd: number, addrOut: Buffer, lenOut: Int32Array): number;
  recv(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number): number;
  send(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number): number;
  recvfrom(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number, addrOut: Buffer, lenOut: Int32Array): number;
  sendto(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number, addr: Buffer, addrLen: number): number;
  shutdown(fd: number, how: number): number;
  setsockopt(fd: number, level: number, option: number, values: Int32Array): number;
  getsockopt(fd: number, level: number, option: number, out: Int32Array): number;
  close(fd: number): number;
}

const b = raw as SocketBinding;
const k = b.socketConstants;

/** Option level for the socket itself: the SO_* options. */
export const SOL_SOCKET: number = k.SOL_SOCKET!;
/** SO_REUSEADDR: allow binding a port still in TIME_WAIT (set it before `bind`). */
export const SO_REUSEADDR: number = k.SO_REUSEADDR!;
/** SO_REUSEPORT: let several sockets (each with it set) bind the same address and port; the kernel spreads connections and datagrams among them. */
export const SO_REUSEPORT: number = k.SO_REUSEPORT!;
/** SO_RCVBUF: the receive buffer size in bytes (the kernel doubles the value set, and reads back the doubled value). */
export const SO_RCVBUF: number = k.SO_RCVBUF!;
/** SO_SNDBUF: the send buffer size in bytes (the kernel doubles the value set, and reads back the doubled value). */
export const SO_SNDBUF: number = k.SO_SNDBUF!;
/** SO_ERROR (read-only): the pending error, 0 or an errno number, cleared by reading it; how a non-blocking `connect` reports its outcome. */
export const SO_ERROR: number = k.SO_ERROR!;
/** SO_KEEPALIVE: send keep-alive probes on an idle connection (timing: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT). */
export const SO_KEEPALIVE: number = k.SO_KEEPALIVE!;
/** SO_LINGER: seconds `close` waits for queued data to be sent (0: `close` resets the connection at once); `setsockopt(fd, SOL_SOCKET, SO_LINGER, false)` (or -1) turns it off, and `getsockopt` says -1 when off. */
export const SO_LINGER: number = k.SO_LINGER!;
/** SO_TYPE (read-only): the socket's type, SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
export const SO_TYPE: number = k.SO_TYPE!;
/** SO_DOMAIN (read-only): the socket's address family, AF_INET, AF_INET6 or AF_UNIX. */
export const SO_DOMAIN: number = k.SO_DOMAIN!;
/** SO_ACCEPTCONN (read-only): 1 if the socket is listening, 0 otherwise. */
export const SO_ACCEPTCONN: number = k.SO_ACCEPTCONN!;
/** SO_BROADCAST: allow sending datagrams to a broadcast address. */
export const SO_BROADCAST: number = k.SO_BROADCAST!;
/** SO_OOBINLINE: urgent (out-of-band) data arrives in the normal stream instead of through MSG_OOB. */
export const SO_OOBINLINE: number = k.SO_OOBINLINE!;
/** SO_RCVLOWAT: the least number of bytes queued before the socket counts as readable (default 1). */
export const SO_RCVLOWAT: number = k.SO_RCVLOWAT!;
/** SO_SNDLOWAT (read-only on Linux, where it is always 1: setting it fails with ENOPROTOOPT): the least free send space for the socket to count as writable. */
export const SO_SNDLOWAT: number = k.SO_SNDLOWAT!;
/** Option level for IPv4: the IP_* options. */
export const IPPROTO_IP: number = k.IPPROTO_IP!;
/** Option level for IPv6: the IPV6_* options. */
export const IPPROTO_IPV6: number = k.IPPROTO_IPV6!;
/** Option level for TCP: the TCP_* options. */
export const IPPROTO_TCP: number = k.IPPROTO_TCP!;
/** Option level for UDP: the UDP_* options. */
export const IPPROTO_UDP: number = k.IPPROTO_UDP!;
/** IPV6_V6ONLY (level IPPROTO_IPV6): an ipv6 socket speaks IPv6 only, not IPv4 through IPv4-mapped addresses (set it before `bind`). */
export const IPV6_V6ONLY: number = k.IPV6_V6ONLY!;
/** TCP_NODELAY: send small segments at once instead of coalescing them (turns off Nagle's algorithm). */
export const TCP_NODELAY: number = k.TCP_NODELAY!;
/** TCP_KEEPIDLE: seconds a connection is idle before the first keep-alive probe (with SO_KEEPALIVE). */
export const TCP_KEEPIDLE: number = k.TCP_KEEPIDLE!;
/** TCP_KEEPINTVL: seconds between keep-alive probes. */
export const TCP_KEEPINTVL: number = k.TCP_KEEPINTVL!;
/** TCP_KEEPCNT: unanswered keep-alive probes before the connection is dropped. */
export const TCP_KEEPCNT: number = k.TCP_KEEPCNT!;
/** TCP_CORK: hold back partial segments until the option is cleared (or 200 ms pass), to send full ones. */
export const TCP_CORK: number = k.TCP_CORK!;
/** TCP_QUICKACK: acknowledge at once instead of delaying ACKs; not permanent (the kernel may return to delayed ACKs). */
export const TCP_QUICKACK: number = k.TCP_QUICKACK!;
/** `send`/`recv` flag: send or receive urgent (out-of-band) data. */
export const MSG_OOB: number = k.MSG_OOB!;
/** `recv`/`recvfrom` flag: return the data without taking it off the queue. */
export const MSG_PEEK: number = k.MSG_PEEK!;
/** `send`/`recv` flag: this one call does not block, even on a blocking socket (EAGAIN is `null`). */
export const MSG_DONTWAIT: number = k.MSG_DONTWAIT!;
/** `send` flag, always added by `send`/`sendto`: a closed peer is EPIPE, never SIGPIPE. */
export const MSG_NOSIGNAL: number = k.MSG_NOSIGNAL!;
/** `recv` flag: on a blocking socket, wait for the whole length (a signal, an error or the end of stream still return less). */
export const MSG_WAITALL: number = k.MSG_WAITALL!;
/** `recv`/`recvfrom` flag on a datagram socket: return the datagram's real length, even when it is longer than the buffer (the rest is discarded). */
export const MSG_TRUNC: number = k.MSG_TRUNC!;
/** `shutdown` how: stop receiving (same as 'read'). */
export const SHUT_RD: number = k.SHUT_RD!;
/** `shutdown` how: stop sending; the peer reads an end of stream (same as 'write'). */
export const SHUT_WR: number = k.SHUT_WR!;
/** `shutdown` how: stop both directions (same as 'both'). */
export const SHUT_RDWR: number = k.SHUT_RDWR!;
/** The C library's SOMAXCONN, a `listen` backlog; the kernel caps any backlog at /proc/sys/net/core/somaxconn. */
export const SOMAXCONN: number = k.SOMAXCONN!;

const SOCK_NONBLOCK = native.fdConstants.SOCK_NONBLOCK!;
const SOCK_CLOEXEC = native.fdConstants.SOCK_CLOEXEC!;
const EINPROGRESS = k.EINPROGRESS!;
const EINTR = k.EINTR!;
const SUN_PATH = k.OFFSETOF_SUN_PATH!;
const SUN_PATH_MAX = k.SIZEOF_SOCKADDR_UN! - SUN_PATH; // bytes in sun_path, NUL included
const SCOPE_ID = k.OFFSETOF_SIN6_SCOPE_ID!;
const LE = endianness() === 'LE';

/** A socket's address family by name: IPv4, IPv6, or Unix domain (AF_INET, AF_INET6, AF_UNIX). */
export type SocketFamily = 'ipv4' | 'ipv6' | 'unix';
/** A socket's type by name: a byte stream, datagrams, or ordered reliable datagrams (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET). */
export type SocketType = 'stream' | 'dgram' | 'seqpacket';

/** An endpoint: `port` is 0 for Unix sockets; `address` '' for an unnamed one. */
export interface SocketAddress {
  /** An IP literal ('127.0.0.1', '::1', 'fe80::1%2' with a zone index), a Unix path, '\0name' for an abstract Unix name, or '' for an unnamed Unix socket. */
  address: string;
  /** The port, 0-65535; 0 for Unix sockets. */
  port: number;
  /** The address family: 'ipv4', 'ipv6' or 'unix'. */
  family: SocketFamily;
}

/** What `accept` returns: the new connection's fd and its peer. */
export interface AcceptResult extends SocketAddress {
  /** The new connection's fd (non-blocking and close-on-exec unless told otherwise); close it when done. */
  fd: number;
}

/** What `recvfrom` returns: the bytes received and who sent them. */
export interface RecvFromResult extends SocketAddress {
  /** Bytes received into the buffer; with MSG_TRUNC, the datagram's real length (which may exceed what was stored). */
  bytes: number;
}

const FAMILIES: Record<SocketFamily, number> = { ipv4: AF_INET, ipv6: AF_INET6, unix: AF_UNIX };
const TYPES: Record<SocketType, number> = { stream: SOCK_STREAM, dgram: SOCK_DGRAM, seqpacket: SOCK_SEQPACKET };

// Scratch for addresses: calls are synchronous, so one set per thread is enough.
const addrBuf = Buffer.alloc(k.SIZEOF_SOCKADDR_STORAGE!);
const lenOut = new Int32Array(1);
const optOut = new Int32Array(2);

const { EAFNOSUPPORT } = osConstants.errno;

function familyName(af: number): SocketFamily {
  if (af === AF_INET) return 'ipv4';
  if (af === AF_INET6) return 'ipv6';
  if (af === AF_UNIX) return 'unix';
  throw errnoError(EAFNOSUPPORT, 'getsockname');
}

/** The socket's address family (SO_DOMAIN); a failure is reported as `syscall`'s. */
function domainOf(fd: number, syscall: string): number {
  const r = b.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, optOut);
  if (r < 0) throw errnoError(-r, syscall);
  return optOut[0]!;
}

function writeFamily(af: number): void {
  addrBuf.fill(0);
  if (LE) addrBuf.writeUInt16LE(af, 0);
  else addrBuf.writeUInt16BE(af, 0);
}

function validatePort(port: unknown, required: boolean): number {
  if (port === undefined && !required) return 0;
  return validateInt(port, 'port', 0, 65535);
}

/** An interface for an IPv6 zone: a number, or a name looked up in sysfs. */
function scopeId(zone: string, address: string): number {
  if (/^\d+$/.test(zone)) return validateInt(Number(zone), 'scope id', 0, 0xffffffff);
  if (/^[\w.-]+$/.test(zone) && zone !== '.' && zone !== '..') {
    try {
      return Number(readFileSync(`/sys/class/net/${zone}/ifindex`, 'ascii').trim());
    } catch {
      // fall through: no such interface
    }
  }
  throw invalidArgValue('address', address, `names an unknown network interface '${zone}'`);
}

/** The 8 groups of an IPv6 literal (already checked by isIPv6). */
function ipv6Groups(literal: string): number[] {
  let text = literal;
  const tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 tail ('::ffff:1.2.3.4') is the last two groups.
    const at = text.lastIndexOf(':');
    const v4 = text.slice(at + 1).split('.').map(Number);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, at);
    if (text.endsWith(':')) text += ':'; // '::1.2.3.4' keeps its '::'
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap < 0) groups = parse(text);
  else {
    const head = parse(text.slice(0, gap));
    const rest = parse(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(8 - tail.length - head.length - rest.length).fill(0), ...rest];
  }
  return [...groups, ...tail];
}

/**
 * Encode `address`/`port` for a socket of family `af` into addrBuf.
 * @returns the sockaddr length to hand the kernel
 */
function encodeAddress(af: number, address: unknown, port: unknown, portRequired: boolean, syscall: string): number {
  if (af === AF_UNIX) {
    if (port !== undefined) throw invalidArgValue('port', port, 'must be undefined for a Unix socket');
    let bytes: Buffer;
    if (typeof address === 'string') bytes = Buffer.from(address, 'utf8');
    else if (Buffer.isBuffer(address)) bytes = address;
    else throw invalidArgType('address', 'of type string or an instance of Buffer', address);
    const abstract = bytes.length > 0 && bytes[0] === 0;
    if (!abstract && bytes.includes(0)) throw invalidArgValue('address', address, 'must not contain NUL bytes');
    // A path needs its terminating NUL; an abstract name is exactly its bytes.
    if (bytes.length + (abstract ? 0 : 1) > SUN_PATH_MAX) {
      throw invalidArgValue('address', address, `is too long for a Unix socket (at most ${SUN_PATH_MAX - 1} bytes)`);
    }
    writeFamily(AF_UNIX);
    bytes.copy(addrBuf, SUN_PATH);
    // '' is autobind: the family alone, and the kernel picks an abstract name.
    return bytes.length === 0 ? SUN_PATH : SUN_PATH + bytes.length + (abstract ? 0 : 1);
  }
  if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
  if (af === AF_INET) {
    const p = validatePort(port, portRequired);
    if (!isIPv4(address)) {
      throw invalidArgValue('address', address, 'must be an IPv4 address literal for an ipv4 socket (no name resolution)');
    }
    writeFamily(AF_INET);
    addrBuf.writeUInt16BE(p, 2);
    address.split('.').forEach((octet, i) => addrBuf.writeUInt8(Number(octet), 4 + i));
    return k.SIZEOF_SOCKADDR_IN!;
  }
  if (af === AF_INET6) {
    const p = validatePort(port, portRequired);
    const pct = address.indexOf('%');
    const literal = pct < 0 ? address : address.slice(0, pct);
    let groups: number[];
    if (isIPv4(literal) && pct < 0) groups = [0, 0, 0, 0, 0, 0xffff, ...ipv6Groups(`::${literal}`).slice(6)];
    else if (isIPv6(literal)) groups = ipv6Groups(literal);
    else throw invalidArgValue('address', address, 'must be an IPv6 (or IPv4) address literal for an ipv6 socket (no name resolution)');
    const scope = pct < 0 ? 0 : scopeId(address.slice(pct + 1), address);
    writeFamily(AF_INET6);
    addrBuf.writeUInt16BE(p, 2);
    groups.forEach((g, i) => addrBuf.writeUInt16BE(g, 8 + 2 * i));
    if (LE) addrBuf.writeUInt32LE(scope, SCOPE_ID);
    else addrBuf.writeUInt32BE(scope, SCOPE_ID);
    return k.SIZEOF_SOCKADDR_IN6!;
  }
  throw errnoError(EAFNOSUPPORT, syscall);
}

/**
 * IPv6 text as inet_ntop(3) writes it, so addresses read the same as in Node's
 * `net` and Python: lowercase, the first longest run of zero groups (two or
 * more) as '::', and an IPv4 tail for IPv4-mapped ('::ffff:1.2.3.4') and
 * IPv4-compatible ('::1.2.3.4', but '::1' stays) addresses.
 */
function formatIPv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const g = (i: number): number => groups[i]!;
  const hex = (gs: number[]): string => gs.map((x) => x.toString(16)).join(':');
  if (best === 0 && (bestLen === 6 || (bestLen === 7 && g(7) !== 1) || (bestLen === 5 && g(5) === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${g(6) >> 8}.${g(6) & 255}.${g(7) >> 8}.${g(7) & 255}`;
  }
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** Decode the `len` address bytes in addrBuf; an empty one takes `af`'s family. */
function decodeAddress(len: number, af: number): SocketAddress {
  if (len < 2) return { address: '', port: 0, family: familyName(af) };
  const family = LE ? addrBuf.readUInt16LE(0) : addrBuf.readUInt16BE(0);
  if (family === AF_INET) {
    return { address: `${addrBuf[4]}.${addrBuf[5]}.${addrBuf[6]}.${addrBuf[7]}`, port: addrBuf.readUInt16BE(2), family: 'ipv4' };
  }
  if (family === AF_INET6) {
    const groups = Array.from({ length: 8 }, (_, i) => addrBuf.readUInt16BE(8 + 2 * i));
    const scope = LE ? addrBuf.readUInt32LE(SCOPE_ID) : addrBuf.readUInt32BE(SCOPE_ID);
    return { address: formatIPv6(groups) + (scope ? `%${scope}` : ''), port: addrBuf.readUInt16BE(2), family: 'ipv6' };
  }
  if (family === AF_UNIX) {
    const end = Math.min(len, addrBuf.length);
    let address = '';
    if (end > SUN_PATH && addrBuf[SUN_PATH] === 0) address = addrBuf.toString('utf8', SUN_PATH, end); // abstract
    else if (end > SUN_PATH) {
      const nul = addrBuf.indexOf(0, SUN_PATH);
      address = addrBuf.toString('utf8', SUN_PATH, nul < 0 || nul > end ? end : nul);
    }
    return { address, port: 0, family: 'unix' };
  }
  return { address: '', port: 0, family: familyName(family) };
}

function familyNumber(value: unknown): number {
  if (typeof value === 'string') {
    const af = FAMILIES[value as SocketFamily];
    if (af === undefined) throw invalidArgValue('family', value, "must be 'ipv4', 'ipv6', 'unix' or an AF_* number");
    return af;
  }
  return validateInt(value, 'family', 0, 0xffff);
}

function typeNumber(value: unknown): number {
  if (value === undefined) return SOCK_STREAM;
  if (typeof value === 'string') {
    const t = TYPES[value as SocketType];
    if (t === undefined) throw invalidArgValue('type', value, "must be 'stream', 'dgram', 'seqpacket' or a SOCK_* number");
    return t;
  }
  return validateInt(value, 'type', 0, 0x7fffffff);
}

/**
 * Create a socket (socket(2)), non-blocking and close-on-exec unless told otherwise.
 * @param family  'ipv4', 'ipv6', 'unix', or an AF_* number
 * @param type    'stream' (default), 'dgram', 'seqpacket', or a SOCK_* number
 * @param options `{ nonblock, cloexec }`, both true by default
 * @returns the new fd
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown family or type name;
 *   TypeError ERR_INVALID_ARG_TYPE for a family or type that is neither a name nor an
 *   integer, or a bad options object; RangeError ERR_OUT_OF_RANGE for a number outside
 *   its range; SystemError EAFNOSUPPORT, EINVAL, EPROTONOSUPPORT, EMFILE... as the kernel says
 */
export function socket(family: SocketFamily | number, type: SocketType | number = 'stream', options?: FdOptions): number {
  const af = familyNumber(family);
  const t = typeNumber(type);
  const [nonblock, cloexec] = fdFlags(options);
  return check(b.socket(af, t | (nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0), 0), 'socket');
}

/**
 * Bind `fd` to a local address (bind(2)). Port 0 (the default) lets the kernel
 * pick one: `localAddress(fd).port` tells which.
 * @param address an IP literal for ipv4/ipv6 sockets, a path for Unix ones (see the module doc)
 * @param port    0-65535 for ipv4/ipv6; must be omitted for Unix sockets
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, or an address
 *   that is not a string (or Buffer, for Unix); TypeError ERR_INVALID_ARG_VALUE for an
 *   address the socket's family cannot take (not a literal, an unknown IPv6 zone, a Unix
 *   path too long or with NUL bytes, a port given for a Unix socket);
 *   RangeError ERR_OUT_OF_RANGE for a negative fd or a port outside 0-65535;
 *   SystemError EADDRINUSE, EACCES, EADDRNOTAVAIL, EBADF, ENOTSOCK, EINVAL (already bound),
 *   EAFNOSUPPORT (a family other than ipv4/ipv6/unix)...
 */
export function bind(fd: FdLike, address: string | Buffer, port?: number): void {
  const n = toFd(fd);
  const len = encodeAddress(domainOf(n, 'bind'), address, port, false, 'bind');
  check(b.bind(n, addrBuf, len), 'bind');
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
  check(b.listen(n, q), 'listen');
}

/**
 * Accept a connection (accept4(2)); the new fd is non-blocking and
 * close-on-exec unless told otherwise.
 * @returns the new fd with the peer's address, or `null` if none is pending (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike or a bad
 *   options object; RangeError ERR_OUT_OF_RANGE for a negative fd; SystemError EMFILE
 *   (out of fds: the connection stays queued), EINVAL (not listening), EBADF, ENOTSOCK,
 *   ECONNABORTED...; EAFNOSUPPORT for a peer family other than ipv4/ipv6/unix (the new
 *   fd is closed)
 */
export function accept(fd: FdLike, options?: FdOptions): AcceptResult | null {
  const n = toFd(fd);
  const [nonblock, cloexec] = fdFlags(options);
  const flags = (nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0);
  const conn = checkAgain(b.accept4(n, flags, addrBuf, lenOut), 'accept4');
  if (conn === null) return null;
  let peer: SocketAddress;
  try {
    // Only an unnamed Unix peer comes back with no address bytes: its family is unix.
    peer = decodeAddress(lenOut[0]!, AF_UNIX);
  } catch (err) {
    b.close(conn); // a family we cannot describe (not IP nor Unix): do not leak the fd
    throw err;
  }
  return { fd: conn, address: peer.address, port: peer.port, family: peer.family };
}

/**
 * Start connecting `fd` (connect(2)); on a non-blocking socket this does not wait.
 * @param address an IP literal for ipv4/ipv6 sockets, a path for Unix ones (see the module doc)
 * @param port    0-65535, required for ipv4/ipv6; must be omitted for Unix sockets
 * @returns true if connected at once (Unix sockets, often loopback), false if the
 *   connection is in progress: wait for EPOLLOUT, then `getsockopt(fd, SOL_SOCKET,
 *   SO_ERROR)` is 0 on success or the errno that failed it (ECONNREFUSED...)
 * @throws TypeError/RangeError for a bad fd, address or port, as `bind` (and
 *   TypeError ERR_INVALID_ARG_TYPE for a missing port on an ipv4/ipv6 socket);
 *   SystemError ECONNREFUSED, ENOENT (no such Unix path), EAGAIN (a Unix listener's
 *   queue is full: nothing was started), ENETUNREACH, EISCONN, EALREADY, EBADF...
 */
export function connect(fd: FdLike, address: string | Buffer, port?: number): boolean {
  const n = toFd(fd);
  const len = encodeAddress(domainOf(n, 'connect'), address, port, true, 'connect');
  const r = b.connect(n, addrBuf, len);
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
  return checkAgain(b.recv(n, buf, off, len, f), 'recv');
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
  return checkAgain(b.send(n, buf, off, len, f | MSG_NOSIGNAL), 'send');
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
 *   family is not ipv4/ipv6/unix
 */
export function recvfrom(fd: FdLike, buf: ArrayBufferView, offset?: number, length?: number, flags = 0): RecvFromResult | null {
  const n = toFd(fd);
  const [off, len] = validateRange(buf, offset, length);
  const f = validateInt(flags, 'flags', 0, 0x7fffffff);
  const bytes = checkAgain(b.recvfrom(n, buf, off, len, f, addrBuf, lenOut), 'recvfrom');
  if (bytes === null) return null;
  const from = decodeAddress(lenOut[0]!, lenOut[0]! < 2 ? domainOf(n, 'recvfrom') : AF_UNIX);
  return { bytes, address: from.address, port: from.port, family: from.family };
}

/**
 * Send a datagram to `address`/`port` (sendto(2)), with MSG_NOSIGNAL always.
 * The argument order is (fd, buf, where, then the optional range and flags):
 * `sendto(fd, buf, '127.0.0.1', 9999)`, `sendto(fd, buf, '/tmp/sock')`,
 * `sendto(fd, buf, '::1', 53, 0, 12, MSG_DONTWAIT)`.
 * @param address an IP literal for ipv4/ipv6 sockets, a path for Unix ones (see the module doc)
 * @param port    required for ipv4/ipv6, must be undefined for Unix sockets
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
  return checkAgain(b.sendto(n, buf, off, len, f | MSG_NOSIGNAL, addrBuf, alen), 'sendto');
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
    const v = HOW[how];
    if (v === undefined) throw invalidArgValue('how', how, "must be 'read', 'write', 'both' or a SHUT_* number");
    h = v;
  } else h = validateInt(how, 'how', 0, 2);
  check(b.shutdown(n, h), 'shutdown');
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
    check(b.setsockopt(n, lvl, opt, optOut), 'setsockopt');
    return;
  }
  setOne[0] = v;
  check(b.setsockopt(n, lvl, opt, setOne), 'setsockopt');
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
  check(b.getsockopt(n, lvl, opt, optOut), 'getsockopt');
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
  check(b.getsockname(n, addrBuf, lenOut), 'getsockname');
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
  check(b.getpeername(n, addrBuf, lenOut), 'getpeername');
  return decodeAddress(lenOut[0]!, AF_UNIX);
}
