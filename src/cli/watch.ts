/**
 * `ioready watch PATH...`: file-system events as they happen, inotify through
 * Epoll on the Node event loop. One line per event on stdout:
 *
 *   2026-11-25 08:34:35,104 IN_CREATE,IN_ISDIR photos/2026
 *
 * (local time as the logs', the event's IN_* names joined by commas, the path:
 * the watched PATH as given, joined with the entry's name; control bytes and
 * bytes that are not UTF-8 in names are escaped as \x0a, so a line is always
 * one event). By default every event but the reads (IN_ACCESS, IN_OPEN,
 * IN_CLOSE_NOWRITE: listing a directory to watch it causes those). With
 * --recursive, every directory below each PATH is watched, and new ones as
 * they appear (moved in or created; what is created inside a new directory
 * before its watch is added goes unseen, as with every inotify tool).
 * Messages go to stderr.
 */
import fs from 'node:fs';
import { EPOLLIN } from '../readiness/constants';
import { Epoll } from '../readiness/epoll';
import { close } from '../fd/fd';
import { lookupName } from '../internal/validate';
import {
  IN_ACCESS, IN_ALL_EVENTS, IN_ATTRIB, IN_CLOSE, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE,
  IN_DELETE_SELF, IN_IGNORED, IN_ISDIR, IN_MODIFY, IN_MOVE, IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF, IN_OPEN,
  IN_Q_OVERFLOW, IN_UNMOUNT, type InotifyEvent, inotifyAddWatch, inotifyEventNames, inotifyInit, inotifyRead, inotifyRmWatch,
} from '../fd/inotify';
import { parseCommandLine } from './args';
import { CliError, UsageError } from './errors';
import { TerminalEscaper } from './escape';
import { Logger, asctime } from './log';
import { onStopSignals } from './signals';
import { FdWriter } from './writer';

export const WATCH_USAGE = `Usage: ioready watch [options] PATH...

Print file-system events (inotify through epoll) as they happen, one line
each on stdout: time, the IN_* event names, the path.

Options:
  -r, --recursive     watch every directory below each PATH, new ones too
  -e, --events LIST   these events, comma-separated: access modify attrib
                      close_write close_nowrite close open moved_from
                      moved_to move create delete delete_self move_self all
                      (default: all but the reads: access, open and
                      close_nowrite, which watching itself causes)
  -h, --help          show this help

Exits 0 at SIGINT/SIGTERM or when nothing is left to watch, 1 if a PATH
cannot be watched, 2 for a bad command line.
`;

const EVENTS: Record<string, number> = {
  access: IN_ACCESS,
  modify: IN_MODIFY,
  attrib: IN_ATTRIB,
  close_write: IN_CLOSE_WRITE,
  close_nowrite: IN_CLOSE_NOWRITE,
  close: IN_CLOSE,
  open: IN_OPEN,
  moved_from: IN_MOVED_FROM,
  moved_to: IN_MOVED_TO,
  move: IN_MOVE,
  create: IN_CREATE,
  delete: IN_DELETE,
  delete_self: IN_DELETE_SELF,
  move_self: IN_MOVE_SELF,
  all: IN_ALL_EVENTS,
};

export interface WatchOptions {
  paths: string[];
  recursive: boolean;
  mask: number;
  help: boolean;
}

/**
 * Parse `watch`'s arguments.
 * @throws UsageError for an unknown option or event name, or no PATH
 */
