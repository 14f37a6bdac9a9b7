/**
 * The sockaddr codec: IP literals and Unix paths to and from the bytes the
 * kernel takes (sockaddr_in, sockaddr_in6, sockaddr_un), in one scratch buffer
 * per thread, as every call that uses it is synchronous.
 *
 * Addresses are IP literals or Unix paths, never host names: no resolver runs
 * on the calling thread.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { constants as osConstants } from 'node:os';
import { readFileSync } from 'node:fs';
import { native } from '../../internal/binding';
import { readU16, readU32, writeU16, writeU32 } from '../../internal/bytes';
import { errnoError, invalidArgType, invalidArgValue } from '../../internal/errors';
import { lookupName, validateInt } from '../../internal/validate';
import { AF_INET, AF_INET6, AF_UNIX } from '../fd';

const k = native.socketConstants;
const SUN_PATH = k.OFFSETOF_SUN_PATH!;
const SUN_PATH_MAX = k.SIZEOF_SOCKADDR_UN! - SUN_PATH; // bytes in sun_path, NUL included
const SCOPE_ID = k.OFFSETOF_SIN6_SCOPE_ID!;

/**
 * A socket's address family as Node's `net` writes it (`socket.address().family`):
 * 'IPv4', 'IPv6', or 'unix' (AF_INET, AF_INET6, AF_UNIX). Every address this
 * module returns carries one of these.
 */
export type SocketFamily = 'IPv4' | 'IPv6' | 'unix';
/**
 * What `socket()` takes as a family: a name, 'IPv4', 'IPv6' or 'unix', in any
 * case (so 'ipv4' and 'ipv6', the names ioready used first, still work, as
 * Node's `net.SocketAddress` takes them); 4 or 6, as Node's `net.connect({ family })`
 * and `dns.lookup` number them; or an AF_* number (AF_INET, AF_INET6, AF_UNIX...).
 * 4 and 6 are Node's numbers, not AF_IPX and AF_NETROM.
 */
export type SocketFamilyInput = SocketFamily | 'ipv4' | 'ipv6' | number;
/** A socket's type by name: a byte stream, datagrams, or ordered reliable datagrams (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET). */
export type SocketType = 'stream' | 'dgram' | 'seqpacket';

/** An endpoint: `port` is 0 for Unix sockets; `address` '' for an unnamed one. */
export interface SocketAddress {
  /** An IP literal ('127.0.0.1', '::1', 'fe80::1%2' with a zone index), a Unix path, '\0name' for an abstract Unix name, or '' for an unnamed Unix socket. */
  address: string;
  /** The port, 0-65535; 0 for Unix sockets. */
  port: number;
  /** The address family, as Node's `net` writes it: 'IPv4', 'IPv6' or 'unix'. */
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

/** Family names, lowercased (names are taken in any case). */
const FAMILIES: Record<string, number> = { ipv4: AF_INET, ipv6: AF_INET6, unix: AF_UNIX };

/** Scratch for one sockaddr: the calls that use it are synchronous, so one per thread is enough. */
export const addrBuf = Buffer.alloc(k.SIZEOF_SOCKADDR_STORAGE!);

const { EAFNOSUPPORT } = osConstants.errno;

function familyName(af: number): SocketFamily {
  if (af === AF_INET) return 'IPv4';
  if (af === AF_INET6) return 'IPv6';
  if (af === AF_UNIX) return 'unix';
  throw errnoError(EAFNOSUPPORT, 'getsockname');
}

function writeFamily(af: number): void {
  addrBuf.fill(0);
  writeU16(addrBuf, af, 0);
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
export function encodeAddress(af: number, address: unknown, port: unknown, portRequired: boolean, syscall: string): number {
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
      throw invalidArgValue('address', address, 'must be an IPv4 address literal for an IPv4 socket (no name resolution)');
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
    else throw invalidArgValue('address', address, 'must be an IPv6 (or IPv4) address literal for an IPv6 socket (no name resolution)');
    const scope = pct < 0 ? 0 : scopeId(address.slice(pct + 1), address);
    writeFamily(AF_INET6);
    addrBuf.writeUInt16BE(p, 2);
    groups.forEach((g, i) => addrBuf.writeUInt16BE(g, 8 + 2 * i));
    writeU32(addrBuf, scope, SCOPE_ID);
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

// The last IPv4 address decoded, as text: a server's clients mostly come from
// a few hosts, and each accept() then makes no new string (about 160 bytes
// of garbage less per connection).
let lastV4 = -1;
let lastV4Text = '';

/** An IPv4 address (as a big-endian u32) in dotted form. */
function ipv4Text(ip: number): string {
  if (ip !== lastV4) {
    lastV4Text = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    lastV4 = ip;
  }
  return lastV4Text;
}

/** Decode the `len` address bytes in addrBuf; an empty one takes `af`'s family. */
export function decodeAddress(len: number, af: number): SocketAddress {
  if (len < 2) return { address: '', port: 0, family: familyName(af) };
  const family = readU16(addrBuf, 0);
  if (family === AF_INET) {
    return { address: ipv4Text(addrBuf.readUInt32BE(4)), port: addrBuf.readUInt16BE(2), family: 'IPv4' };
  }
  if (family === AF_INET6) {
    const groups = Array.from({ length: 8 }, (_, i) => addrBuf.readUInt16BE(8 + 2 * i));
    const scope = readU32(addrBuf, SCOPE_ID);
    return { address: formatIPv6(groups) + (scope ? `%${scope}` : ''), port: addrBuf.readUInt16BE(2), family: 'IPv6' };
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

/**
 * accept()'s result: `fd` and the peer address in addrBuf (`len` bytes; an
 * empty one takes `af`'s family). One object per connection, and for IPv4
 * no other garbage: an idle server's memory grows with what accept() leaves.
 */
export function acceptResult(fd: number, len: number, af: number): AcceptResult {
  if (len >= 8 && readU16(addrBuf, 0) === AF_INET) {
    return { fd, address: ipv4Text(addrBuf.readUInt32BE(4)), port: addrBuf.readUInt16BE(2), family: 'IPv4' };
  }
  const peer = decodeAddress(len, af);
  return { fd, address: peer.address, port: peer.port, family: peer.family };
}

/**
 * The AF_* number of a family as `socket()` takes it (see SocketFamilyInput).
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown name; TypeError
 *   ERR_INVALID_ARG_TYPE for a value that is neither a string nor an integer;
 *   RangeError ERR_OUT_OF_RANGE for a number outside 0-65535
 */
export function familyNumber(value: unknown): number {
  if (typeof value === 'string') {
    const af = lookupName(FAMILIES, value.toLowerCase());
    if (af === undefined) throw invalidArgValue('family', value, "must be 'IPv4', 'IPv6', 'unix' (in any case), 4, 6 or an AF_* number");
    return af;
  }
  const n = validateInt(value, 'family', 0, 0xffff);
  // Node's numbers (net.connect({ family: 4 })), taken before AF_IPX (4) and AF_NETROM (6).
  if (n === 4) return AF_INET;
  if (n === 6) return AF_INET6;
  return n;
}
