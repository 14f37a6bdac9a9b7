/**
 * The CLI's one fd writer: bytes to an fd, all of them, in order, never
 * changing the flags of an fd shared with other processes.
 *
 * - `push()` (client bytes to stdout): what is pushed while a callback runs is
 *   gathered and written at its end with one write(2); what the kernel does not
 *   take stays queued (in order) and is written when epoll says the fd is
 *   writable, without blocking the event loop. Above a high-water mark the
 *   owner is told to stop reading from clients (TCP flow control then slows
 *   them down), below a low-water mark to read again: nothing is lost, memory
 *   stays bounded.
 * - `writeSync()` (log lines to stderr): written at once, blocking the thread
 *   while the fd is full, as Python's logging does.
 *
 * With `{ nonblocking: true }` (what `push()` needs) the fd is reached without
 * blocking: a pipe, FIFO or terminal is opened again through /proc/self/fd/N
 * as a non-blocking file of our own (libuv does the same for terminals), a
 * socket is written with MSG_DONTWAIT, and a regular file or /dev/null, which
 * never blocks for long, is written as it is. Without it, the fd is written as
 * it is: a blocking fd blocks in write(2), a non-blocking one that is full is
 * waited for with epoll.
 */
import fs from 'node:fs';
import { EPOLLOUT } from '../readiness/constants';
import { Epoll } from '../readiness/epoll';
import { close, write } from '../fd/fd';
import { MSG_DONTWAIT, send } from '../fd/socket';

const HIGH_WATER = 4 << 20;
const LOW_WATER = 1 << 20;

/** How the fd is written: the fd, and whether epoll can tell when it is writable. */
interface Target {
  fd: number;
  owned: boolean;
  pollable: boolean;
  writeSome(buf: Buffer, off: number, len: number): number | null;
}

/** The fd as it is: write(2), whatever its flags (the logs). */
function plainTarget(fd: number): Target {
  return { fd, owned: false, pollable: false, writeSome: (b, o, l) => write(fd, b, o, l) };
}

/** The fd reached without blocking (see the module doc). */
function nonblockingTarget(fd: number): Target {
  const st = fs.fstatSync(fd); // EBADF: the fd is closed
  if (st.isSocket()) {
    return { fd, owned: false, pollable: true, writeSome: (b, o, l) => send(fd, b, o, l, MSG_DONTWAIT) };
  }
  if (st.isFIFO() || st.isCharacterDevice()) {
    let own = -1;
    try {
      own = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
    } catch {
      // no /proc, or a FIFO with no reader: write the shared fd as it is
    }
    if (own >= 0) {
      const pollable = st.isFIFO() || isPollable(own);
      return { fd: own, owned: true, pollable, writeSome: (b, o, l) => write(own, b, o, l) };
    }
  }
  return plainTarget(fd);
}

/** Whether epoll takes `fd` (a terminal does, /dev/null says EPERM). */
function isPollable(fd: number): boolean {
  const ep = new Epoll();
  try {
    ep.register(fd, EPOLLOUT);
    return true;
  } catch {
    return false;
  } finally {
    ep.close();
  }
}

/** Bytes in order in one growable buffer: append at the end, consume from the start. */
export class ByteQueue {
  buf = Buffer.allocUnsafe(1 << 16);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Append a copy of `src[off, off + len)`. */
  push(src: Uint8Array, off: number, len: number): void {
    if (this.end + len > this.buf.length) this.#reserve(len);
    this.buf.set(src.subarray(off, off + len), this.end);
    this.end += len;
  }

