/**
 * Selectors: Python's selectors module, layered as Lib/selectors.py is:
 *
 * - BaseSelector       the contract (abstract)
 * - BaseSelectorImpl   the fd -> key map and every rule about it (misuse
 *                      errors, roll-back, data-only modify); backends only
 *                      mirror keys into the kernel through three hooks
 * - PollLikeSelector   the family over a poll-style object (register/modify/
 *                      unregister/poll): EpollSelector, PollSelector
 * - SelectSelector     the fd sets of select(2)
 *
 * Timeouts are milliseconds: undefined blocks, <= 0 returns at once.
 */
import { inspect } from 'node:util';

import { closedError, keyError, outOfRange } from '../internal/errors';
import { type FdLike, toFd, validateInt, validateTimeout } from '../internal/validate';
import { aliasDispose, DISPOSE } from '../internal/dispose';

/** Interest in reading (or end of file / hang-up). */
export const EVENT_READ = 1;
/** Interest in writing. */
export const EVENT_WRITE = 2;
const EVENT_ALL = EVENT_READ | EVENT_WRITE;

/** A registration: the object given, its fd, the events wanted and the caller's data. Immutable. */
export class SelectorKey<T = unknown> {
  constructor(
    /** The object passed to register() (a number, `{ fd }` or `{ fileno() }`). */
    readonly fileobj: FdLike,
    /** Its file descriptor, taken at register time. */
    readonly fd: number,
    /** EVENT_READ, EVENT_WRITE or both. */
    readonly events: number,
    /** What the caller attached (undefined when none). */
    readonly data: T,
  ) {
    Object.freeze(this);
  }
}

/** One ready registration: its key and the events ready, within the key's interest. */
export type SelectorEvent<T = unknown> = [key: SelectorKey<T>, events: number];

/** Receives readiness from the event loop (EpollSelector.start). */
export type SelectorListener<T = unknown> = (key: SelectorKey<T>, events: number) => void;

/**
 * The optional `data` argument: optional when the data type admits
 * undefined (the default), required when it does not.
 */
export type SelectorData<T> = undefined extends T ? [data?: T] : [data: T];

/**
 * The live, read-only view of a selector's registrations, keyed by fd.
 * get() and has() also take the registered object itself, as Python's mapping does.
 */
export interface SelectorMap<T = unknown> extends ReadonlyMap<number, SelectorKey<T>> {
  /**
   * The key registered for `fileobj`, an fd number or the object that was registered.
   * @returns the key, or undefined if it is not registered (or is no file descriptor at all); never throws
   */
  get(fileobj: FdLike): SelectorKey<T> | undefined;
  /**
   * Whether `fileobj` (an fd number or the object that was registered) is registered.
   * @returns true if get() finds a key; never throws
   */
  has(fileobj: FdLike): boolean;
}

/** The abstract contract every selector fulfils (Python's selectors.BaseSelector). */
export abstract class BaseSelector<T = unknown> implements Disposable {
  /**
   * Watch `fileobj` for `events`, attaching `data`.
   * @param events EVENT_READ, EVENT_WRITE, or both
   * @returns the new key
   * @throws TypeError ERR_INVALID_ARG_TYPE for a fileobj that is not an FdLike, events not an integer
   *   (NaN, Infinity, 1.5... are not)
   * @throws RangeError ERR_OUT_OF_RANGE for a negative fd, events 0 or with bits other than
   *   EVENT_READ | EVENT_WRITE; for SelectSelector, an fd >= FD_SETSIZE
   * @throws Error ERR_IOREADY_KEY if the fd is already registered (Python's KeyError)
   * @throws SystemError if the kernel refuses it, then nothing is registered (EpollSelector:
   *   EPERM for a regular file, EBADF for a closed fd)
   * @throws Error ERR_IOREADY_CLOSED once closed
   */
  abstract register(fileobj: FdLike, events: number, ...data: SelectorData<T>): SelectorKey<T>;

