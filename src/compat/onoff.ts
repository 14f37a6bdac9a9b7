/**
 * A drop-in for the `onoff` package's `Gpio` class on the kernel's GPIO
 * character device (uAPI v2) instead of the deprecated sysfs interface: the
 * same constructor, methods, callbacks, constants and errors.
 *
 * ```js
 * // const { Gpio } = require('onoff');
 * const { Gpio } = require('ioready/compat/onoff');
 * ```
 *
 * Numbers, as onoff programs write them, reach a line this way:
 * - on a Raspberry Pi (a chip labelled `pinctrl-rp1`, `pinctrl-bcm2711` or
 *   `pinctrl-bcm2835`, looked for in that order), a number below the chip's
 *   line count is the BCM number (`17`), and a number in the chip's global
 *   range is one too (`529` on a Pi 4 and `588` on a Pi 5 with kernel 6.6+:
 *   bases 512 and 571). The base is the kernel's, where it lists one
 *   (`/sys/class/gpio/gpiochipB/base`); where it does not (no sysfs GPIO),
 *   those of Pi kernels 6.6+ are assumed: 571 for `pinctrl-rp1`, 512 otherwise.
 * - elsewhere a number is global: the chip whose [base, base + ngpio) covers
 *   it, as the kernel lists them; without such a list, EINVAL.
 *
 * Behaviour kept from onoff over sysfs: values are 0 and 1, logical
 * (active-low inverts them), `writeSync(v)` writes 1 only for `v === 1`;
 * directions `'in'`, `'out'` (value 0), `'high'`, `'low'`, where 0 and 1 are
 * physical levels as sysfs's are; an edge given with an output is ignored;
 * `setEdge()` on an output, and making an input that detects edges an output,
 * throw EIO; writing an input throws EPERM; a bad direction or edge string
 * EINVAL; a line another process holds EBUSY. Watch callbacks get
 * `(err, value)` from the event loop (no thread), only for the enabled edges;
 * with `debounceTimeout` one callback once the line has been still that long,
 * with the value read then (onoff's trailing debounce). Several `Gpio` objects
 * of one number in one process share the line, as sysfs exports do; the line
 * is released when the last is unexported (or the process exits).
 *
 * Differences: each edge's callback carries the value the edge set (sysfs
 * reads the value when the callback runs, so edges close together there merge
 * or repeat a value); errors are system errors with ioready's syscall names
 * (`ioctl`) where onoff's say `write`; `unexport()` twice does nothing; edges
 * that happened before `watch()` are not reported; a line is released when
 * the process exits (sysfs keeps exports): what the line then does is the
 * driver's (most keep an output's level).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import { EPOLLIN } from '../readiness/constants';
import { Epoll as CoreEpoll } from '../readiness/epoll';
import { errnoError, type SystemError } from '../internal/errors';
import { gpioChips, openChip, requestLines } from '../gpio/chip';
import type { LineRequest } from '../gpio/request';
import type { LineSettings } from '../gpio/settings';

/** A level: 1. */
export type High = 1;
/** A level: 0. */
export type Low = 0;
/** A line's value, 0 or 1. */
export type BinaryValue = High | Low;
/** 'in', or an output: 'out' (starting at 0), 'high' or 'low'. */
export type Direction = 'in' | 'out' | 'high' | 'low';
/** The edges that call the watch callbacks. */
export type Edge = 'none' | 'rising' | 'falling' | 'both';
/** The constructor's options, as onoff's. */
export interface Options {
  /** Milliseconds the line must stay still before the watch callbacks run (default 0: no debounce). */
  debounceTimeout?: number;
  /** Invert values and edges (default: as the line is). */
  activeLow?: boolean;
  /** false: leave a line already in the asked direction alone (an output keeps its value). Default true. */
  reconfigureDirection?: boolean;
}
/** A watch or read callback: `(err, value)`. */
export type ValueCallback = (err: Error | null | undefined, value: BinaryValue) => void;

const HIGH: High = 1;
const LOW: Low = 0;
const { EINVAL, EIO, EBADF, ENOENT } = osConstants.errno;
/** Edges the kernel queues for a line (its maximum, GPIO_V2_LINES_MAX * 16). */
const EVENT_BUFFER = 1024;

