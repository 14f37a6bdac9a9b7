/**
 * createReadStream(fd): any pollable fd as a node:stream Readable, driven by
 * readiness on the event loop (./core.ts), never by a thread.
 */
import { Readable } from 'node:stream';

import type { FdLike } from '../internal/validate';
import { coreOptions, destroyedError, FdCore, READ, type FdStreamOptions } from './core';

/** Options of `createReadStream()`. */
export interface ReadStreamOptions extends FdStreamOptions {
  /**
   * Every chunk holds a whole number of records of this many bytes (evdev's
   * `input_event`: 24 on 64-bit, 16 on 32-bit arm; a GPIO edge event: 48). A record
   * split by the writer of a byte stream is put back together; end of file in the
   * middle of one is an error (code 'ERR_IOREADY_PARTIAL_RECORD'). 1 to 1 MiB; default 1.
   */
  recordSize?: number;
}

/**
 * A Readable over an fd (a FIFO, a pipe, a socket, a tty, a character device...).
 * `fd` is -1 once the stream is destroyed.
 */
export class FdReadStream extends Readable {
  readonly #core: FdCore;

  /** @internal Use createReadStream(). */
  constructor(fd: unknown, options: unknown) {
    const o = coreOptions(fd, options, true);
    super({ highWaterMark: o.highWaterMark, autoDestroy: true, emitClose: true });
    this.#core = new FdCore(this, o, READ);
  }

  /** The fd read from; -1 once the stream is destroyed (and the fd closed or let go). */
  get fd(): number {
    return this.#core.fd;
  }

  /** Keep the process alive while the stream waits for data (the default), as a socket does. */
  ref(): this {
    this.#core.ref(true);
    return this;
  }

  /** Let the process exit even while the stream waits for data. */
  unref(): this {
    this.#core.ref(false);
    return this;
  }

  /** @internal node:stream asks for data. */
  override _read(): void {
    this.#core.wantRead();
  }

  /** @internal node:stream's destroy(): unwatch, then close (autoClose) or let go of the fd. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const closeErr = this.#core.release(destroyedError());
    cb(err ?? closeErr);
  }
}

/**
 * A Readable over `fd`, driven by readiness on the event loop: it reads until the
 * kernel says EAGAIN, then waits for EPOLLIN; a paused or full consumer stops the
 * reading (the kernel's buffer fills and the writer blocks). Works with `pipeline()`,
 * `for await` and `.pipe()`. End of file (also a pty's EIO once its tty side closed)
 * is 'end'; a read error is 'error' with a system error (code, errno, syscall 'read').
 * The fd is made non-blocking; with `autoClose` (default true) it is closed when the
 * stream ends, fails or is destroyed.
 * @param fd an fd, or an object with `fd` or `fileno()`
 * @returns the stream, with `ref()`/`unref()` and `fd`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd or options of the wrong type;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd, a highWaterMark < 1 or a recordSize
 *   outside 1 to 1 MiB; TypeError ERR_INVALID_ARG_VALUE if another stream of this
 *   thread has the fd
 * @throws SystemError EBADF (syscall 'fcntl') for an fd that is not open
 */
export function createReadStream(fd: FdLike, options?: ReadStreamOptions): FdReadStream {
  return new FdReadStream(fd, options);
}