export function parseWatchArgs(args: string[]): WatchOptions {
  const { values, positionals } = parseCommandLine(
    args,
    {
      recursive: { type: 'boolean', short: 'r' },
      events: { type: 'string', short: 'e' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  let mask = IN_ALL_EVENTS & ~(IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE);
  if (values.events !== undefined) {
    mask = 0;
    for (const word of values.events.split(',')) {
      const bit = lookupName(EVENTS, word.trim().toLowerCase().replace(/^in_/, ''));
      if (bit === undefined) throw new UsageError(`unknown event '${word}' in --events`); // main adds: see --help (which lists them)
      mask |= bit;
    }
  }
  if (!values.help && positionals.length === 0) throw new UsageError('nothing to watch: give at least one PATH');
  return { paths: positionals, recursive: values.recursive ?? false, mask: mask >>> 0, help: values.help ?? false };
}

/** One line for an event: `asctime NAMES path\n`, the path made one-line safe. */
function formatEvent(mask: number, where: Buffer): Buffer {
  const shown = new TerminalEscaper(true);
  const pathText = Buffer.concat([shown.feed(where, 0, where.length), shown.end()]);
  return Buffer.concat([Buffer.from(`${asctime()} ${inotifyEventNames(mask).join(',')} `), pathText, Buffer.from('\n')]);
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory (ENOENT)';
    case 'EACCES':
      return 'permission denied (EACCES)';
    case 'ENOTDIR':
      return 'not a directory (ENOTDIR)';
    case 'ENOSPC':
      return 'the inotify watch limit is reached (ENOSPC; see fs.inotify.max_user_watches)';
    default:
      return err.message;
  }
}

class Watcher {
  readonly #fd = inotifyInit();
  readonly #ep = new Epoll();
  readonly #o: WatchOptions;
  readonly #log: Logger;
  readonly #out: FdWriter;
  /** wd -> the path it watches, as raw bytes (names need not be UTF-8) */
  readonly #paths = new Map<number, Buffer>();
  #onEmpty: () => void = () => {};

  constructor(o: WatchOptions, log: Logger, out: FdWriter) {
    this.#o = o;
    this.#log = log;
    this.#out = out;
    this.#ep.register(this.#fd, EPOLLIN);
  }

  get watches(): number {
    return this.#paths.size;
  }

  /** The kernel's mask: recursion needs to hear of new directories whatever is printed. */
  get #kernelMask(): number {
    return (this.#o.mask | (this.#o.recursive ? IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF : 0)) >>> 0;
  }

  /**
   * Watch `where` (and, recursive, the directories below it).
   * @throws the error of `where` itself (ENOENT...); below it, problems are warnings
   */
  add(where: Buffer, top: boolean): void {
    let wd: number;
    try {
      wd = inotifyAddWatch(this.#fd, where, this.#kernelMask);
    } catch (err) {
      if (top) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT') this.#log.warning(`cannot watch '${where.toString()}': ${reason(e)}`);
      return;
    }
    this.#paths.set(wd, where);
    if (!this.#o.recursive) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(where, { withFileTypes: true, encoding: 'buffer' }) as unknown as fs.Dirent[];
    } catch {
      return; // not a directory, or gone already
    }
    for (const entry of entries) {
      if (entry.isDirectory()) this.add(Buffer.concat([where, Buffer.from('/'), entry.name as unknown as Buffer]), false);
    }
  }

  start(onEmpty: () => void): void {
    this.#onEmpty = onEmpty;
    this.#ep.start(this.#onReadable);
  }

  close(): void {
    this.#ep.close();
    close(this.#fd);
  }

  #onReadable = (): void => {
    for (;;) {
      const events = inotifyRead(this.#fd);
      if (events === null) break;
      this.#handle(events);
    }
    if (this.#paths.size === 0) this.#onEmpty();
  };

  #handle(events: InotifyEvent[]): void {
    const movedFrom = new Map<number, Buffer>(); // cookie -> old path, of directories moved in this batch
    for (const ev of events) {
      if (ev.mask & IN_Q_OVERFLOW) {
        this.#log.warning('the kernel dropped events (IN_Q_OVERFLOW): too many at once');
        continue;
      }
      const base = this.#paths.get(ev.wd);
      if (base === undefined) continue; // a watch removed meanwhile
      const where = ev.nameBuffer === undefined ? base : Buffer.concat([base, Buffer.from('/'), ev.nameBuffer]);
      if (ev.mask & IN_IGNORED) {
        this.#paths.delete(ev.wd); // deleted, unmounted, or removed by us
        continue;
      }
      if ((ev.mask & this.#o.mask) !== 0 || (ev.mask & IN_UNMOUNT) !== 0) this.#out.push(formatEvent(ev.mask, where));
      if (!this.#o.recursive || (ev.mask & IN_ISDIR) === 0) continue;
      if (ev.mask & IN_MOVED_FROM) movedFrom.set(ev.cookie, where);
      else if (ev.mask & IN_MOVED_TO && movedFrom.has(ev.cookie)) {
        this.#rename(movedFrom.get(ev.cookie)!, where);
        movedFrom.delete(ev.cookie);
      } else if (ev.mask & (IN_CREATE | IN_MOVED_TO)) this.add(where, false);
    }
    // Moved out of every watched directory: stop watching what went.
    for (const gone of movedFrom.values()) this.#unwatchBelow(gone);
  }

  #below(wdPath: Buffer, top: Buffer): boolean {
    return wdPath.equals(top) || (wdPath.length > top.length && wdPath[top.length] === 0x2f && wdPath.subarray(0, top.length).equals(top));
  }

  #rename(from: Buffer, to: Buffer): void {
    for (const [wd, p] of this.#paths) {
      if (this.#below(p, from)) this.#paths.set(wd, Buffer.concat([to, p.subarray(from.length)]));
    }
  }

  #unwatchBelow(top: Buffer): void {
    for (const [wd, p] of this.#paths) {
      if (!this.#below(p, top)) continue;
      this.#paths.delete(wd);
      try {
        inotifyRmWatch(this.#fd, wd);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Run `ioready watch` until SIGINT/SIGTERM or nothing is left to watch.
 * @returns the exit code
 * @throws UsageError / CliError (a PATH that cannot be watched)
 */
export async function watch(args: string[]): Promise<number> {
  const o = parseWatchArgs(args);
  if (o.help) {
    process.stdout.write(WATCH_USAGE);
    return 0;
  }
  const log = new Logger('ioready.watch', 'info');
  let out: FdWriter;
  try {
    out = new FdWriter(1, { nonblocking: true });
  } catch (err) {
    throw new CliError(`stdout: ${(err as Error).message}`);
  }
  const w = new Watcher(o, log, out);
  try {
    for (const p of o.paths) {
      try {
        w.add(Buffer.from(p.length > 1 ? p.replace(/\/+$/, '') : p), true);
      } catch (err) {
        throw new CliError(`cannot watch '${p}': ${reason(err as NodeJS.ErrnoException)}`);
      }
    }
  } catch (err) {
    w.close();
    out.close();
    throw err;
  }
  log.info(`Watching ${o.paths.length} path${o.paths.length === 1 ? '' : 's'} (${w.watches} watch${w.watches === 1 ? '' : 'es'})`);
  let removeSignals = (): void => {};
  const code = await new Promise<number>((resolve) => {
    let done = false;
    const stop = (c: number): void => {
      if (done) return; // a signal and a stdout failure may both come
      done = true;
      resolve(c);
    };
    removeSignals = onStopSignals(log, 'stopping', () => stop(0)); // kept until flushed
    out.onError = (err) => {
      log.error(`stdout: ${err.message}`);
      stop(1);
    };
    w.start(() => {
      log.info('Nothing left to watch');
      stop(0);
    });
  });
  w.close();
  await out.drain();
  removeSignals();
  out.close();
  log.flush();
  return code;
}
