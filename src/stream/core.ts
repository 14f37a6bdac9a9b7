/**
 * The part every fd stream shares: one fd, its readiness (./reactor.ts), the
 * read loop and the write loop. The stream classes (read.ts, write.ts,
 * duplex.ts) are thin node:stream faces that call in here.
 *
 * Reading: `_read()` reads until push() says stop or the kernel says EAGAIN;
 * on EAGAIN the core waits for the next EPOLLIN edge, on push() false it just
 * stops (the edge, if one comes, is noted; nothing is read until `_read()`
 * asks again), so the kernel's buffer fills and the writer blocks: no
 * unbounded buffering. The first read waits for readiness: a FIFO that no
 * writer has opened yet reads as end of file, and epoll reports nothing until
 * a writer comes (Python's asyncio waits the same way).
 *
 * Writing: `_write()`/`_writev()` write (writev for queued chunks) until done
 * or EAGAIN, then wait for the next EPOLLOUT edge with the rest.
 */
import { constants as osConstants } from 'node:os';
import { isatty } from 'node:tty';

import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP } from '../readiness/constants';
import { close as closeFd } from '../fd/fd';
import { native } from '../internal/binding';
import { errnoError } from '../internal/errors';
import { toFd, validateBool, validateInt, validateOptions } from '../internal/validate';
import { hold, unwatch, watch, type Watcher } from './reactor';

const { EAGAIN, EIO, ENOTSOCK, ENOTCONN } = osConstants.errno;
const { F_GETFL, F_SETFL, O_NONBLOCK } = native.fdConstants as Record<string, number>;
const SHUT_WR = native.socketConstants.SHUT_WR!;
// Bound once: the hot loops skip the property load.
const { read: nativeRead, write: nativeWrite, writev: nativeWritev } = native;

/** Default buffering: 64 KiB, as fs streams read (and a Linux pipe holds). */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
/** The largest read() one step makes, whatever the highWaterMark (no GiB buffers per read). */
const MAX_READ = 1024 * 1024;
/** The largest recordSize (a record must fit a read). */
export const MAX_RECORD_SIZE = MAX_READ;

/** The directions a core serves. */
export const READ = 1;
export const WRITE = 2;

/** Options every stream takes (CONTRACT.md "Streams"). */
export interface FdStreamOptions {
  /**
   * Bytes buffered before the stream pushes back (node:stream's highWaterMark); also the
   * size of one read(). Default 64 KiB.
   */
  highWaterMark?: number;
  /**
   * Close the fd when the stream is destroyed, ends or fails (as fs streams). Default
   * true. With false the fd stays open, and gets its O_NONBLOCK flag back as it was.
   */
  autoClose?: boolean;
}

/** What the core needs of the stream that owns it. */
export interface Owner {
  /** A Readable's (the core reads only for an owner that has it). */
  push?(chunk: Buffer | null): boolean;
  destroy(err?: Error): unknown;
  readonly destroyed: boolean;
}

/** The validated options. */
export interface CoreOptions {
  fd: number;
  highWaterMark: number;
  recordSize: number;
  autoClose: boolean;
}

/** Validate (fd, options) for one of the create functions; throws before any system call. */
export function coreOptions(fdLike: unknown, options: unknown, records: boolean): CoreOptions {
  const fd = toFd(fdLike);
  const o = validateOptions<FdStreamOptions & { recordSize?: number }>(options);
  const highWaterMark =
    o.highWaterMark === undefined ? DEFAULT_HIGH_WATER_MARK : validateInt(o.highWaterMark, 'options.highWaterMark', 1, 0x3fffffff);
  let recordSize = 1;
  if (records && o.recordSize !== undefined) recordSize = validateInt(o.recordSize, 'options.recordSize', 1, MAX_RECORD_SIZE);
  const autoClose = validateBool(o.autoClose, 'options.autoClose', true);
  return { fd, highWaterMark, recordSize, autoClose };
}

/** An fd stream's whole-record rule broken at end of file. */
export function partialRecordError(bytes: number, recordSize: number): Error & { code: string; bytes: number; recordSize: number } {
  const err = new Error(`end of file after ${bytes} byte(s) of a ${recordSize}-byte record`) as Error & {
    code: string;
    bytes: number;
    recordSize: number;
  };
  err.code = 'ERR_IOREADY_PARTIAL_RECORD';
  err.bytes = bytes;
  err.recordSize = recordSize;
  return err;
}

// One spare read buffer per thread: a read() that returned little is copied out to a
// buffer of its size and the big one serves the next read (of any stream), so an idle
// stream holds no buffer and a small read pins no 64 KiB.
let spare: Buffer | null = null;

function takeBuffer(size: number): Buffer {
  const s = spare;
  if (s !== null && s.length === size) {
    spare = null;
    return s;
  }
  return Buffer.allocUnsafeSlow(size);
}

