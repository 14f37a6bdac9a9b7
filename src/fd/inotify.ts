/**
 * inotify(7): file-system events on an fd. `inotifyRead` parses every event
 * a read returns into `{ wd, mask, cookie, name }`; names are file names as
 * bytes (Linux has no encoding), given as UTF-8 text plus the raw bytes.
 */
import { check, invalidArgType, invalidArgValue } from '../internal/errors';
import { maskNames, nameTable } from '../internal/names';
import { fdFlags, read, type FdOptions } from './fd';
import { native } from '../internal/binding';
import { readI32, readU32 } from '../internal/bytes';
import { type FdLike, toFd, validateInt, validateMask } from '../internal/validate';

const k = native.fdkindConstants;

// Events (watch masks and reported masks).
/** IN_ACCESS: a file was read (read(2), execve(2)...). */
export const IN_ACCESS: number = k.IN_ACCESS!;
/** IN_MODIFY: a file was written (write(2), truncate(2)...). */
export const IN_MODIFY: number = k.IN_MODIFY!;
/** IN_ATTRIB: metadata changed: permissions, timestamps, extended attributes, link count, owner. */
export const IN_ATTRIB: number = k.IN_ATTRIB!;
/** IN_CLOSE_WRITE: a file opened for writing was closed. */
export const IN_CLOSE_WRITE: number = k.IN_CLOSE_WRITE!;
/** IN_CLOSE_NOWRITE: a file or directory not opened for writing was closed. */
export const IN_CLOSE_NOWRITE: number = k.IN_CLOSE_NOWRITE!;
/** IN_OPEN: a file or directory was opened. */
export const IN_OPEN: number = k.IN_OPEN!;
/** IN_MOVED_FROM: an entry was renamed out of a watched directory (its old name; `cookie` pairs it with the IN_MOVED_TO). */
export const IN_MOVED_FROM: number = k.IN_MOVED_FROM!;
/** IN_MOVED_TO: an entry was renamed into a watched directory (its new name; `cookie` pairs it with the IN_MOVED_FROM). */
export const IN_MOVED_TO: number = k.IN_MOVED_TO!;
/** IN_CREATE: an entry was created in a watched directory. */
export const IN_CREATE: number = k.IN_CREATE!;
/** IN_DELETE: an entry was deleted from a watched directory. */
export const IN_DELETE: number = k.IN_DELETE!;
/** IN_DELETE_SELF: the watched file or directory itself was deleted (an IN_IGNORED follows). */
export const IN_DELETE_SELF: number = k.IN_DELETE_SELF!;
/** IN_MOVE_SELF: the watched file or directory itself was moved. */
export const IN_MOVE_SELF: number = k.IN_MOVE_SELF!;
/** IN_CLOSE_WRITE | IN_CLOSE_NOWRITE: any close (for watch masks; events report one of the two). */
export const IN_CLOSE: number = k.IN_CLOSE!;
/** IN_MOVED_FROM | IN_MOVED_TO: either side of a rename (for watch masks; events report one of the two). */
export const IN_MOVE: number = k.IN_MOVE!;
/** Every event above, IN_ACCESS to IN_MOVE_SELF: a watch mask for all of them. */
export const IN_ALL_EVENTS: number = k.IN_ALL_EVENTS!;
// Reported only.
/** IN_UNMOUNT (reported only): the file system holding the watched object was unmounted (an IN_IGNORED follows). */
export const IN_UNMOUNT: number = k.IN_UNMOUNT!;
/** IN_Q_OVERFLOW (reported only, with wd -1): the event queue overflowed and events were lost. */
export const IN_Q_OVERFLOW: number = k.IN_Q_OVERFLOW!;
/** IN_IGNORED (reported only): the watch is gone: removed by `inotifyRmWatch`, or its object deleted or unmounted. */
export const IN_IGNORED: number = k.IN_IGNORED!;
/** IN_ISDIR (reported only): the subject of this event is a directory. */
export const IN_ISDIR: number = k.IN_ISDIR!;
// Watch options.
/** IN_ONLYDIR (watch option): watch the path only if it is a directory (ENOTDIR otherwise). */
export const IN_ONLYDIR: number = k.IN_ONLYDIR!;
/** IN_DONT_FOLLOW (watch option): do not follow the path if it is a symbolic link: watch the link itself. */
export const IN_DONT_FOLLOW: number = k.IN_DONT_FOLLOW!;
/** IN_EXCL_UNLINK (watch option): no more events for a child once it is unlinked from the watched directory. */
export const IN_EXCL_UNLINK: number = k.IN_EXCL_UNLINK!;
/** IN_MASK_CREATE (watch option): watch the path only if this fd does not watch it yet (EEXIST otherwise). */
export const IN_MASK_CREATE: number = k.IN_MASK_CREATE!;
/** IN_MASK_ADD (watch option): add the events to an existing watch's mask instead of replacing it. */
export const IN_MASK_ADD: number = k.IN_MASK_ADD!;
/** IN_ONESHOT (watch option): remove the watch after its first event (an IN_IGNORED follows). Bit 31, as an unsigned value. */
export const IN_ONESHOT: number = k.IN_ONESHOT!;

