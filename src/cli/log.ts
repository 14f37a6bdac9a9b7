/**
 * The seed's log format, Python's logging default with a name:
 * `2026-11-25 08:34:35,104 - ioready.serve - DEBUG - Received (3): ['EPOLLIN']`
 * (local time, as `%(asctime)s`). Lines go to stderr, gathered while the
 * current callback runs and written at its end, cut into pieces of at most
 * PIPE_BUF bytes on line boundaries so that lines from several threads never
 * interleave inside a line.
 */
import { EPOLLOUT } from '../readiness/constants';
import { Epoll } from '../readiness/epoll';
import { write } from '../fd/fd';

export const LEVELS = { debug: 10, info: 20, warning: 30, error: 40 } as const;
export type LevelName = keyof typeof LEVELS;
const LABEL: Record<number, string> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR' };

/** writes of at most this many bytes to a pipe are atomic (pipe(7)) */
const PIPE_BUF = 4096;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

let stampSecond = -1;
let stampPrefix = '';

/** Python's asctime: `YYYY-MM-DD HH:MM:SS,mmm`, local time. */
export function asctime(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    stampPrefix = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},`;
    stampSecond = second;
  }
  return stampPrefix + pad(now - second * 1000, 3);
}

/** A Python list of strings as `repr` prints it: `['EPOLLIN', 'EPOLLRDHUP']`. */
export function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/**
 * Write all of `buf` to `fd`, waiting (blocking the thread, as Python's
 * logging does) while a non-blocking fd is full.
 */
export function writeAllBlocking(fd: number, buf: Buffer): void {
  let off = 0;
  let waiter: Epoll | null = null;
  try {
    while (off < buf.length) {
      const n = write(fd, buf, off);
      if (n !== null) {
        off += n;
        continue;
      }
      // EAGAIN: only pipes, sockets and terminals say so, and epoll takes those.
      if (waiter === null) {
        waiter = new Epoll();
        waiter.register(fd, EPOLLOUT);
      }
      waiter.poll(1000);
    }
  } finally {
    waiter?.close(); // made only when needed: the fd count stays flat
  }
}

export class Logger {
  readonly name: string;
  readonly level: number;
  #fd: number;
  #lines: string[] = [];
  #scheduled = false;

  constructor(name: string, level: LevelName, fd = 2) {
    this.name = name;
    this.level = LEVELS[level];
    this.#fd = fd;
  }

  /** True if a message at `level` would be written (test it before building costly messages). */
  enabled(level: number): boolean {
    return level >= this.level;
  }

  debug(msg: string): void {
    if (LEVELS.debug >= this.level) this.#add(LEVELS.debug, msg);
  }

  info(msg: string): void {
    if (LEVELS.info >= this.level) this.#add(LEVELS.info, msg);
  }

  warning(msg: string): void {
    if (LEVELS.warning >= this.level) this.#add(LEVELS.warning, msg);
  }

  error(msg: string): void {
    if (LEVELS.error >= this.level) this.#add(LEVELS.error, msg);
  }

  /** Write the gathered lines now (also done at the end of every callback). */
  flush = (): void => {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    let piece = '';
    for (const line of lines) {
      if (piece.length !== 0 && Buffer.byteLength(piece) + Buffer.byteLength(line) > PIPE_BUF) {
        this.#emit(piece);
        piece = '';
      }
      piece += line;
    }
    this.#emit(piece);
  };

  #emit(text: string): void {
    try {
      writeAllBlocking(this.#fd, Buffer.from(text));
    } catch {
      // stderr is gone (EPIPE, EBADF): logging must never take the server down.
    }
  }

  #add(level: number, msg: string): void {
    this.#lines.push(`${asctime()} - ${this.name} - ${LABEL[level]} - ${msg}\n`);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.flush);
    }
  }
}