/** The first n bytes of buf as a chunk: buf itself when it is mostly full, a copy otherwise. */
function cut(buf: Buffer, n: number): Buffer {
  if (2 * n >= buf.length) return n === buf.length ? buf : buf.subarray(0, n);
  const out = Buffer.allocUnsafe(n);
  buf.copy(out, 0, 0, n);
  spare = buf;
  return out;
}

const READ_EVENTS = EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
const WRITE_EVENTS = EPOLLOUT | EPOLLHUP | EPOLLERR;

/** @internal One fd and its read and/or write loop. */
export class FdCore implements Watcher {
  /** The fd, or -1 once released. */
  fd: number;
  readonly #owner: Owner;
  readonly #dirs: number;
  readonly #autoClose: boolean;
  /** F_GETFL as found, to give back when autoClose is false (-1: nothing to restore). */
  readonly #flags: number;
  readonly #isTty: boolean;
  /** Registered with the reactor (false: a file epoll calls always ready). */
  readonly #registered: boolean;
  readonly #readSize: number;
  readonly #recordSize: number;
  /** The start of a record split by the writer, waiting for its rest. */
  #carry: Buffer | null = null;
  /** The kernel said readable (or hung up) since the last EAGAIN. */
  #canRead: boolean;
  /** A hang-up was reported: EAGAIN after it is end of file. */
  #hangup = false;
  /** The stream asked for data (_read) and has not been told to stop. */
  #wantRead = false;
  /** EOF or an error was reached on the read side. */
  #readDone = false;
  #canWrite = true;
  /** The chunks of the write in progress; null when none is. */
  #pending: Buffer[] | null = null;
  #pendingOff = 0;
  #pendingCb: ((err?: Error | null) => void) | null = null;
  #refd = true;
  /** Counted in the reactor's holds. */
  #holding = false;

  constructor(owner: Owner, o: CoreOptions, dirs: number) {
    this.#owner = owner;
    this.#dirs = dirs;
    this.#autoClose = o.autoClose;
    this.#recordSize = o.recordSize;
    const fd = o.fd;
    // Non-blocking, or a read would block the event loop (libuv does the same to a socket's fd).
    const flags = native.fcntl(fd, F_GETFL, 0);
    if (flags < 0) throw errnoError(-flags, 'fcntl');
    if ((flags & O_NONBLOCK) === 0) {
      const r = native.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      if (r < 0) throw errnoError(-r, 'fcntl');
    }
    this.#flags = (flags & O_NONBLOCK) !== 0 ? -1 : flags;
    const rs = o.recordSize;
    this.#readSize = rs > 1 ? Math.max(rs, Math.floor(Math.min(o.highWaterMark, MAX_READ) / rs) * rs) : Math.min(o.highWaterMark, MAX_READ);
    this.#isTty = isatty(fd);
    let events = 0;
    if (dirs & READ) events |= EPOLLIN | EPOLLRDHUP;
    if (dirs & WRITE) events |= EPOLLOUT;
    try {
      this.#registered = watch(fd, events, this);
    } catch (err) {
      this.#restoreFlags(fd);
      throw err;
    }
    this.#canRead = !this.#registered;
    this.fd = fd;
  }