  /**
   * Stop watching `fileobj`. An fd closed since it was registered is fine: the
   * registered object is found by identity even if it no longer yields an fd.
   * @returns the key it had
   * @throws Error ERR_IOREADY_KEY if not registered; ERR_IOREADY_CLOSED once closed
   * @throws TypeError ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE for a fileobj
   *   that is not registered and is not a valid FdLike
   */
  abstract unregister(fileobj: FdLike): SelectorKey<T>;

  /**
   * Change the events and data of a registration. A change of data alone
   * touches no kernel state. Omitting data sets it to undefined, as Python's.
   * The new key keeps the fileobj the fd was registered with.
   * @param events EVENT_READ, EVENT_WRITE, or both
   * @returns the new key (the old one if nothing changed)
   * @throws as register(); ERR_IOREADY_KEY if not registered. If the kernel
   *   refuses the change (a SystemError), the registration is removed (CPython bpo-30014).
   */
  abstract modify(fileobj: FdLike, events: number, ...data: SelectorData<T>): SelectorKey<T>;

  /**
   * Wait until some registered fds are ready, blocking the thread.
   * @param timeoutMs undefined, null or Infinity: forever; <= 0 (-Infinity too):
   *   return at once; fractions round up. EINTR is retried with the time that remains.
   * @returns `[key, events]` for each ready registration, events within the
   *   key's interest (a hang-up or error counts as both READ and WRITE); `[]` on timeout
   * @throws TypeError ERR_INVALID_ARG_TYPE for a timeoutMs that is not a number;
   *   RangeError ERR_OUT_OF_RANGE for NaN or more than 2^31-1 ms;
   *   Error ERR_IOREADY_CLOSED once closed
   */
  abstract select(timeoutMs?: number): Array<SelectorEvent<T>>;

  /**
   * The key of `fileobj`.
   * @returns its key
   * @throws Error ERR_IOREADY_KEY if not registered; ERR_IOREADY_CLOSED once closed
   * @throws TypeError ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE for a fileobj
   *   that is not registered and is not a valid FdLike
   */
  abstract getKey(fileobj: FdLike): SelectorKey<T>;

  /**
   * The registrations, as a live read-only map keyed by fd.
   * @returns the map (the same object on every call)
   * @throws Error ERR_IOREADY_CLOSED once closed (a view taken before reads empty)
   */
  abstract getMap(): SelectorMap<T>;

  /** True once close() was called. */
  abstract get closed(): boolean;

  /** Forget every registration and release the kernel object, if any. Idempotent. */
  abstract close(): void;

  /** The same as close(): `using sel = new DefaultSelector()` closes it at the end of the block. */
  [DISPOSE](): void {
    this.close();
  }
}
aliasDispose(BaseSelector.prototype);

/** The read-only face of a selector's fd -> key map. */
class KeyView<T> implements SelectorMap<T> {
  readonly #keys: Map<number, SelectorKey<T>>;
  readonly #lookup: (fileobj: FdLike) => number;

  constructor(keys: Map<number, SelectorKey<T>>, lookup: (fileobj: FdLike) => number) {
    this.#keys = keys;
    this.#lookup = lookup;
    Object.freeze(this);
  }

  get size(): number {
    return this.#keys.size;
  }

  get(fileobj: FdLike): SelectorKey<T> | undefined {
    let fd: number;
    try {
      fd = this.#lookup(fileobj);
    } catch {
      return undefined; // not a file descriptor at all: not in the map, as Map.get says
    }
    return this.#keys.get(fd);
  }

  has(fileobj: FdLike): boolean {
    return this.get(fileobj) !== undefined;
  }

  keys(): MapIterator<number> {
    return this.#keys.keys();
  }

  values(): MapIterator<SelectorKey<T>> {
    return this.#keys.values();
  }

  entries(): MapIterator<[number, SelectorKey<T>]> {
    return this.#keys.entries();
  }

