/**
 * GPIO chips (/dev/gpiochipN): list them, open one by path, name or label,
 * read chip and line info, find lines by name, watch line info, and request
 * lines. The chip fd is opened O_RDWR | O_NONBLOCK | O_CLOEXEC.
 */
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';

import { check, checkAgain, closedError, errnoError, invalidArgType, invalidArgValue, type SystemError } from '../internal/errors';
import { native } from '../internal/binding';
import { writeU32 } from '../internal/bytes';
import { aliasDispose, DISPOSE } from '../internal/dispose';
import { adoptFd, iteratorSignal, records, releaseFd, waitReadable, type Closable, type EventIteratorOptions } from './events';
import { checkConfig, createRequest, lineKey, LineRequest, noSuchLine, type Line, type RequestConfig } from './request';
import { namesOf, type Bias, type Drive, type Edge, type EventClock } from './settings';
import {
  CHANGED_CONFIG,
  CHANGED_RELEASED,
  CHANGED_REQUESTED,
  decodeChipInfo,
  decodeInfoChanged,
  decodeLineInfo,
  encodeLineInfoQuery,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_GET_LINEINFO_UNWATCH_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_WATCH_IOCTL,
  INFO_CHANGED_SIZE,
  LAYOUT,
  type RawChipInfo,
  type RawLineInfo,
} from './uapi';

const { EACCES, ENOENT, ENOTTY } = osConstants.errno;
const { O_CLOEXEC, O_NONBLOCK } = native.fdConstants as Record<string, number>;

/** A chip, as `gpioChips()` and `Chip.info()` describe it. */
export interface ChipInfo {
  /** Its device path: '/dev/gpiochip0'. */
  path: string;
  /** The kernel's name: 'gpiochip0'. */
  name: string;
  /** The driver's label: 'pinctrl-bcm2711' (Pi 4), 'pinctrl-rp1' (Pi 5), 'gpio-sim.0-node0'... */
  label: string;
  /** How many lines it has (offsets 0 to lines - 1). */
  lines: number;
}

/** A line's state, as the kernel reports it (GPIO_V2_GET_LINEINFO_IOCTL). */
export interface LineInfo {
  /** Its offset on the chip. */
  offset: number;
  /** Its name ('GPIO17'), '' if it has none. */
  name: string;
  /** Who holds it ('ioready', a driver's name, 'sysfs'), '' if free. */
  consumer: string;
  /** Held by a request, a driver, or sysfs. */
  used: boolean;
  /** `'input'` or `'output'`. */
  direction: 'input' | 'output';
  /** Values are inverted (logical values). */
  activeLow: boolean;
  /** Debounce period in µs (0: none). */
  debounceUs: number;
  /** `'as-is'`: the kernel does not know (no bias was requested). */
  bias: Bias;
  /** How it is driven (an output): `'push-pull'`, `'open-drain'`, `'open-source'`. */
  drive: Drive;
  /** The edges it detects for a request (`'none'` when free). */
  edge: Edge;
  /** The clock of its edge events' timestamps. */
  eventClock: EventClock;
}

/** Where `findLine()` found a line. */
export interface FoundLine {
  /** The chip's path ('/dev/gpiochip0'): give it to `requestLines` or `openChip`. */
  chip: string;
  /** The line's offset on that chip. */
  offset: number;
}

/** A change to a watched line (Chip.watchLineInfo). */
export interface InfoEvent {
  /** `'requested'`, `'released'`, or `'reconfigured'` (by anyone: this process or another). */
  type: 'requested' | 'released' | 'reconfigured';
  /** When, in ns of CLOCK_MONOTONIC. */
  timestampNs: bigint;
  /** The line's info after the change. */
  info: LineInfo;
}

function lineInfoOf(raw: RawLineInfo): LineInfo {
  const f = namesOf(raw.flags);
  return {
    offset: raw.offset,
    name: raw.name,
    consumer: raw.consumer,
    used: f.used,
    direction: f.direction,
    activeLow: f.activeLow,
    debounceUs: raw.debounceUs,
    bias: f.bias,
    drive: f.drive,
    edge: f.edge,
    eventClock: f.eventClock,
  };
}

/** The group that owns `path`, and whether the user is in it, for EACCES's advice. */
function accessAdvice(path: string): string {
  let group = 'gpio';
  try {
    const gid = fs.statSync(path).gid;
    const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(gid));
    if (line) group = line.split(':')[0]!;
  } catch {
    // keep the Raspberry Pi OS name
  }
  return `${path} belongs to the group '${group}': add your user to it (sudo usermod -aG ${group} $USER) and log in again, or run as root`;
}