const IN_NONBLOCK = k.IN_NONBLOCK!;
const IN_CLOEXEC = k.IN_CLOEXEC!;
const HEADER = k.SIZEOF_INOTIFY_EVENT!; // int wd; u32 mask, cookie, len
/** The least buffer size for `inotifyRead` that always holds at least one event (header + longest name + NUL). */
export const INOTIFY_MIN_BUFFER: number = HEADER + k.NAME_MAX! + 1;

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
 * @param options `{ nonblock, cloexec }`, both true by default
 * @returns the new fd (readable when events are queued)
 * @throws TypeError ERR_INVALID_ARG_TYPE for a bad options object; SystemError EMFILE
 *   (also: too many inotify instances for this user), ENFILE, ENOMEM...
 */
export function inotifyInit(options?: FdOptions): number {
  const [nonblock, cloexec] = fdFlags(options);
  return check(native.inotifyInit1((nonblock ? IN_NONBLOCK : 0) | (cloexec ? IN_CLOEXEC : 0)), 'inotify_init1');
}

/**
 * Watch `path` for the events in `mask` (inotify_add_watch). Watching a path
 * already watched by this fd returns the same wd and replaces its mask
 * (or adds to it, with IN_MASK_ADD).
 * @param path a path string, or a Buffer of raw bytes (for names that are not UTF-8)
 * @param mask IN_* events and watch options
 * @returns the watch descriptor (wd) that events carry
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, a path that is
 *   not a string or Buffer, or a mask that is not an integer; TypeError
 *   ERR_INVALID_ARG_VALUE for a path with NUL bytes; RangeError ERR_OUT_OF_RANGE for a
 *   negative fd or a mask outside 32 bits; SystemError ENOENT, EACCES, ENOTDIR
 *   (IN_ONLYDIR), EEXIST (IN_MASK_CREATE), EINVAL (mask has no event, or fd is not
 *   an inotify fd), ENOSPC (the user's watch limit), EBADF...
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
  return check(native.inotifyAddWatch(n, cpath, m), 'inotify_add_watch');
}

/**
 * Stop a watch (inotify_rm_watch); an IN_IGNORED event for `wd` follows.
 * @param wd a watch descriptor from `inotifyAddWatch`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike or a wd that
 *   is not an integer; RangeError ERR_OUT_OF_RANGE for a negative fd or wd;
 *   SystemError EINVAL (no such wd on this fd, or not an inotify fd), EBADF...
 */
export function inotifyRmWatch(fd: FdLike, wd: number): void {
  const n = toFd(fd);
  const w = validateInt(wd, 'wd', 0, 0x7fffffff);
  check(native.inotifyRmWatch(n, w), 'inotify_rm_watch');
}

/**
 * Read and parse every queued event that fits in the buffer (one read(2)).
 * @param buf where to read; default an internal 64 KiB buffer. Give at least
 *   INOTIFY_MIN_BUFFER bytes, or the kernel may say EINVAL for a long name.
 * @returns the events, or `null` if none are queued (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for a buf that is not a Uint8Array (or
 *   Buffer) or an fd that is not an FdLike; RangeError ERR_OUT_OF_RANGE for a
 *   negative fd; SystemError EINVAL (buffer too small for the next event), EBADF...
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
    const wd = readI32(view, at);
    const mask = readU32(view, at + 4);
    const cookie = readU32(view, at + 8);
    const len = readU32(view, at + 12);
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