  [Symbol.iterator](): MapIterator<[number, SelectorKey<T>]> {
    return this.#keys.entries();
  }

  forEach(callback: (key: SelectorKey<T>, fd: number, map: ReadonlyMap<number, SelectorKey<T>>) => void, thisArg?: unknown): void {
    for (const [fd, key] of this.#keys) callback.call(thisArg, key, fd, this);
  }

  get [Symbol.toStringTag](): string {
    return 'SelectorMap';
  }
}

function show(fileobj: unknown): string {
  return inspect(fileobj, { depth: 0, breakLength: Infinity });
}

function validateEvents(events: unknown): number {
  const ev = validateInt(events, 'events', 0, 0x7fffffff);
  if (ev === 0 || (ev & ~EVENT_ALL) !== 0) throw outOfRange('events', 'EVENT_READ, EVENT_WRITE or both (1, 2 or 3)', events);
  return ev;
}

/** @internal Python's timeout for select(): undefined/null blocks (-1), <= 0 is 0, fractions round up. */
export function selectorTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs === 'number' && timeoutMs <= 0) return 0;
  return validateTimeout(timeoutMs);
}

/** A system call's error (the kernel said no), as opposed to a bug or a bad argument. */
function isSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { syscall?: unknown }).syscall === 'string';
}

/**
 * The fd -> key bookkeeping every backend shares (CPython's private
 * _BaseSelectorImpl). A backend implements select() and mirrors keys into the
 * kernel through _add, _remove and _change; this class keeps user space and
 * kernel in agreement around them. Not exported from the package.
 * @internal
 */
export abstract class BaseSelectorImpl<T = unknown> extends BaseSelector<T> {
  /** fd -> key: the selector's registrations. */
  protected readonly _fdToKey = new Map<number, SelectorKey<T>>();
  readonly #view: SelectorMap<T> = new KeyView(this._fdToKey, (f) => this._fileobjLookup(f));
  #closed = false;

  /** Put a new key into the kernel. Throwing rolls the registration back. */
  protected abstract _add(key: SelectorKey<T>): void;
  /** Take a key out of the kernel. Must accept an fd closed since it was added. */
  protected abstract _remove(key: SelectorKey<T>): void;
  /** Change a key's events in the kernel. Throwing drops the registration. */
  protected _change(key: SelectorKey<T>, old: SelectorKey<T>): void {
    this._remove(old);
    this._add(key);
  }

  register(fileobj: FdLike, events: number, ...data: SelectorData<T>): SelectorKey<T> {
    this._checkOpen();
    const ev = validateEvents(events);
    const fd = this._fileobjLookup(fileobj);
    if (this._fdToKey.has(fd)) throw keyError(`${show(fileobj)} (fd ${fd}) is already registered`);
    const key = new SelectorKey(fileobj, fd, ev, data[0] as T);
    this._fdToKey.set(fd, key);
    try {
      this._add(key);
    } catch (err) {
      this._fdToKey.delete(fd);
      throw err;
    }
    return key;
  }

  unregister(fileobj: FdLike): SelectorKey<T> {
    this._checkOpen();
    const key = this.#known(fileobj);
    this._fdToKey.delete(key.fd);
    this._remove(key);
    return key;
  }

  modify(fileobj: FdLike, events: number, ...data: SelectorData<T>): SelectorKey<T> {
    this._checkOpen();
    const ev = validateEvents(events);
    const old = this.#known(fileobj);
    const value = data[0] as T;
    if (ev === old.events && Object.is(value, old.data)) return old;
    const key = new SelectorKey(old.fileobj, old.fd, ev, value);
    if (ev !== old.events) {
      try {
        this._change(key, old);
      } catch (err) {
        // The kernel's state for this fd is unknown now: drop it, as CPython does.
        this._fdToKey.delete(old.fd);
        throw err;
      }
    }
    this._fdToKey.set(key.fd, key);
    return key;
  }