/** The labels of the Raspberry Pi's header chips, in the order they are looked for, with their base on kernels 6.6+. */
const PI_CHIPS: ReadonlyArray<readonly [label: string, base: number]> = [
  ['pinctrl-rp1', 571],
  ['pinctrl-bcm2711', 512],
  ['pinctrl-bcm2835', 512],
];

/** onoff's errors come from fs: `EINVAL: invalid argument, write`, here with what was wrong. */
function sysError(errno: number, syscall: string, why?: string): SystemError {
  const err = errnoError(errno, syscall);
  if (why !== undefined) err.message += ` (${why})`;
  return err;
}

/** A chip as the kernel numbers it globally: its device path, base and line count. */
interface Bank {
  path: string;
  label: string;
  base: number | undefined;
  lines: number;
}

/**
 * The global bases the kernel lists: /sys/class/gpio/gpiochipB/{base,ngpio,label}
 * (CONFIG_GPIO_SYSFS), by character device. That entry's parent is the chip's
 * device: the gpiochipN itself on some kernels, the driver's device (which may
 * hold several) on others (6.1): then the gpiochipN below it with the same label
 * and line count.
 */
function listedBases(chips: ReadonlyArray<{ path: string; label: string; lines: number }>): Map<string, number> {
  const bases = new Map<string, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/sys/class/gpio');
  } catch {
    return bases; // no sysfs GPIO in this kernel
  }
  for (const entry of entries) {
    if (!/^gpiochip\d+$/.test(entry)) continue;
    try {
      const dir = path.join('/sys/class/gpio', entry);
      const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8').trim();
      const base = Number(read('base'));
      const parent = path.dirname(path.dirname(fs.realpathSync(dir)));
      let device: string | undefined;
      if (/^gpiochip\d+$/.test(path.basename(parent))) device = `/dev/${path.basename(parent)}`;
      else {
        const label = read('label');
        const lines = Number(read('ngpio'));
        const below = new Set(fs.readdirSync(parent).filter((n) => /^gpiochip\d+$/.test(n)).map((n) => `/dev/${n}`));
        device = chips.find((c) => below.has(c.path) && c.label === label && c.lines === lines && !bases.has(c.path))?.path;
      }
      if (device !== undefined && Number.isInteger(base)) bases.set(device, base);
    } catch {
      // a chip going away meanwhile
    }
  }
  return bases;
}

/**
 * The line an onoff number names (the rule in the module's comment).
 * @throws SystemError EINVAL when no chip has it, as sysfs's export does
 */
function resolveGpio(gpio: number): { chip: string; offset: number } {
  const chips = gpioChips();
  const bases = listedBases(chips);
  const banks: Bank[] = chips.map((c) => ({ path: c.path, label: c.label, lines: c.lines, base: bases.get(c.path) }));
  for (const [label, piBase] of PI_CHIPS) {
    const pi = banks.find((b) => b.label === label);
    if (pi === undefined) continue;
    if (gpio < pi.lines) return { chip: pi.path, offset: gpio };
    const base = pi.base ?? piBase;
    if (gpio >= base && gpio < base + pi.lines) return { chip: pi.path, offset: gpio - base };
    break;
  }
  for (const b of banks) {
    if (b.base !== undefined && gpio >= b.base && gpio < b.base + b.lines) return { chip: b.path, offset: gpio - b.base };
  }
  const why =
    banks.length === 0
      ? 'no GPIO chip in /dev'
      : bases.size === 0
        ? `no Raspberry Pi chip, and the kernel lists no GPIO bases to map GPIO ${gpio} by: name the line with ioready's gpio API`
        : `no chip has GPIO ${gpio}`;
  throw sysError(EINVAL, 'write', why);
}

/** What the watch needs of a Gpio object (its fields are private to it). */
interface Handle {
  /** An edge (value) or the chip's failure (err), for its callbacks. */
  deliver(err: Error | null, value: BinaryValue | undefined): void;
  /** It has watch callbacks. */
  listening(): boolean;
}

/** The line a number reached, shared by every Gpio of it in this process (one request, as one sysfs export). */
class Line {
  readonly key: string;
  readonly chip: string;
  readonly offset: number;
  readonly request: LineRequest;
  /** The Gpio objects of this line, each with how it hears of edges. */
  readonly handles = new Map<Gpio, Handle>();
  direction: 'in' | 'out';
  edge: Edge = 'none';
  activeLow: boolean;
  watched = false;