/** Open a chip device; EACCES says what to do. */
function openDevice(path: string): number {
  try {
    return fs.openSync(path, fs.constants.O_RDWR | O_NONBLOCK | O_CLOEXEC);
  } catch (err) {
    const e = err as SystemError & { path?: string };
    if (e.errno === -EACCES) e.message = `EACCES: permission denied, open '${path}': ${accessAdvice(path)}`;
    throw e;
  }
}

/** GPIO_GET_CHIPINFO_IOCTL on an open chip fd; ENOTTY says it is no GPIO chip. */
function chipInfoOf(fd: number, path: string): RawChipInfo {
  const buf = Buffer.alloc(LAYOUT.SIZEOF_gpiochip_info);
  const r = native.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, buf);
  if (r === -ENOTTY || r === -osConstants.errno.EINVAL) {
    const err = errnoError(-r, 'ioctl');
    err.message = `${err.code}: ${path} is not a GPIO chip, ioctl`;
    throw err;
  }
  check(r, 'ioctl');
  return decodeChipInfo(buf);
}

const TOKEN = Symbol('Chip');

/** The /dev/gpiochipN paths of this system, by number. */
function chipPaths(): string[] {
  let names: string[];
  try {
    names = fs.readdirSync('/dev');
  } catch {
    return [];
  }
  return names
    .filter((n) => /^gpiochip[0-9]+$/.test(n))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((n) => `/dev/${n}`)
    .filter((p) => {
      try {
        return fs.statSync(p).isCharacterDevice();
      } catch {
        return false;
      }
    });
}

/**
 * Every GPIO chip of the system (/dev/gpiochip*), by number.
 * @returns their info; `[]` where there are none (a machine or container without GPIO)
 * @throws SystemError EACCES (with what to do) when a chip may not be opened
 */
export function gpioChips(): ChipInfo[] {
  const out: ChipInfo[] = [];
  for (const path of chipPaths()) {
    let fd: number;
    try {
      fd = openDevice(path);
    } catch (err) {
      if ((err as SystemError).code === 'ENOENT' || (err as SystemError).code === 'ENODEV') continue; // gone meanwhile
      throw err;
    }
    try {
      out.push({ path, ...chipInfoOf(fd, path) });
    } finally {
      native.close(fd);
    }
  }
  return out;
}

/**
 * Open a chip: by path ('/dev/gpiochip0'), by name ('gpiochip0') or by label
 * ('pinctrl-rp1': the first chip with that label, by number), so a program
 * keeps working when chip numbers change (the Pi 5's header moved from
 * gpiochip4 to gpiochip0).
 * @throws TypeError for a chip that is not a non-empty string; SystemError ENOENT for
 *   no such path, name or label, EACCES (with what to do), ENOTTY for a path that is
 *   not a GPIO chip
 */
export function openChip(chip: string): Chip {
  if (typeof chip !== 'string') throw invalidArgType('chip', 'of type string', chip);
  if (chip === '') throw invalidArgValue('chip', chip, 'must be a path, a chip name or a label');
  let path: string;
  if (chip.startsWith('/')) path = chip;
  else if (/^gpiochip[0-9]+$/.test(chip) && fs.existsSync(`/dev/${chip}`)) path = `/dev/${chip}`;
  else {
    const found = gpioChips().find((c) => c.label === chip);
    if (found === undefined) {
      const err = errnoError(ENOENT, 'open');
      err.message = `ENOENT: no GPIO chip named or labelled '${chip}'`;
      throw err;
    }
    path = found.path;
  }
  const fd = openDevice(path);
  try {
    const info = chipInfoOf(fd, path);
    return new Chip(TOKEN, fd, path, info);
  } catch (err) {
    native.close(fd);
    throw err;
  }
}

/**
 * Find a line by name across every chip (the first chip, by number, that has it).
 * @returns its chip's path and its offset, or null if no chip has a line of that name
 * @throws TypeError for a name that is not a non-empty string; SystemError EACCES
 */
