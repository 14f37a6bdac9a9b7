/**
 * The seed's log format, Python's logging default with a name:
 * `2026-11-25 08:34:35,104 - ioready.serve - DEBUG - Received (3): ['EPOLLIN']`
 * (local time, as `%(asctime)s`). Lines go to stderr, gathered while the
 * current callback runs and written at its end (FdWriter.writeSync), cut into
 * pieces of at most PIPE_BUF bytes on line boundaries so that lines from
 * several threads never interleave inside a line.
 */
import { FdWriter } from './writer';

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

export class Logger {
  readonly name: string;
  readonly level: number;
  readonly #out: FdWriter;
  #lines: string[] = [];
  #scheduled = false;

  constructor(name: string, level: LevelName, fd = 2) {
    this.name = name;
    this.level = LEVELS[level];
    this.#out = new FdWriter(fd); // as it is: a pipe's write of <= PIPE_BUF bytes is whole
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
      this.#out.writeSync(Buffer.from(text));
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
