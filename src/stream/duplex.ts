/**
 * createDuplex(fd): one fd that is read and written (a socket, a tty, a pty's
 * controller, a serial port) as a node:stream Duplex, on one registration.
 */
import { Duplex } from 'node:stream';

import { type FdLike, validateBool } from '../internal/validate';
import { coreOptions, destroyedError, FdCore, READ, WRITE } from './core';
import type { ReadStreamOptions } from './read';

/** Options of `createDuplex()`. */
export interface DuplexOptions extends ReadStreamOptions {
  /**
   * Keep the writable side open after the readable side ended (node:stream's option).
   * Default false, as net.Socket: the end of what comes in ends what goes out.
   */
  allowHalfOpen?: boolean;
}

type Chunks = Array<{ chunk: Buffer }>;

/** A Duplex over an fd. `fd` is -1 once the stream is destroyed. */
export class FdDuplex extends Duplex {
  readonly #core: FdCore;

  /** @internal Use createDuplex(). */
  constructor(fd: unknown, options: unknown) {
    const o = coreOptions(fd, options, true);
    // coreOptions has validated the object itself.
    const half = validateBool((options as DuplexOptions | undefined)?.allowHalfOpen, 'options.allowHalfOpen', false);
    super({ highWaterMark: o.highWaterMark, allowHalfOpen: half, autoDestroy: true, emitClose: true, decodeStrings: true });
    this.#core = new FdCore(this, o, READ | WRITE);
  }

  /** The fd; -1 once the stream is destroyed (and the fd closed or let go). */
  get fd(): number {
    return this.#core.fd;
  }

  /** Keep the process alive while the stream waits for data or room (the default), as a socket does. */
  ref(): this {
    this.#core.ref(true);
    return this;
  }

  /** Let the process exit even while the stream waits. */
  unref(): this {
    this.#core.ref(false);
    return this;
  }

  /** @internal */
  override _read(): void {
    this.#core.wantRead();
  }

  /** @internal */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#core.write([chunk], cb);
  }

  /** @internal */
  override _writev(chunks: Chunks, cb: (err?: Error | null) => void): void {
    this.#core.write(chunks.map((c) => c.chunk), cb);
  }

  /** @internal end(): a socket tells its peer (shutdown SHUT_WR); other fds have no half-close. */
  override _final(cb: (err?: Error | null) => void): void {
    cb(this.#core.shutdownWrite());
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const closeErr = this.#core.release(destroyedError());
    cb(err ?? closeErr);
  }
}

/**
 * A Duplex over `fd`: both directions of a socket, a tty, a pty's controller or a
 * serial port, on one readiness registration; reads and writes as createReadStream()
 * and createWriteStream() do. `end()` on a socket sends its peer the end of stream
 * (shutdown SHUT_WR). With `allowHalfOpen` false (the default, as net.Socket) the end
 * of the readable side ends the writable side too.
 * @param fd an fd, or an object with `fd` or `fileno()`
 * @returns the stream, with `ref()`/`unref()` and `fd`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd or options of the wrong type;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd, a highWaterMark < 1 or a recordSize
 *   outside 1 to 1 MiB; TypeError ERR_INVALID_ARG_VALUE if another stream of this
 *   thread has the fd
 * @throws SystemError EBADF (syscall 'fcntl') for an fd that is not open
 */
export function createDuplex(fd: FdLike, options?: DuplexOptions): FdDuplex {
  return new FdDuplex(fd, options);
}
