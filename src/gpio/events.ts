/**
 * Waiting for records on a GPIO fd (a line request's edge events, a chip's
 * line-info events): blocking, as Python's wait_*_event(), with poll(2); and
 * on the Node event loop, as an async iterator over an Epoll of its own.
 */
import { constants as osConstants } from 'node:os';
import path from 'node:path';

import { Epoll } from '../readiness/epoll';
import { EPOLLERR, EPOLLHUP, EPOLLIN, POLLERR, POLLHUP, POLLIN } from '../readiness/constants';
import { close as closeFd } from '../fd/fd';
import { IN_DELETE, inotifyAddWatch, inotifyInit, inotifyRead } from '../fd/inotify';
import { abortError, check, errnoError, invalidArgType } from '../internal/errors';
import { native } from '../internal/binding';
import { validateOptions, validateTimeout } from '../internal/validate';

const { ENODEV } = osConstants.errno;

/** Closes the fd of a Chip or LineRequest that was garbage-collected without close(). */
const unclosed = new FinalizationRegistry<number>((fd) => {
  native.close(fd);
});

/** `owner` (a Chip, a LineRequest) now owns `fd`: the GC closes it if `owner` is dropped unclosed. */
export function adoptFd(owner: object, fd: number): void {
  unclosed.register(owner, fd, owner);
}

/** `owner` lets go of `fd`: the iterations running on it end, and the fd is closed, once. */
export function releaseFd(owner: object, fd: number, iterations: Set<Closable>): void {
  unclosed.unregister(owner);
  for (const it of iterations) it.close();
  iterations.clear();
  closeFd(fd);
}
const pollFds = new Int32Array(2);
const pollOut = new Int32Array(2);

/**
 * Block the thread until `fd` is readable or reports an error/hang-up (the
 * read that follows says which), or `timeoutMs` passes.
 * @returns true when something is ready, false on timeout
 */
export function waitReadable(fd: number, timeoutMs: unknown): boolean {
  const timeout = validateTimeout(timeoutMs);
  pollFds[0] = fd;
  pollFds[1] = POLLIN;
  return check(native.pollWait(pollFds, 1, timeout, pollOut), 'poll') > 0;
}

/** True when poll(2) says `fd` has hung up or failed (a chip gone), now. */
function hungUp(fd: number): boolean {
  pollFds[0] = fd;
  pollFds[1] = POLLIN;
  return check(native.pollWait(pollFds, 1, 0, pollOut), 'poll') > 0 && (pollOut[1]! & (POLLERR | POLLHUP)) !== 0;
}

/** While no removal watch can be set: how often a waiting iterator checks its fd for a hang-up. */
const HANGUP_CHECK_MS = 1000;

/**
 * An inotify fd watching the device's directory for deletions, or -1. Some
 * kernels (6.1 among them) do not wake an fd's waiters when its chip goes away:
 * a poll() made afterwards reports EPOLLERR|EPOLLHUP, but nothing makes a
 * waiting epoll look again. The device node's removal from /dev is the wake-up
 * (without a watch, a waiting iterator looks every HANGUP_CHECK_MS).
 */
function removalWatch(device: string): number {
  let ino = -1;
  try {
    ino = inotifyInit();
    inotifyAddWatch(ino, path.dirname(device), IN_DELETE);
    return ino;
  } catch {
    if (ino >= 0) closeFd(ino);
    return -1;
  }
}

/** Options of the GPIO async iterators. */
export interface EventIteratorOptions {
  /** Ends the iteration with an AbortError (code 'ABORT_ERR') when aborted. */
  signal?: AbortSignal;
}

/** A running iteration, as its source sees it: closing the source closes it (and ends it). */
export interface Closable {
  close(): void;
}

/** What an iterator needs from the object whose fd it reads. */
export interface RecordSource<T> {
  /** The fd, or -1 once closed. */
  readonly fd: number;
  /** Read what is pending without blocking: null when nothing is (EAGAIN). */
  read(): T[] | null;
  /** The device path ('/dev/gpiochip0'): its removal from /dev ends the iteration. */
  readonly device: string;
  /** The most records one read() returns: a read that returns fewer emptied the kernel's buffer. */
  readonly batch: number;
  /** Keep `it` to close it when the source closes (that ends the iteration). */
  track(it: Closable): void;
  untrack(it: Closable): void;
}

/** The signal of an iterator's options, checked. */
export function iteratorSignal(options: unknown): AbortSignal | undefined {
  const signal = validateOptions<EventIteratorOptions>(options).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  return signal;
}

/**
 * The records of `src` as they come, from the event loop: the fd is watched
 * (an Epoll of the iterator's own, level-triggered) only while a `next()`
 * waits. After a short read (fewer records than a read can take, so the
 * kernel's buffer was empty) the iterator waits at once instead of reading
 * again to hear EAGAIN: one read per wake-up. Ends when the source closes;
 * throws an AbortError when `signal` aborts, and the read's error (ENODEV)
 * when the chip goes away (the fd then reports EPOLLERR|EPOLLHUP, and the
 * iterator does not wait again).
 */
export async function* records<T>(src: RecordSource<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  if (src.fd < 0) return;
  const ep = new Epoll();
  src.track(ep);
  const ino = removalWatch(src.device);
  const fd = src.fd;
  const options = signal === undefined ? undefined : { signal };
  const timeout = ino >= 0 ? undefined : HANGUP_CHECK_MS;
  try {
    ep.register(fd, EPOLLIN);
    if (ino >= 0) ep.register(ino, EPOLLIN);
    let short = false;
    for (;;) {
      if (signal?.aborted) throw abortError(signal.reason);
      if (src.fd < 0) return;
      if (!short) {
        const batch = src.read();
        if (batch !== null) {
          short = batch.length < src.batch;
          for (const r of batch) yield r;
          continue;
        }
      }
      short = false;
      let ready;
      try {
        ready = await ep.wait(timeout, options);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_IOREADY_CLOSED') return; // the source closed
        throw err;
      }
      if (src.fd < 0) return;
      let events = 0;
      for (const [which, e] of ready) {
        if (which === fd) events |= e;
        else if (which === ino) while (inotifyRead(ino) !== null); // a deletion in /dev: look below
      }
      if (events & EPOLLIN) continue;
      if (events & (EPOLLERR | EPOLLHUP) || hungUp(fd)) {
        // The read says what happened (ENODEV); if it does not, say it here.
        const after = src.read();
        if (after === null) throw errnoError(ENODEV, 'read');
        for (const r of after) yield r;
      }
    }
  } finally {
    src.untrack(ep);
    ep.close();
    if (ino >= 0) closeFd(ino);
  }
}