  constructor(key: string, chip: string, offset: number, request: LineRequest, direction: 'in' | 'out', activeLow: boolean) {
    this.key = key;
    this.chip = chip;
    this.offset = offset;
    this.request = request;
    this.direction = direction;
    this.activeLow = activeLow;
  }

  /** Ask the kernel for the line's settings as they now are here (an output keeps `value`, logical). */
  reconfigure(value?: BinaryValue): void {
    const s: LineSettings = { direction: this.direction === 'in' ? 'input' : 'output', activeLow: this.activeLow };
    if (this.direction === 'in') s.edge = this.edge;
    else s.value = value ?? LOW;
    this.request.reconfigureLines({ [this.offset]: s });
  }

  get value(): BinaryValue {
    return this.request.getValue(this.offset) === 1 ? HIGH : LOW;
  }
}

const lines = new Map<string, Line>();

/** The readiness of every watched line's request fd, on the event loop; started while one is watched. */
let epoll: CoreEpoll | null = null;
const watchedFds = new Map<number, Line>();

function onReadable(fd: number): void {
  const line = watchedFds.get(fd);
  if (line === undefined) return;
  // One read per wake-up: it takes every queued edge (up to the queue's 1,024), and
  // epoll, level-triggered, calls again if more came meanwhile.
  let events;
  try {
    events = line.request.readEdgeEvents();
  } catch (err) {
    // The chip went away (ENODEV): tell the listeners once and stop watching it.
    stopWatching(line);
    for (const h of [...line.handles.values()]) h.deliver(err as Error, undefined);
    return;
  }
  if (events === null) return;
  for (const ev of events) {
    const value: BinaryValue = ev.type === 'rising' ? HIGH : LOW;
    for (const h of line.handles.values()) h.deliver(null, value);
  }
}

function startWatching(line: Line): void {
  if (line.watched) return;
  epoll ??= new CoreEpoll();
  // Edges from before the first watch() are not reported: drain them.
  while (line.request.readEdgeEvents() !== null);
  epoll.register(line.request.fd, EPOLLIN);
  watchedFds.set(line.request.fd, line);
  line.watched = true;
  if (watchedFds.size === 1) epoll.start(onReadable);
}

function stopWatching(line: Line): void {
  if (!line.watched || epoll === null) return;
  line.watched = false;
  watchedFds.delete(line.request.fd);
  try {
    epoll.unregister(line.request.fd);
  } catch {
    // the request's fd is gone with its chip
  }
  if (watchedFds.size === 0) {
    // Nothing watched: the process may exit, and no fd stays open for nothing.
    epoll.close();
    epoll = null;
  }
}

function toNumber(gpio: unknown): number {
  // onoff writes `'' + gpio` to /sys/class/gpio/export: 17 and '17' are the same.
  const text = typeof gpio === 'number' || typeof gpio === 'string' ? String(gpio).trim() : '';
  if (!/^\d{1,9}$/.test(text)) throw sysError(EINVAL, 'write', `not a GPIO number: ${String(gpio)}`);
  return Number(text);
}

function checkDirection(direction: unknown): Direction {
  if (direction === 'in' || direction === 'out' || direction === 'high' || direction === 'low') return direction;
  throw sysError(EINVAL, 'write', `direction must be 'in', 'out', 'high' or 'low', not ${String(direction)}`);
}

function checkEdge(edge: unknown): Edge {
  if (edge === 'none' || edge === 'rising' || edge === 'falling' || edge === 'both') return edge;
  throw sysError(EINVAL, 'write', `edge must be 'none', 'rising', 'falling' or 'both', not ${String(edge)}`);
}

/** The logical value an output starts at for a direction: sysfs's 'high'/'low'/'out' are physical levels. */
function startValue(direction: Direction, activeLow: boolean): BinaryValue {
  const physical = direction === 'high' ? 1 : 0;
  return (physical ^ (activeLow ? 1 : 0)) === 1 ? HIGH : LOW;
}

