/**
 * createWriteStream(fd): any pollable fd as a node:stream Writable, driven by
 * readiness on the event loop (./core.ts), never by a thread.
 */
import { Writable } from 'node:stream';

import type { FdLike } from '../internal/validate';
import { coreOptions, destroyedError, FdCore, WRITE, type FdStreamOptions } from './core';

/** Options of `createWriteStream()`. */
export type WriteStreamOptions = FdStreamOptions;

type Chunks = Array<{ chunk: Buffer }>;

/** A Writable over an fd. `fd` is -1 once the stream is destroyed. */
export class FdWriteStream extends Writable {
  readonly #core: FdCore;

  /** @internal Use createWriteStream(). */
  constructor(fd: unknown, options: unknown) {
    const o = coreOptions(fd, options, false);
    super({ highWaterMark: o.highWaterMark, autoDestroy: true, emitClose: true, decodeStrings: true });
    this.#core = new FdCore(this, o, WRITE);
  }

  /** The fd written to; -1 once the stream is destroyed (and the fd closed or let go). */
  get fd(): number {
    return this.#core.fd;
  }

  /** Keep the process alive while a write waits for room (the default), as a socket does. */
  ref(): this {
    this.#core.ref(true);
    return this;
  }

  /** Let the process exit even while a write waits for room. */
  unref(): this {
    this.#core.ref(false);
    return this;
  }

  /** @internal node:stream writes one chunk. */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#core.write([chunk], cb);
  }

  /** @internal node:stream writes the chunks queued meanwhile, in one writev(). */
  override _writev(chunks: Chunks, cb: (err?: Error | null) => void): void {
    this.#core.write(chunks.map((c) => c.chunk), cb);
  }

  /** @internal node:stream's destroy(): unwatch, then close (autoClose) or let go of the fd. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const closeErr = this.#core.release(destroyedError());
    cb(err ?? closeErr);
  }
}

/**
 * A Writable over `fd`, driven by readiness on the event loop: it writes until the
 * kernel says EAGAIN, then waits for EPOLLOUT; chunks queued meanwhile go in one
 * writev(). `write()` returns false past the highWaterMark, as any Writable. A write
 * error is 'error' with a system error (EPIPE once the reader is gone, syscall
 * 'write' or 'writev'). The fd is made non-blocking; with `autoClose` (default true)
 * it is closed when the stream finishes, fails or is destroyed.
 * @param fd an fd, or an object with `fd` or `fileno()`
 * @returns the stream, with `ref()`/`unref()` and `fd`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd or options of the wrong type;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd or a highWaterMark < 1;
 *   TypeError ERR_INVALID_ARG_VALUE if another stream of this thread has the fd
 * @throws SystemError EBADF (syscall 'fcntl') for an fd that is not open
 */
export function createWriteStream(fd: FdLike, options?: WriteStreamOptions): FdWriteStream {
  return new FdWriteStream(fd, options);
}
