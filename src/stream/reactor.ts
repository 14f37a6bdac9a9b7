/**
 * The readiness behind every stream of a thread: one Epoll, shared.
 *
 * Design (measured, see docs/streams.md): one epoll instance per thread, made
 * when the first stream is, closed when the last one goes; each stream's fd is
 * registered once, edge-triggered (EPOLLET), for the directions it has, and
 * never modified: a stream that does not want readiness right now (a paused
 * reader, a writer with nothing queued) just notes the edge. So waiting costs
 * no system call, a paused stream cannot busy-loop on a level-triggered
 * EPOLLHUP, and there is never a re-armed watch on a dead fd. The price of
 * edge-triggering is the rule the streams keep: read (or write) until EAGAIN
 * before waiting for the next edge.
 *
 * No thread per stream, ever: the shared Epoll is delivered by libuv on the
 * event loop's own thread (under Bun and Deno, by the one bridge thread of
 * that Epoll).
 *
 * Keeping the process alive: the Epoll's watch is ref'd exactly while at
 * least one ref'd stream waits for the kernel (a reader whose consumer wants
 * data, a writer with a write queued), as a libuv stream is while it reads or
 * writes. An idle or paused stream, an unref()'d one or a destroyed one holds
 * nothing.
 */
import { EPOLLET } from '../readiness/constants';
import { Epoll } from '../readiness/epoll';
import type { SystemError } from '../internal/errors';
import { constants } from 'node:os';

const { EPERM } = constants.errno;

/** What the reactor calls when the kernel reports readiness for a watcher's fd. */
export interface Watcher {
  /** The events epoll reported (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR...). */
  onReady(events: number): void;
}

/** The thread's Epoll, while any stream is registered. */
let ep: Epoll | null = null;
/** fd -> its stream's watcher. */
const watchers = new Map<number, Watcher>();
/** How many ref'd streams wait for the kernel right now. */
let holds = 0;

const dispatch = (fd: number, events: number): void => {
  const w = watchers.get(fd);
  if (w !== undefined) w.onReady(events);
};

/**
 * Register `fd` edge-triggered for `events` (EPOLLIN and/or EPOLLOUT).
 * @returns true if registered; false for a file epoll refuses as always
 *   ready (a regular file or a directory: EPERM), which its stream reads and
 *   writes without waiting
 * @throws SystemError as epoll_ctl says (EBADF for a closed fd); an Error
 *   with code ERR_INVALID_ARG_VALUE if another stream of this thread has the fd
 */
export function watch(fd: number, events: number, w: Watcher): boolean {
  if (watchers.has(fd)) {
    const err = new TypeError(`fd ${fd} already has a stream (createDuplex() reads and writes one fd)`) as TypeError & { code: string };
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  if (ep === null) {
    ep = new Epoll();
    if (holds === 0) ep.unref();
    ep.start(dispatch);
  }
  try {
    ep.register(fd, events | EPOLLET);
  } catch (e) {
    const code = (e as SystemError).errno;
    if (watchers.size === 0) closeEpoll();
    if (code === -EPERM) return false;
    throw e;
  }
  watchers.set(fd, w);
  return true;
}

/**
 * Stop watching `fd` (before it is closed: an fd still open elsewhere would
 * keep its registration). An fd already closed under the stream (EBADF) or
 * gone from the interest list (ENOENT) is not an error here: the stream has
 * reported it, or is ending anyway.
 */
export function unwatch(fd: number, w: Watcher): void {
  if (watchers.get(fd) !== w) return;
  watchers.delete(fd);
  try {
    ep!.unregister(fd);
  } catch {
    // EBADF, ENOENT: nothing left to unregister.
  }
  if (watchers.size === 0) closeEpoll();
}

function closeEpoll(): void {
  const e = ep;
  ep = null;
  e?.close();
}

/** A ref'd stream starts (+1) or stops (-1) waiting for the kernel. */
export function hold(delta: 1 | -1): void {
  const before = holds;
  holds += delta;
  if (ep === null) return;
  if (before === 0 && holds > 0) ep.ref();
  else if (before > 0 && holds === 0) ep.unref();
}

/** @internal For tests: the shared Epoll's fd (-1 if none) and the counts. */
export function reactorState(): { epfd: number; watchers: number; holds: number } {
  return { epfd: ep === null ? -1 : ep.fd, watchers: watchers.size, holds };
}
