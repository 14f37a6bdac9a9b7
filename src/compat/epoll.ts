/**
 * A drop-in for fivdi's `epoll` package (the one `onoff` uses): the same
 * `Epoll` class, constants and callback signature, built on ioready's Epoll.
 *
 * ```js
 * // const { Epoll } = require('epoll');
 * const { Epoll } = require('ioready/compat/epoll');
 * ```
 *
 * Behaviour kept from fivdi's: `add`/`modify`/`remove` return `this`; `add`
 * of an fd this instance already watches throws EEXIST, `modify`/`remove` of
 * an unknown fd ENOENT; `close()` returns null and throws if called twice;
 * every method throws once closed; the process stays alive exactly while some
 * fd is added; the instance cannot be garbage-collected meanwhile; events
 * arrive from the event loop as `callback(null, fd, events)`.
 *
 * Differences, all on the side of more information or fewer surprises:
 * errors are Node-style system errors (`err.code === 'EEXIST'`, message
 * `EEXIST: file already exists, epoll_ctl`) instead of bare strerror text;
 * argument errors are TypeError/RangeError with Node's codes; each instance
 * has its own epoll fd, so two instances may watch the same fd (fivdi shares
 * one epoll fd between all instances, where the second `add` throws EEXIST);
 * ready events are delivered in batches (one epoll_wait per event-loop turn)
 * rather than one per turn.
 *
 * @module
 */
import { EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP } from '../readiness/constants';
import { Epoll as CoreEpoll, type EpollListener } from '../readiness/epoll';
import { invalidArgType } from '../internal/errors';
import { toFd, validateMask } from '../internal/validate';

/**
 * Called from the event loop with `(null, fd, events)` for each ready fd. The
 * `err` slot is part of fivdi's signature; ioready reports a failure of the
 * epoll fd itself as an uncaught exception instead.
 */
export type EpollCallback = (err: Error | null, fd: number, events: number) => void;

/**
 * fivdi's `Epoll`: watch fds and get `callback(null, fd, events)` from the
 * event loop.
 */
export class Epoll {
  /** The fd is readable. */
  static readonly EPOLLIN: number = EPOLLIN;
  /** The fd is writable. */
  static readonly EPOLLOUT: number = EPOLLOUT;
  /** The peer closed its end (or shut down writing). */
  static readonly EPOLLRDHUP: number = EPOLLRDHUP;
  /** Urgent data, or a GPIO interrupt on a sysfs value file. */
  static readonly EPOLLPRI: number = EPOLLPRI;
  /** An error condition (always reported, whether asked for or not). */
  static readonly EPOLLERR: number = EPOLLERR;
  /** Hang-up (always reported, whether asked for or not). */
  static readonly EPOLLHUP: number = EPOLLHUP;
  /** Edge-triggered delivery (0x80000000). */
  static readonly EPOLLET: number = EPOLLET;
  /** Deliver once, then disarm until `modify()`. */
  static readonly EPOLLONESHOT: number = EPOLLONESHOT;

  #core: CoreEpoll | null;
  #callback: EpollCallback;
  /** The fds added and not removed: the watch (and its ref) runs while any is. */
  #fds = new Set<number>();
  #dispatch: EpollListener = (fd, events) => {
    this.#callback(null, fd, events);
  };

  /**
   * @param callback called with `(null, fd, events)` for each ready fd
   * @throws TypeError ERR_INVALID_ARG_TYPE if callback is not a function
   * @throws SystemError EMFILE, ENFILE, ENOMEM from epoll_create1
   */
  constructor(callback: EpollCallback) {
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    this.#callback = callback;
    this.#core = new CoreEpoll();
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#core === null;
  }

  /**
   * Watch `fd` for `events` (Epoll.EPOLLPRI, Epoll.EPOLLIN | Epoll.EPOLLONESHOT, ...).
   * @returns this
   * @throws SystemError EEXIST if this instance already watches fd, EBADF,
   *   EPERM for a regular file
   * @throws Error ERR_IOREADY_CLOSED after close()
   */
  add(fd: number, events: number): this {
    const core = this.#open('add');
    const n = toFd(fd);
    core.register(n, validateMask(events));
    this.#fds.add(n);
    if (this.#fds.size === 1) core.start(this.#dispatch);
    return this;
  }

  /**
   * Change the events `fd` is watched for (also re-arms EPOLLONESHOT).
   * @returns this
   * @throws SystemError ENOENT if fd is not watched, EBADF
   * @throws Error ERR_IOREADY_CLOSED after close()
   */
  modify(fd: number, events: number): this {
    this.#open('modify').modify(toFd(fd), validateMask(events));
    return this;
  }

  /**
   * Stop watching `fd`; once no fd is watched, the process may exit.
   * @returns this
   * @throws SystemError ENOENT if fd is not watched, EBADF if it was closed
   * @throws Error ERR_IOREADY_CLOSED after close()
   */
  remove(fd: number): this {
    const core = this.#open('remove');
    const n = toFd(fd);
    core.unregister(n);
    this.#fds.delete(n);
    if (this.#fds.size === 0) core.stop();
    return this;
  }

  /**
   * Stop watching every fd and free the epoll fd.
   * @returns null, as fivdi's
   * @throws Error ERR_IOREADY_CLOSED if already closed (fivdi's close() is not idempotent)
   */
  close(): null {
    const core = this.#core;
    if (core === null) throw closed("close can't be called more than once");
    this.#core = null;
    this.#fds.clear();
    core.close();
    return null;
  }

  #open(method: string): CoreEpoll {
    if (this.#core === null) throw closed(`${method} can't be called after calling close`);
    return this.#core;
  }
}

/** ERR_IOREADY_CLOSED with fivdi's wording. */
function closed(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'ERR_IOREADY_CLOSED' });
}

// fivdi's constants are read-only properties of the constructor.
for (const name of ['EPOLLIN', 'EPOLLOUT', 'EPOLLRDHUP', 'EPOLLPRI', 'EPOLLERR', 'EPOLLHUP', 'EPOLLET', 'EPOLLONESHOT']) {
  Object.defineProperty(Epoll, name, { writable: false, configurable: false });
}