  /** The reactor: the kernel reported `events` for the fd (an edge). */
  onReady(events: number): void {
    const dirs = this.#dirs;
    if (dirs & READ && events & READ_EVENTS) {
      this.#canRead = true;
      if (events & EPOLLHUP) this.#hangup = true;
      if (this.#wantRead) this.read();
    }
    if (dirs & WRITE && events & WRITE_EVENTS && this.fd >= 0) {
      this.#canWrite = true;
      if (this.#pending !== null) this.#flush();
    }
  }

  /** The stream wants data (_read): read now if the kernel has some, else wait for it. */
  wantRead(): void {
    if (this.fd < 0 || this.#readDone) return;
    this.#wantRead = true;
    if (this.#canRead) this.read();
    else this.#sync();
  }

  /** Read until push() says stop, EAGAIN, end of file or an error. */
  read(): void {
    const owner = this.#owner;
    const size = this.#readSize;
    const rs = this.#recordSize;
    for (;;) {
      const fd = this.fd;
      if (fd < 0) return;
      const buf = takeBuffer(size);
      const carry = this.#carry;
      let start = 0;
      if (carry !== null) {
        carry.copy(buf, 0);
        start = carry.length;
      }
      const n = start === 0 ? nativeRead(fd, buf) : nativeRead(fd, buf, start, size - start);
      if (n > 0) {
        let total = start + n;
        if (rs > 1) {
          const whole = total - (total % rs);
          this.#carry = whole === total ? null : Buffer.from(buf.subarray(whole, total));
          if (whole === 0) {
            spare = buf;
            continue;
          }
          total = whole;
        }
        const more = owner.push!(cut(buf, total));
        if (!more) {
          this.#wantRead = false;
          this.#sync();
          return;
        }
        continue;
      }
      spare = buf;
      if (n === -EAGAIN) {
        if (this.#hangup) return this.#eof();
        this.#canRead = false;
        this.#sync();
        return;
      }
      // A pty's controller reads EIO once its tty side is closed: that is its end of file.
      if (n === 0 || (n === -EIO && this.#isTty)) return this.#eof();
      this.#readDone = true;
      this.#wantRead = false;
      this.#sync();
      owner.destroy(errnoError(-n, 'read'));
      return;
    }
  }

  #eof(): void {
    this.#readDone = true;
    this.#wantRead = false;
    this.#canRead = false;
    this.#sync();
    const carry = this.#carry;
    if (carry !== null) {
      this.#carry = null;
      this.#owner.destroy(partialRecordError(carry.length, this.#recordSize));
      return;
    }
    this.#owner.push!(null);
  }

  /** Write chunks (one: _write, several: _writev); cb once all went, or with the error. */
  write(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.fd < 0) {
      cb(errnoError(osConstants.errno.EBADF, 'write'));
      return;
    }
    this.#pending = chunks;
    this.#pendingOff = 0;
    this.#pendingCb = cb;
    if (this.#canWrite) this.#flush();
    else this.#sync();
  }

  #flush(): void {
    for (;;) {
      const chunks = this.#pending!;
      const off = this.#pendingOff;
      const fd = this.fd;
      let n: number;
      if (chunks.length === 1) {
        const c = chunks[0]!;
        n = off === 0 ? nativeWrite(fd, c) : nativeWrite(fd, c, off, c.length - off);
      } else {
        n = nativeWritev(fd, chunks, off);
      }
      if (n < 0) {
        if (n === -EAGAIN) {
          this.#canWrite = false;
          this.#sync();
          return;
        }
        this.#done(errnoError(-n, chunks.length === 1 ? 'write' : 'writev'));
        return;
      }
      // Step over what went: whole chunks, then into the next.
      let left = n + off;
      let i = 0;
      while (i < chunks.length && left >= chunks[i]!.length) left -= chunks[i++]!.length;
      if (i === chunks.length) {
        this.#done(null);
        return;
      }
      if (i > 0) this.#pending = chunks.slice(i);
      this.#pendingOff = left;
    }
  }

  #done(err: Error | null): void {
    const cb = this.#pendingCb!;
    this.#pending = null;
    this.#pendingCb = null;
    this.#sync();
    cb(err);
  }

  /** _final of a Duplex: a socket sends its peer the end of stream (shutdown SHUT_WR). */
  shutdownWrite(): Error | null {
    if (this.fd < 0) return null;
    const r = native.shutdown(this.fd, SHUT_WR);
    return r < 0 && r !== -ENOTSOCK && r !== -ENOTCONN ? errnoError(-r, 'shutdown') : null;
  }

  ref(ref: boolean): void {
    this.#refd = ref;
    this.#sync();
  }

  /** Keep the reactor's count: this core holds the process while it waits for the kernel. */
  #sync(): void {
    const h = this.#refd && this.fd >= 0 && this.#registered && ((this.#wantRead && !this.#canRead) || this.#pending !== null);
    if (h !== this.#holding) {
      this.#holding = h;
      hold(h ? 1 : -1);
    }
  }

  /**
   * Let the fd go (destroy): unwatch it, then close it (autoClose) or give back its
   * flags. A write still waiting fails with `pendingErr`. Returns close's error, if any.
   */
  release(pendingErr: Error): Error | null {
    const fd = this.fd;
    if (fd < 0) return null;
    this.fd = -1;
    this.#wantRead = false;
    this.#carry = null;
    this.#sync();
    if (this.#registered) unwatch(fd, this);
    const cb = this.#pendingCb;
    this.#pending = null;
    this.#pendingCb = null;
    let err: Error | null = null;
    if (this.#autoClose) {
      // Not restored: the file description may be shared (a dup, a child's stdio); it goes now.
      try {
        closeFd(fd);
      } catch (e) {
        err = e as Error;
      }
    } else {
      this.#restoreFlags(fd);
    }
    if (cb !== null) cb(pendingErr);
    return err;
  }

  #restoreFlags(fd: number): void {
    if (this.#flags >= 0) native.fcntl(fd, F_SETFL, this.#flags);
  }
}

/** What a write still waiting when the stream is destroyed fails with (as Node's own streams). */
export function destroyedError(): Error & { code: string } {
  const err = new Error('Cannot call write after a stream was destroyed') as Error & { code: string };
  err.code = 'ERR_STREAM_DESTROYED';
  return err;
}
