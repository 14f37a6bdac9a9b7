/**
 * inotify(7): file-system events on an fd. `inotifyRead` parses every event
 * a read returns into `{ wd, mask, cookie, name }`; names are file names as
 * bytes (Linux has no encoding), given as UTF-8 text plus the raw bytes.
 */
import { endianness } from 'node:os';
import { check, invalidArgType, invalidArgValue } from './errors';
import { maskNames, nameTable } from './bitnames';
import { fdFlags, read, type FdOptions } from './fd';
import { raw } from './native';
import { type FdLike, toFd, validateInt, validateMask } from './validate';

interface InotifyBinding {
  fdkindConstants: Record<string, number>;
  inotifyInit1(flags: number): number;
  inotifyAddWatch(fd: number, path: Buffer, mask: number): number;
  inotifyRmWatch(fd: number, wd: number): number;
}

const b = raw as InotifyBinding;
const k = b.fdkindConstants;

// Events (watch masks and reported masks).
export const IN_ACCESS: number = k.IN_ACCESS!;
export const IN_MODIFY: number = k.IN_MODIFY!;
export const IN_ATTRIB: number = k.IN_ATTRIB!;
export const IN_CLOSE_WRITE: number = k.IN_CLOSE_WRITE!;
export const IN_CLOSE_NOWRITE: number = k.IN_CLOSE_NOWRITE!;
export const IN_OPEN: number = k.IN_OPEN!;
export const IN_MOVED_FROM: number = k.IN_MOVED_FROM!;
export const IN_MOVED_TO: number = k.IN_MOVED_TO!;
export const IN_CREATE: number = k.IN_CREATE!;
export const IN_DELETE: number = k.IN_DELETE!;
export const IN_DELETE_SELF: number = k.IN_DELETE_SELF!;
export const IN_MOVE_SELF: number = k.IN_MOVE_SELF!;
/** IN_CLOSE_WRITE | IN_CLOSE_NOWRITE */
export const IN_CLOSE: number = k.IN_CLOSE!;
/** IN_MOVED_FROM | IN_MOVED_TO */
export const IN_MOVE: number = k.IN_MOVE!;
/** Every event above. */
export const IN_ALL_EVENTS: number = k.IN_ALL_EVENTS!;
// Reported only.
export const IN_UNMOUNT: number = k.IN_UNMOUNT!;
export const IN_Q_OVERFLOW: number = k.IN_Q_OVERFLOW!;
export const IN_IGNORED: number = k.IN_IGNORED!;
export const IN_ISDIR: number = k.IN_ISDIR!;
// Watch options.
export const IN_ONLYDIR: number = k.IN_ONLYDIR!;
export const IN_DONT_FOLLOW: number = k.IN_DONT_FOLLOW!;
export const IN_EXCL_UNLINK: number = k.IN_EXCL_UNLINK!;
export const IN_MASK_CREATE: number = k.IN_MASK_CREATE!;
export const IN_MASK_ADD: number = k.IN_MASK_ADD!;
/** Bit 31, as an unsigned value. */
export const IN_ONESHOT: number = k.IN_ONESHOT!;

const IN_NONBLOCK = k.IN_NONBLOCK!;
const IN_CLOEXEC = k.IN_CLOEXEC!;
const HEADER = k.SIZEOF_INOTIFY_EVENT!; // int wd; u32 mask, cookie, len
/** A buffer this big always holds at least one event (header + longest name + NUL). */
export const INOTIFY_MIN_BUFFER: number = HEADER + k.NAME_MAX! + 1;

const LE = endianness() === 'LE';
const scratch = Buffer.alloc(64 * 1024);

const TABLE = nameTable(k, ['IN_ACCESS', 'IN_MODIFY', 'IN_ATTRIB', 'IN_CLOSE_WRITE', 'IN_CLOSE_NOWRITE', 'IN_OPEN',
  'IN_MOVED_FROM', 'IN_MOVED_TO', 'IN_CREATE', 'IN_DELETE', 'IN_DELETE_SELF', 'IN_MOVE_SELF', 'IN_UNMOUNT',
  'IN_Q_OVERFLOW', 'IN_IGNORED', 'IN_ONLYDIR', 'IN_DONT_FOLLOW', 'IN_EXCL_UNLINK', 'IN_MASK_CREATE', 'IN_MASK_ADD',
  'IN_ISDIR', 'IN_ONESHOT']);

/** One inotify event. */
export interface InotifyEvent {
  /** The watch it belongs to (from `inotifyAddWatch`); -1 with IN_Q_OVERFLOW. */
  wd: number;
  /** IN_* bits (unsigned). */
  mask: number;
  /** Pairs an IN_MOVED_FROM with its IN_MOVED_TO (same non-zero value); 0 otherwise. */
  cookie: number;
  /** The entry's name inside a watched directory (UTF-8 decoded), '' for the watched object itself. */
  name: string;
  /** The name's raw bytes, when there is a name (names need not be valid UTF-8). */
  nameBuffer?: Buffer;
}