  /** Drop the first `n` bytes. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(1 << 16); // give back a burst's memory
    }
  }

  clear(): void {
    this.consume(this.length);
  }

  #reserve(len: number): void {
    const used = this.length;
    if (used + len <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let size = this.buf.length * 2;
      while (size < used + len) size *= 2;
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    }
    this.start = 0;
    this.end = used;
  }
}

/** Options of `new FdWriter()`. */
export interface FdWriterOptions {
  /** Reach the fd without blocking the thread (see the module doc); needed by push(). Default false. */
  nonblocking?: boolean;
}

export class FdWriter {
  #target: Target;
  #q = new ByteQueue();
  #scheduled = false;
  #waiting: Epoll | null = null;
  #blocked = false;
  #paused = false;
  #failed = false;
  #drained: Array<() => void> = [];
  /** Told `true` when the owner should stop reading from clients, `false` to read again. */
  onPressure: (stop: boolean) => void = () => {};
  /** Told once if a push()ed write fails (EPIPE: the reader is gone); later bytes are dropped. */
  onError: (err: Error) => void = () => {};

  /** @throws SystemError EBADF if `fd` is closed (with `nonblocking`; otherwise at the first write) */
  constructor(fd: number, options: FdWriterOptions = {}) {
    this.#target = options.nonblocking === true ? nonblockingTarget(fd) : plainTarget(fd);
    if (this.#target.pollable) {
      // Made now, not at the first EAGAIN, so that the fd count stays flat.
      this.#waiting = new Epoll();
      this.#waiting.register(this.#target.fd, EPOLLOUT);
    }
  }

  /** Bytes accepted but not yet written. */
  get pending(): number {
    return this.#q.length;
  }

  /** Queue `buf[off, off + len)` (copied), to be written without blocking (needs `nonblocking`). */
  push(buf: Uint8Array, off = 0, len = buf.length - off): void {
    if (this.#failed || len === 0) return;
    this.#q.push(buf, off, len);
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
    if (!this.#paused && this.pending > HIGH_WATER) {
      this.#paused = true;
      this.onPressure(true);
    }
  }

  /**
   * Write all of `buf` now, blocking the thread while the fd is full (the
   * logs). Not for a writer that push() is also used on: the queue would be
   * passed.
   * @throws SystemError EPIPE, EBADF... as write(2) says
   */
  writeSync(buf: Buffer): void {
    let off = 0;
    let waiter: Epoll | null = null;
    try {
      while (off < buf.length) {
        const n = this.#target.writeSome(buf, off, buf.length - off);
        if (n !== null) {
          off += n;
          continue;
        }
        // EAGAIN: only pipes, sockets and terminals say so, and epoll takes those.
        if (waiter === null) {
          waiter = new Epoll();
          waiter.register(this.#target.fd, EPOLLOUT);
        }
        waiter.poll(1000);
      }
    } finally {
      waiter?.close(); // made only when needed: the fd count stays flat
    }
  }

  /** Resolves once every byte pushed so far is written (or writing failed). */
  drain(): Promise<void> {
    this.#flush();
    if (this.pending === 0 || this.#failed) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Stop waiting on the fd and close what this object opened. */
  close(): void {
    this.#waiting?.close();
    this.#waiting = null;
    if (this.#target.owned) {
      close(this.#target.fd);
      this.#target.owned = false;
    }
  }

  #flush = (): void => {
    this.#scheduled = false;
    const t = this.#target;
    const q = this.#q;
    while (q.length > 0 && !this.#failed) {
      let n: number | null;
      try {
        n = t.writeSome(q.buf, q.start, q.length);
      } catch (err) {
        this.#fail(err as Error);
        break;
      }
      if (n === null) {
        this.#wait();
        return;
      }
      q.consume(n);
    }
    if (this.#blocked) {
      this.#blocked = false;
      this.#waiting?.stop();
    }
    if (this.#paused && this.pending < LOW_WATER) {
      this.#paused = false;
      this.onPressure(false);
    }
    if (this.pending === 0 || this.#failed) for (const resolve of this.#drained.splice(0)) resolve();
  };

  /** The fd is full: come back when it is writable. */
  #wait(): void {
    this.#blocked = true;
    if (!this.#target.pollable) {
      // Cannot be polled (and should never be full): try again shortly.
      setTimeout(this.#flush, 1);
      return;
    }
    this.#waiting!.start(this.#flush);
  }

  #fail(err: Error): void {
    this.#failed = true;
    this.#q.clear();
    this.onError(err);
  }
}