/** Claim the line for this process, with the constructor's settings applied at once. */
function claim(gpio: number, direction: Direction, edge: Edge | undefined, options: Options): Line {
  const { chip, offset } = resolveGpio(gpio);
  const key = `${chip}:${offset}`;
  const shared = lines.get(key);
  const wantsDirection = direction === 'in' ? 'in' : 'out';
  const reconfigureDirection = typeof options.reconfigureDirection === 'boolean' ? options.reconfigureDirection : true;
  if (shared !== undefined) {
    // Already exported here: apply the settings in onoff's order (active-low, direction, edge).
    if (typeof options.activeLow === 'boolean' && options.activeLow !== shared.activeLow) {
      const physical = shared.direction === 'out' ? shared.value ^ (shared.activeLow ? 1 : 0) : 0;
      shared.activeLow = options.activeLow;
      shared.reconfigure(shared.direction === 'out' ? ((physical ^ (shared.activeLow ? 1 : 0)) as BinaryValue) : undefined);
    }
    if (reconfigureDirection || shared.direction !== wantsDirection) setLineDirection(shared, direction);
    if (edge !== undefined && direction === 'in') setLineEdge(shared, edge);
    return shared;
  }
  // A new request: read where the line stands, then ask for everything in one ioctl.
  let info;
  {
    const c = openChip(chip);
    try {
      info = c.lineInfo(offset);
    } finally {
      c.close();
    }
  }
  const activeLow = typeof options.activeLow === 'boolean' ? options.activeLow : info.activeLow;
  const keep = !reconfigureDirection && info.direction === (wantsDirection === 'in' ? 'input' : 'output');
  const settings: LineSettings = { activeLow };
  let lineEdge: Edge = 'none';
  if (keep) settings.direction = 'as-is';
  else if (wantsDirection === 'in') settings.direction = 'input';
  else {
    settings.direction = 'output';
    settings.value = startValue(direction, activeLow);
  }
  if (wantsDirection === 'in' && edge !== undefined && edge !== 'none') {
    settings.direction = 'input';
    settings.edge = edge;
    lineEdge = edge;
  }
  // The kernel's largest queue (48 bytes an edge): sysfs has none, so onoff programs never
  // size one; 1,024 edges outlast a stall of a second at 1 kHz.
  const request = requestLines(chip, { consumer: 'ioready/onoff', lines: { [offset]: settings }, eventBufferSize: EVENT_BUFFER });
  const line = new Line(key, chip, offset, request, wantsDirection, activeLow);
  line.edge = lineEdge;
  lines.set(key, line);
  return line;
}

function setLineDirection(line: Line, direction: Direction): void {
  if (direction === 'in') {
    line.direction = 'in';
    line.reconfigure();
    return;
  }
  // sysfs: an input with edge detection on is tied to its interrupt; it cannot become an output.
  if (line.direction === 'in' && line.edge !== 'none') throw sysError(EIO, 'write', 'the line detects edges: set its edge to none first');
  line.direction = 'out';
  line.reconfigure(startValue(direction, line.activeLow));
}

function setLineEdge(line: Line, edge: Edge): void {
  if (line.direction === 'out') throw sysError(EIO, 'write', 'an output has no edges');
  line.edge = edge;
  line.reconfigure();
}

/**
 * onoff's `Gpio`: one GPIO line, by number, on the character device.
 */
export class Gpio {
  /** The value 1. */
  static readonly HIGH: High = HIGH;
  /** The value 0. */
  static readonly LOW: Low = LOW;

  /** True if some GPIO chip (/dev/gpiochipN) can be opened for reading and writing by this process. */
  static get accessible(): boolean {
    let names: string[];
    try {
      names = fs.readdirSync('/dev').filter((n) => /^gpiochip\d+$/.test(n));
    } catch {
      return false;
    }
    for (const n of names) {
      try {
        fs.closeSync(fs.openSync(`/dev/${n}`, 'r+'));
        return true;
      } catch {
        // the next one
      }
    }
    return false;
  }

  #line: Line | null;
  readonly #gpio: number;
  #listeners: ValueCallback[] = [];
  #risingEnabled = false;
  #fallingEnabled = false;
  readonly #debounceTimeout: number;
  #debounceTimer: NodeJS.Timeout | undefined;