/**
 * Create an inotify instance (inotify_init1), non-blocking and close-on-exec unless told otherwise.
 * @returns the new fd (readable when events are queued)
 * @throws SystemError EMFILE (also: too many inotify instances for this user)...
 */
export function inotifyInit(options?: FdOptions): number {
  const [nonblock, cloexec] = fdFlags(options);
  return check(b.inotifyInit1((nonblock ? IN_NONBLOCK : 0) | (cloexec ? IN_CLOEXEC : 0)), 'inotify_init1');
}

/**
 * Watch `path` for the events in `mask` (inotify_add_watch). Watching a path
 * already watched by this fd returns the same wd and replaces its mask
 * (or adds to it, with IN_MASK_ADD).
 * @param path a path string, or a Buffer of raw bytes (for names that are not UTF-8)
 * @returns the watch descriptor (wd) that events carry
 * @throws TypeError for a path with NUL bytes or a bad mask; SystemError ENOENT,
 *   EACCES, ENOTDIR (IN_ONLYDIR), EEXIST (IN_MASK_CREATE), EINVAL (mask has no
 *   event), ENOSPC (the user's watch limit), EBADF...
 */
export function inotifyAddWatch(fd: FdLike, path: string | Buffer, mask: number): number {
  const n = toFd(fd);
  let bytes: Buffer;
  if (typeof path === 'string') bytes = Buffer.from(path, 'utf8');
  else if (Buffer.isBuffer(path)) bytes = path;
  else throw invalidArgType('path', 'of type string or an instance of Buffer', path);
  if (bytes.includes(0)) throw invalidArgValue('path', path, 'must not contain NUL bytes');
  const m = validateMask(mask, 'mask');
  const cpath = Buffer.alloc(bytes.length + 1); // NUL-terminated for the kernel
  bytes.copy(cpath);
  return check(b.inotifyAddWatch(n, cpath, m), 'inotify_add_watch');
}

/**
 * Stop a watch (inotify_rm_watch); an IN_IGNORED event for `wd` follows.
 * @throws SystemError EINVAL (no such wd on this fd), EBADF...
 */
export function inotifyRmWatch(fd: FdLike, wd: number): void {
  const n = toFd(fd);
  const w = validateInt(wd, 'wd', 0, 0x7fffffff);
  check(b.inotifyRmWatch(n, w), 'inotify_rm_watch');
}

/**
 * Read and parse every queued event that fits in the buffer (one read(2)).
 * @param buf where to read; default an internal 64 KiB buffer. Give at least
 *   INOTIFY_MIN_BUFFER bytes, or the kernel may say EINVAL for a long name.
 * @returns the events, or `null` if none are queued (EAGAIN)
 * @throws SystemError EINVAL (buffer too small for the next event), EBADF...
 */
export function inotifyRead(fd: FdLike, buf?: Uint8Array): InotifyEvent[] | null {
  let view: Buffer = scratch;
  if (buf !== undefined) {
    if (!(buf instanceof Uint8Array)) throw invalidArgType('buf', 'an instance of Buffer or Uint8Array', buf);
    view = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const n = read(fd, view);
  if (n === null) return null;
  const events: InotifyEvent[] = [];
  for (let at = 0; at + HEADER <= n; ) {
    const wd = LE ? view.readInt32LE(at) : view.readInt32BE(at);
    const mask = LE ? view.readUInt32LE(at + 4) : view.readUInt32BE(at + 4);
    const cookie = LE ? view.readUInt32LE(at + 8) : view.readUInt32BE(at + 8);
    const len = LE ? view.readUInt32LE(at + 12) : view.readUInt32BE(at + 12);
    const start = at + HEADER;
    const end = Math.min(start + len, n);
    const nul = view.indexOf(0, start);
    const stop = nul < 0 || nul > end ? end : nul; // the name is NUL-padded to `len`
    const event: InotifyEvent = { wd, mask, cookie, name: view.toString('utf8', start, stop) };
    if (stop > start) event.nameBuffer = Buffer.from(view.subarray(start, stop));
    events.push(event);
    at = start + len;
  }
  return events;
}

/**
 * Names of the IN_* bits set in `mask`, lowest bit first:
 * `inotifyEventNames(IN_CREATE | IN_ISDIR)` is `['IN_CREATE', 'IN_ISDIR']`.
 * Combined names (IN_CLOSE, IN_MOVE, IN_ALL_EVENTS) are never used; a bit with
 * no name comes back in hex ('0x800000'). Never throws for an unknown bit.
 * @throws TypeError ERR_INVALID_ARG_TYPE if mask is not an integer
 */
export function inotifyEventNames(mask: number): string[] {
  if (typeof mask !== 'number' || !Number.isInteger(mask)) throw invalidArgType('mask', 'an integer', mask);
  return maskNames(mask, TABLE);
}