export function findLine(name: string): FoundLine | null {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (name === '') throw invalidArgValue('name', name, 'must be a line name');
  for (const { path } of gpioChips()) {
    let chip: Chip;
    try {
      chip = openChip(path);
    } catch (err) {
      if ((err as SystemError).code === 'ENOENT' || (err as SystemError).code === 'ENODEV') continue;
      throw err;
    }
    try {
      return { chip: path, offset: chip.lineOffset(name) };
    } catch (err) {
      if ((err as SystemError).code !== 'ENOENT') throw err;
    } finally {
      chip.close();
    }
  }
  return null;
}

/**
 * Request lines of a chip: `requestLines('/dev/gpiochip0', { lines: { GPIO17: { edge: 'both', bias: 'pull-up' } } })`.
 * Given a chip path, name or label, the chip is opened for the call and closed
 * again (the request does not need it).
 * @returns the request, holding the lines until `release()`
 * @throws TypeError / RangeError for a bad config (before any system call);
 *   SystemError ENOENT for an unknown chip or line name, EBUSY when another consumer
 *   holds a line, EINVAL for an offset beyond the chip's lines, EACCES, ...
 */
export function requestLines(chip: string | Chip, config: RequestConfig): LineRequest {
  checkConfig(config); // before the chip is opened
  if (chip instanceof Chip) return chip.requestLines(config);
  const c = openChip(chip);
  try {
    return c.requestLines(config);
  } finally {
    c.close();
  }
}

/**
 * An open GPIO chip. Closing it does not release the line requests made
 * through it (each has its own fd).
 */
export class Chip implements Disposable {
  #fd: number;
  readonly #path: string;
  readonly #info: RawChipInfo;
  /** name -> offset of every named line (the first line of a name), made on first use. */
  #names: Map<string, number> | null = null;
  #lineNames: string[] | null = null;
  readonly #query = Buffer.alloc(LAYOUT.SIZEOF_gpio_v2_line_info);
  readonly #iterators = new Set<Closable>();

  /** @internal Made by `openChip()` only. */
  constructor(token: symbol, fd: number, path: string, info: RawChipInfo) {
    if (token !== TOKEN) throw new TypeError('Chip is made by openChip()');
    this.#fd = fd;
    this.#path = path;
    this.#info = info;
    adoptFd(this, fd);
  }