  /**
   * Claim a line and configure it.
   * @param gpio the GPIO number: BCM (`17`) or global (`529`, `588`) on a Pi, global elsewhere
   * @param direction 'in', 'out' (an output at 0), 'high' or 'low'
   * @param edge the edges watch callbacks run for (inputs only; default 'none'); may be left out for options
   * @param options debounceTimeout, activeLow, reconfigureDirection
   * @throws SystemError EINVAL (no such GPIO, bad direction or edge), EBUSY (held by
   *   another process), EACCES (the chip may not be opened: join the `gpio` group), EIO
   */
  constructor(gpio: number, direction: Direction, edge?: Edge | Options, options?: Options) {
    if (typeof edge === 'object' && edge !== null && !options) {
      options = edge;
      edge = undefined;
    }
    const o: Options = options ?? {};
    const n = toNumber(gpio);
    const d = checkDirection(direction);
    const e = edge === undefined || edge === null || (edge as unknown) === '' ? undefined : checkEdge(edge);
    this.#gpio = n;
    this.#debounceTimeout = typeof o.debounceTimeout === 'number' && o.debounceTimeout > 0 ? o.debounceTimeout : 0;
    this.#line = claim(n, d, e, o);
    this.#line.handles.set(this, { deliver: this.#deliver, listening: () => this.#listeners.length > 0 });
    if (e !== undefined && d === 'in') this.#setEnabled(e);
  }

  /**
   * Read the value; with no callback, a promise of it.
   * @param callback `(err, value)`, called from the event loop
   */
  read(callback: ValueCallback): void;
  read(): Promise<BinaryValue>;
  read(callback?: ValueCallback): Promise<BinaryValue> | void {
    if (!callback) {
      return new Promise((resolve, reject) => setImmediate(() => {
        try {
          resolve(this.readSync());
        } catch (err) {
          reject(err);
        }
      }));
    }
    setImmediate(() => {
      let value: BinaryValue;
      try {
        value = this.readSync();
      } catch (err) {
        if (typeof callback === 'function') callback(err as Error, undefined as never);
        return;
      }
      if (typeof callback === 'function') callback(null, value);
    });
  }

  /**
   * The value now.
   * @returns 0 or 1 (logical: active-low inverts it)
   * @throws SystemError EBADF after unexport(), ENODEV if the chip went away
   */
  readSync(): BinaryValue {
    return this.#open('read').value;
  }

  /**
   * Write the value; with no callback, a promise.
   * @param value 1 sets the line, anything else clears it
   * @param callback `(err)`, called from the event loop
   */
  write(value: BinaryValue, callback: (err: Error | null | undefined) => void): void;
  write(value: BinaryValue): Promise<void>;
  write(value: BinaryValue, callback?: (err: Error | null | undefined) => void): Promise<void> | void {
    if (!callback) {
      return new Promise((resolve, reject) => setImmediate(() => {
        try {
          this.writeSync(value);
          resolve();
        } catch (err) {
          reject(err);
        }
      }));
    }
    setImmediate(() => {
      try {
        this.writeSync(value);
      } catch (err) {
        if (typeof callback === 'function') callback(err as Error);
        return;
      }
      if (typeof callback === 'function') callback(null);
    });
  }

  /**
   * Set the value now.
   * @param value 1 sets the line, anything else clears it (as onoff)
   * @throws SystemError EPERM for an input, EBADF after unexport()
   */
  writeSync(value: BinaryValue): void {
    const line = this.#open('write');
    line.request.setValue(line.offset, value === HIGH ? HIGH : LOW);
  }