  getKey(fileobj: FdLike): SelectorKey<T> {
    this._checkOpen();
    return this.#known(fileobj);
  }

  getMap(): SelectorMap<T> {
    this._checkOpen();
    return this.#view;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this._fdToKey.clear();
  }

  /** @throws ERR_IOREADY_CLOSED once closed */
  protected _checkOpen(): void {
    if (this.#closed) throw closedError('selector');
  }

  /**
   * The fd of `fileobj`. An object that no longer yields one (closed, its
   * fileno() throws or says -1) is still found by identity among the keys,
   * so that it can be unregistered.
   */
  protected _fileobjLookup(fileobj: FdLike): number {
    try {
      return toFd(fileobj, 'fileobj');
    } catch (err) {
      for (const key of this._fdToKey.values()) if (key.fileobj === fileobj) return key.fd;
      throw err;
    }
  }

  #known(fileobj: FdLike): SelectorKey<T> {
    const key = this._fdToKey.get(this._fileobjLookup(fileobj));
    if (key === undefined) throw keyError(`${show(fileobj)} is not registered`);
    return key;
  }
}

/**
 * What a poll-like backend needs from its kernel object (Epoll and Poll both fit).
 * @internal
 */
export interface Poller {
  /**
   * Start watching `fd` for `events`, in the poller's own flags (EPOLLIN/POLLIN...).
   * If it throws, the selector rolls the registration back and rethrows.
   */
  register(fd: number, events: number): void;
  /**
   * Change the flags a watched `fd` waits for. If it throws, the selector drops
   * the registration and rethrows.
   */
  modify(fd: number, events: number): void;
  /**
   * Stop watching `fd`. A SystemError (the fd was closed meanwhile) is ignored by
   * the selector; anything else is rethrown.
   */
  unregister(fd: number): void;
}

/**
 * The family of selectors over a poll-style object: epoll(7) and poll(2)
 * (CPython's private _PollLikeSelector). Not exported from the package.
 * @internal
 */
export abstract class PollLikeSelector<T, P extends Poller> extends BaseSelectorImpl<T> {
  /** The kernel-facing object. */
  protected readonly _poller: P;
  /** Its flags for EVENT_READ, EVENT_WRITE, and the masks that decode its events. */
  readonly #in: number;
  readonly #out: number;

  protected constructor(poller: P, pollIn: number, pollOut: number) {
    super();
    this._poller = poller;
    this.#in = pollIn;
    this.#out = pollOut;
  }

  protected _add(key: SelectorKey<T>): void {
    this._poller.register(key.fd, this.#flags(key.events));
  }

  protected _remove(key: SelectorKey<T>): void {
    try {
      this._poller.unregister(key.fd);
    } catch (err) {
      // EBADF/ENOENT: the fd was closed since it was registered (CPython does the same).
      if (!isSystemError(err)) throw err;
    }
  }

  protected override _change(key: SelectorKey<T>): void {
    this._poller.modify(key.fd, this.#flags(key.events));
  }

  /** Selector events for a poller's: anything but "readable" (HUP, ERR, NVAL too) means writable, and the reverse. */
  protected _events(flags: number): number {
    return (flags & ~this.#in ? EVENT_WRITE : 0) | (flags & ~this.#out ? EVENT_READ : 0);
  }

  /** The poller's ready list as keys, dropping fds no longer registered. */
  protected _ready(list: ReadonlyArray<readonly [number, number]>): Array<SelectorEvent<T>> {
    const ready: Array<SelectorEvent<T>> = [];
    const map = this._fdToKey;
    for (const [fd, flags] of list) {
      const key = map.get(fd);
      if (key === undefined) continue;
      const events = this._events(flags) & key.events;
      if (events !== 0) ready.push([key, events]);
    }
    return ready;
  }

  #flags(events: number): number {
    return (events & EVENT_READ ? this.#in : 0) | (events & EVENT_WRITE ? this.#out : 0);
  }
}