  /** The chip's fd (readable when watched lines changed), or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Its device path ('/dev/gpiochip0'). */
  get path(): string {
    return this.#path;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * The chip's path, name, label and number of lines.
   * @throws ERR_IOREADY_CLOSED once closed
   */
  info(): ChipInfo {
    this.#open();
    return { path: this.#path, ...this.#info };
  }

  /**
   * A line's info (name, consumer, direction, bias, ...).
   * @param line an offset (number or digits) or a line name
   * @throws TypeError for a line that is neither; SystemError ENOENT for an unknown name,
   *   EINVAL for an offset beyond the chip's lines; ERR_IOREADY_CLOSED once closed
   */
  lineInfo(line: Line): LineInfo {
    const fd = this.#open();
    return lineInfoOf(this.#rawInfo(fd, this.#offsetOf(line), GPIO_V2_GET_LINEINFO_IOCTL));
  }

  /**
   * The offset of the line named `name` (the first, if several share it).
   * A string of digits is taken as an offset and returned as a number.
   * @throws SystemError ENOENT (`code === 'ENOENT'`) if no line has that name;
   *   TypeError for a name that is not a non-empty string; ERR_IOREADY_CLOSED once closed
   */
  lineOffset(name: string): number {
    this.#open();
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    return this.#offsetOf(name);
  }

  /**
   * Request lines of this chip (see `requestLines`).
   * @throws as `requestLines`; ERR_IOREADY_CLOSED once closed
   */
  requestLines(config: RequestConfig): LineRequest {
    const checked = checkConfig(config);
    const fd = this.#open();
    return createRequest(
      {
        fd,
        path: this.#path,
        lineOffset: (name) => this.#offsetOf(name),
        lineName: (offset) => this.#lineNames?.[offset] ?? this.#rawInfo(fd, offset, GPIO_V2_GET_LINEINFO_IOCTL).name,
      },
      checked,
    );
  }

  /**
   * Watch a line for changes (requested, released, reconfigured: by this
   * process or any other), reported by `readInfoEvents()` and the chip's fd.
   * @returns the line's info now
   * @throws SystemError EBUSY if already watched through this chip, EINVAL, ENOENT;
   *   ERR_IOREADY_CLOSED once closed
   */
  watchLineInfo(line: Line): LineInfo {
    const fd = this.#open();
    return lineInfoOf(this.#rawInfo(fd, this.#offsetOf(line), GPIO_V2_GET_LINEINFO_WATCH_IOCTL));
  }

  /**
   * Stop watching a line.
   * @throws SystemError EBUSY if it is not watched, EINVAL, ENOENT; ERR_IOREADY_CLOSED once closed
   */
  unwatchLineInfo(line: Line): void {
    const fd = this.#open();
    const buf = Buffer.alloc(4); // a __u32 offset
    writeU32(buf, this.#offsetOf(line), 0);
    check(native.ioctl(fd, GPIO_GET_LINEINFO_UNWATCH_IOCTL, buf), 'ioctl');
  }

  /**
   * The pending changes of watched lines, without blocking.
   * @returns the events, oldest first, or `null` when none is pending
   * @throws ERR_IOREADY_CLOSED once closed; SystemError ENODEV when the chip is gone
   */
  readInfoEvents(): InfoEvent[] | null {
    const fd = this.#open();
    const n = checkAgain(native.read(fd, infoScratch, 0, infoScratch.length), 'read');
    if (n === null) return null;
    const out: InfoEvent[] = [];
    for (let at = 0; at + INFO_CHANGED_SIZE <= n; at += INFO_CHANGED_SIZE) {
      const r = decodeInfoChanged(infoScratch, at);
      const type = r.eventType === CHANGED_REQUESTED ? 'requested' : r.eventType === CHANGED_RELEASED ? 'released' : r.eventType === CHANGED_CONFIG ? 'reconfigured' : null;
      if (type !== null) out.push({ type, timestampNs: r.timestampNs, info: lineInfoOf(r.info) });
    }
    return out;
  }

  /**
   * Block the thread until a watched line changes (or the chip goes away), or `timeoutMs` passes.
   * @returns true when events are pending, false on timeout
   * @throws TypeError / RangeError for a bad timeout; ERR_IOREADY_CLOSED once closed
   */
  waitInfoEvents(timeoutMs?: number): boolean {
    return waitReadable(this.#open(), timeoutMs);
  }

  /**
   * Changes of watched lines as they come, from the Node event loop. Ends when
   * the chip is closed; throws an AbortError when `options.signal` aborts, and
   * SystemError ENODEV when the chip goes away.
   * @throws TypeError for bad options; ERR_IOREADY_CLOSED once closed
   */
  infoEvents(options?: EventIteratorOptions): AsyncIterableIterator<InfoEvent> {
    this.#open();
    const signal = iteratorSignal(options);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const chip = this;
    return records<InfoEvent>(
      {
        get fd() {
          return chip.#fd;
        },
        device: this.#path,
        batch: infoScratch.length / INFO_CHANGED_SIZE,
        read: () => this.readInfoEvents(),
        track: (it) => this.#iterators.add(it),
        untrack: (it) => this.#iterators.delete(it),
      },
      signal,
    );
  }

  /** Close the chip's fd (its watches end with it). Idempotent. Requests made through it stay. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    releaseFd(this, fd, this.#iterators);
  }

  /** The same as close(). */
  [DISPOSE](): void {
    this.close();
  }

  #open(): number {
    if (this.#fd < 0) throw closedError('GPIO chip');
    return this.#fd;
  }

  #rawInfo(fd: number, offset: number, request: number): RawLineInfo {
    encodeLineInfoQuery(this.#query, offset);
    check(native.ioctl(fd, request, this.#query), 'ioctl');
    return decodeLineInfo(this.#query);
  }

  #nameMap(): Map<string, number> {
    if (this.#names === null) {
      const fd = this.#open();
      const names = new Map<string, number>();
      const list: string[] = [];
      for (let o = 0; o < this.#info.lines; o++) {
        const n = this.#rawInfo(fd, o, GPIO_V2_GET_LINEINFO_IOCTL).name;
        list.push(n);
        if (n !== '' && !names.has(n)) names.set(n, o);
      }
      this.#names = names;
      this.#lineNames = list;
    }
    return this.#names;
  }

  #offsetOf(line: unknown): number {
    const key = lineKey(line);
    if (typeof key === 'number') return key;
    const o = this.#nameMap().get(key);
    if (o === undefined) throw noSuchLine(key, `${this.#path} (${this.#info.label})`);
    return o;
  }
}
aliasDispose(Chip.prototype);

/** Scratch for reads of info events: 64 records per read. */
const infoScratch = Buffer.alloc(64 * INFO_CHANGED_SIZE);