  /**
   * Call `callback(err, value)` at each enabled edge (after the debounce, if
   * any), from the event loop. The process stays alive while a callback is watched.
   * @throws SystemError EBADF after unexport()
   */
  watch(callback: ValueCallback): void {
    const line = this.#open('epoll_ctl');
    this.#listeners.push(callback);
    if (this.#listeners.length === 1) startWatching(line);
  }

  /** Remove `callback`, or every callback when none is given. */
  unwatch(callback?: ValueCallback): void {
    if (this.#listeners.length === 0) return;
    this.#listeners = typeof callback === 'function' ? this.#listeners.filter((l) => l !== callback) : [];
    if (this.#listeners.length > 0) return;
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = undefined;
    const line = this.#line;
    if (line !== null && ![...line.handles.values()].some((h) => h.listening())) stopWatching(line);
  }

  /** Remove every watch callback. */
  unwatchAll(): void {
    this.unwatch();
  }

  /**
   * @returns 'in' or 'out'
   * @throws SystemError ENOENT after unexport()
   */
  direction(): 'in' | 'out' {
    return this.#open('open', ENOENT).direction;
  }

  /**
   * Make the line an input, or an output ('out' and 'low': level 0, 'high': level 1).
   * @throws SystemError EINVAL for another string, EIO to make an output of an
   *   input that detects edges, ENOENT after unexport()
   */
  setDirection(direction: Direction): void {
    const line = this.#open('open', ENOENT);
    setLineDirection(line, checkDirection(direction));
  }

  /**
   * @returns the edges the line detects: 'none', 'rising', 'falling' or 'both'
   * @throws SystemError ENOENT after unexport()
   */
  edge(): Edge {
    return this.#open('open', ENOENT).edge;
  }

  /**
   * Detect these edges (and call the watch callbacks for them).
   * @throws SystemError EINVAL for another string, EIO on an output, ENOENT after unexport()
   */
  setEdge(edge: Edge): void {
    const line = this.#open('open', ENOENT);
    const e = checkEdge(edge);
    setLineEdge(line, e);
    this.#setEnabled(e);
  }

  /**
   * @returns true if values and edges are inverted
   * @throws SystemError ENOENT after unexport()
   */
  activeLow(): boolean {
    return this.#open('open', ENOENT).activeLow;
  }

  /**
   * Invert values and edges (true) or not; an output keeps its level.
   * @throws SystemError ENOENT after unexport()
   */
  setActiveLow(invert: boolean): void {
    const line = this.#open('open', ENOENT);
    const al = !!invert;
    if (al === line.activeLow) return;
    const physical = line.direction === 'out' ? line.value ^ (line.activeLow ? 1 : 0) : 0;
    line.activeLow = al;
    line.reconfigure(line.direction === 'out' ? ((physical ^ (al ? 1 : 0)) as BinaryValue) : undefined);
  }

  /** Stop watching and let go of the line (released once no Gpio of it is left). A second call does nothing. */
  unexport(): void {
    const line = this.#line;
    if (line === null) return;
    this.unwatchAll();
    this.#line = null;
    line.handles.delete(this);
    if (line.handles.size > 0) return;
    stopWatching(line);
    lines.delete(line.key);
    line.request.release();
  }

  /** An edge (value) or the chip's failure (err), for this object's callbacks. */
  #deliver = (err: Error | null, value: BinaryValue | undefined): void => {
    if (this.#listeners.length === 0) return;
    if (err === null && this.#debounceTimeout > 0) {
      clearTimeout(this.#debounceTimer);
      this.#debounceTimer = setTimeout(this.#settled, this.#debounceTimeout);
      return;
    }
    if (err === null && !this.#enabled(value!)) return;
    for (const l of this.#listeners.slice(0)) l(err, value as BinaryValue);
  };

  /** The debounce ran out: the value now, if it is an enabled edge's. */
  #settled = (): void => {
    this.#debounceTimer = undefined;
    let value: BinaryValue;
    let err: Error | null = null;
    try {
      value = this.readSync();
    } catch (e) {
      err = e as Error;
      value = undefined as never;
    }
    if (err === null && !this.#enabled(value)) return;
    for (const l of this.#listeners.slice(0)) l(err, value);
  };

  #enabled(value: BinaryValue): boolean {
    return value === HIGH ? this.#risingEnabled : this.#fallingEnabled;
  }

  #setEnabled(edge: Edge): void {
    this.#risingEnabled = edge === 'both' || edge === 'rising';
    this.#fallingEnabled = edge === 'both' || edge === 'falling';
  }

  /** The line, or onoff's error after unexport (EBADF on its closed value fd, ENOENT on its removed sysfs files). */
  #open(syscall: string, errno = EBADF): Line {
    if (this.#line === null) throw sysError(errno, syscall, `GPIO ${this.#gpio} was unexported`);
    return this.#line;
  }
}

// onoff's constants are read-only properties of the class.
Object.defineProperty(Gpio, 'HIGH', { writable: false, configurable: false });
Object.defineProperty(Gpio, 'LOW', { writable: false, configurable: false });
