/**
 * A line request: lines of one chip held by this process, through the fd the
 * kernel returns for GPIO_V2_GET_LINE_IOCTL. Values, reconfiguration, and the
 * edge events the fd becomes readable for (48-byte gpio_v2_line_event records).
 */
import { constants as osConstants } from 'node:os';

import { setBlocking } from '../fd/fd';
import { check, checkAgain, closedError, errnoError, invalidArgType, invalidArgValue, outOfRange } from '../internal/errors';
import { native } from '../internal/binding';
import { aliasDispose, DISPOSE } from '../internal/dispose';
import { validateInt } from '../internal/validate';
import { adoptFd, iteratorSignal, records, releaseFd, waitReadable, type Closable, type EventIteratorOptions } from './events';
import { groupConfig, resolveSettings, type LineSettings, type Resolved } from './settings';
import {
  bitAt,
  decodeEdgeEvent,
  encodeConfig,
  encodeRequest,
  EVENT_RISING,
  EVENT_SIZE,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_CONFIG_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LAYOUT,
  LINES_MAX,
  NAME_SIZE,
  requestFd,
  writeU64Halves,
} from './uapi';

const { ENOENT } = osConstants.errno;

/** A line: its offset on the chip (a number, or a string of digits), or its name (`'GPIO17'`). */
export type Line = number | string;

/** The lines of a request and the settings of each: `{ GPIO17: { edge: 'both' }, 4: { direction: 'output' } }`. */
export type LinesConfig = Record<string, LineSettings> | Map<number | string, LineSettings>;

/** What `requestLines` asks the kernel for. */
export interface RequestConfig {
  /** Shown as the lines' consumer in line info (at most 31 bytes; default 'ioready'). */
  consumer?: string;
  /** The lines and their settings (1 to 64 lines of one chip). */
  lines: LinesConfig;
  /**
   * Edge events the kernel keeps for this request before it drops the oldest
   * (0, the default: 16 per line; at most 1024; the kernel rounds up to a power of two).
   */
  eventBufferSize?: number;
}

/** One edge, as the kernel recorded it. */
export interface EdgeEvent {
  /** `'rising'` (inactive to active) or `'falling'`: logical, so an active-low line's press of a button to ground is `'rising'`. */
  type: 'rising' | 'falling';
  /** The line's offset on the chip. */
  offset: number;
  /** When the kernel saw the edge, in ns of the line's event clock (CLOCK_MONOTONIC by default, as `process.hrtime.bigint()`). */
  timestampNs: bigint;
  /** The event's number in this request, from 1 across all its lines: a gap means the kernel dropped events. */
  seqno: number;
  /** The event's number on its line, from 1. */
  lineSeqno: number;
}

/** A line key, checked: an offset (number) or a name (string). */
export function lineKey(line: unknown, name = 'line'): number | string {
  if (typeof line === 'number') return validateInt(line, name, 0, 0xffffffff);
  if (typeof line === 'string') {
    if (/^[0-9]+$/.test(line)) {
      const n = Number(line);
      if (n > 0xffffffff) throw outOfRange(name, 'an offset <= 4294967295', line);
      return n;
    }
    if (line === '') throw invalidArgValue(name, line, 'must be an offset or a line name');
    return line;
  }
  throw invalidArgType(name, 'an offset (number or string of digits) or a line name (string)', line);
}

/** The entries of a LinesConfig, checked (keys and settings), in order. */
export function linesEntries(lines: unknown, name = 'lines'): Array<[number | string, Resolved]> {
  let entries: Array<[unknown, unknown]>;
  if (lines instanceof Map) entries = [...lines.entries()];
  else if (typeof lines === 'object' && lines !== null && !Array.isArray(lines)) entries = Object.entries(lines);
  else throw invalidArgType(name, 'an object or a Map of line settings', lines);
  if (entries.length === 0) throw invalidArgValue(name, lines, 'must name at least one line');
  if (entries.length > LINES_MAX) throw outOfRange(`${name}`, `at most ${LINES_MAX} lines`, `${entries.length} lines`);
  return entries.map(([k, v]) => {
    const key = lineKey(k, `${name} key`);
    return [key, resolveSettings(v, `${name}[${JSON.stringify(String(k))}]`)];
  });
}

/** A request's config, checked before anything touches the kernel. */
export interface CheckedConfig {
  consumer: Buffer;
  lines: Array<[number | string, Resolved]>;
  eventBufferSize: number;
}

/** Check a RequestConfig (no system call). */
export function checkConfig(config: unknown): CheckedConfig {
  if (typeof config !== 'object' || config === null) throw invalidArgType('config', 'of type object', config);
  const c = config as Partial<RequestConfig>;
  let consumer = Buffer.from('ioready');
  if (c.consumer !== undefined) {
    if (typeof c.consumer !== 'string') throw invalidArgType('config.consumer', 'of type string', c.consumer);
    if (c.consumer.includes('\0')) throw invalidArgValue('config.consumer', c.consumer, 'must not contain NUL');
    consumer = Buffer.from(c.consumer, 'utf8');
    if (consumer.length > NAME_SIZE - 1) throw outOfRange('config.consumer', `at most ${NAME_SIZE - 1} bytes of UTF-8`, c.consumer);
  }
  const eventBufferSize = c.eventBufferSize === undefined ? 0 : validateInt(c.eventBufferSize, 'config.eventBufferSize', 0, LINES_MAX * 16);
  return { consumer, lines: linesEntries(c.lines, 'config.lines'), eventBufferSize };
}

/** What creating a request needs from its chip. */
export interface ChipAccess {
  fd: number;
  path: string;
  /** A line name's offset (an Error ENOENT if none). */
  lineOffset(name: string): number;
  /** The name of the line at `offset` ('' if unnamed). */
  lineName(offset: number): string;
}

/** Scratch for reads of edge events: the kernel's largest buffer (1024 events) in one read. */
const READ_MAX = LINES_MAX * 16;
const eventScratch = Buffer.alloc(READ_MAX * EVENT_SIZE);

/** Make a request (GPIO_V2_GET_LINE_IOCTL) on an open chip. */
export function createRequest(chip: ChipAccess, config: CheckedConfig): LineRequest {
  const offsets: number[] = [];
  const seen = new Map<number, number | string>();
  for (const [key] of config.lines) {
    const offset = typeof key === 'number' ? key : chip.lineOffset(key);
    const before = seen.get(offset);
    if (before !== undefined) {
      throw invalidArgValue('config.lines', key, `names line ${offset} twice (as ${JSON.stringify(before)} and ${JSON.stringify(key)})`);
    }
    seen.set(offset, key);
    offsets.push(offset);
  }
  const settings = config.lines.map(([, s]) => s);
  const { flags, attrs } = groupConfig(settings, settings.map((s) => s.value ?? 0));
  const buf = encodeRequest(offsets, config.consumer, flags, attrs, config.eventBufferSize);
  check(native.ioctl(chip.fd, GPIO_V2_GET_LINE_IOCTL, buf), 'ioctl');
  const fd = requestFd(buf);
  try {
    setBlocking(fd, false);
    const names = offsets.map((o) => chip.lineName(o));
    return new LineRequest(TOKEN, fd, chip.path, offsets, names, settings);
  } catch (err) {
    native.close(fd);
    throw err;
  }
}

const TOKEN = Symbol('LineRequest');

/**
 * Lines of one chip, held until `release()`. Values are logical: an
 * active-low line reads 1 when its pin is low, as the kernel reports it.
 *
 * Edge events: `readEdgeEvents()` (non-blocking), `waitEdgeEvents(ms)`
 * (blocks the thread), `edgeEvents()` (an async iterator on the event loop),
 * or the `fd` in your own Epoll (readable when events are pending; it is
 * non-blocking). When events come faster than they are read, the kernel keeps
 * the newest `eventBufferSize` and drops the oldest: `seqno` then jumps, and
 * `lostEvents` counts the events so lost.
 */
export class LineRequest implements Disposable {
  #fd: number;
  readonly #chip: string;
  readonly #offsets: readonly number[];
  /** offset -> index in the request. */
  readonly #index = new Map<number, number>();
  /** line name -> offset, for the requested lines that have one. */
  readonly #names = new Map<string, number>();
  readonly #settings: Resolved[];
  /** A gpio_v2_line_values with every line in its mask, for getValue(s). */
  readonly #all = Buffer.alloc(LAYOUT.SIZEOF_gpio_v2_line_values);
  readonly #values = Buffer.alloc(LAYOUT.SIZEOF_gpio_v2_line_values);
  readonly #iterators = new Set<Closable>();
  #lastSeqno = 0;
  #lost = 0;

  /** @internal Made by `requestLines()` / `Chip.requestLines()` only. */
  constructor(token: symbol, fd: number, chip: string, offsets: number[], names: string[], settings: Resolved[]) {
    if (token !== TOKEN) throw new TypeError('LineRequest is made by requestLines()');
    this.#fd = fd;
    this.#chip = chip;
    this.#offsets = Object.freeze([...offsets]);
    this.#settings = settings;
    offsets.forEach((o, i) => {
      this.#index.set(o, i);
      const n = names[i];
      if (n && !this.#names.has(n)) this.#names.set(n, o);
    });
    const n = offsets.length;
    writeU64Halves(this.#all, LAYOUT.OFFSETOF_gpio_v2_line_values_mask, n >= 32 ? 0xffffffff : 2 ** n - 1, n > 32 ? 2 ** (n - 32) - 1 : 0);
    adoptFd(this, fd);
  }

  /** The request's fd (readable when edge events are pending; non-blocking), or -1 once released. */
  get fd(): number {
    return this.#fd;
  }

  /** The requested lines' offsets, in the order they were requested (a copy). */
  get offsets(): number[] {
    return [...this.#offsets];
  }

  /** The path of the chip the lines belong to ('/dev/gpiochip0'). */
  get chip(): string {
    return this.#chip;
  }

  /** True once released. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Edge events the kernel dropped (buffer overflow), as the seqno gaps `readEdgeEvents()` has seen so far. */
  get lostEvents(): number {
    return this.#lost;
  }

  /**
   * The logical value of one requested line.
   * @param line an offset (number or digits) or a name of a requested line
   * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a line that is
   *   not one of this request's; ERR_IOREADY_CLOSED once released; SystemError ENODEV
   *   when the chip is gone
   */
  getValue(line: Line): 0 | 1 {
    const fd = this.#open();
    const i = this.#indexOf(line);
    check(native.ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, this.#all), 'ioctl');
    return bitAt(this.#all, 0, i);
  }

  /**
   * The logical values of `lines` (default: every requested line, in `offsets` order).
   * @throws as getValue()
   */
  getValues(lines?: readonly Line[]): Array<0 | 1> {
    const fd = this.#open();
    const idx = lines === undefined ? this.#offsets.map((_, i) => i) : this.#indexesOf(lines);
    check(native.ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, this.#all), 'ioctl');
    return idx.map((i) => bitAt(this.#all, 0, i));
  }

  /**
   * Set one output line's logical value.
   * @throws TypeError / RangeError for a line not in this request or a value other
   *   than 0 or 1; ERR_IOREADY_CLOSED once released; SystemError EPERM when the line
   *   is not an output, ENODEV when the chip is gone
   */
  setValue(line: Line, value: 0 | 1): void {
    const fd = this.#open();
    const i = this.#indexOf(line);
    checkBit(value, 'value');
    this.#writeValues([[i, value]]);
    check(native.ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, this.#values), 'ioctl');
  }

  /**
   * Set several output lines' logical values at once (one ioctl).
   * @param values `{ GPIO17: 1, 4: 0 }` or a Map of line to value
   * @throws as setValue()
   */
  setValues(values: Record<string, 0 | 1> | Map<number | string, 0 | 1>): void {
    const fd = this.#open();
    let entries: Array<[unknown, unknown]>;
    if (values instanceof Map) entries = [...values.entries()];
    else if (typeof values === 'object' && values !== null && !Array.isArray(values)) entries = Object.entries(values);
    else throw invalidArgType('values', 'an object or a Map of line values', values);
    const pairs = entries.map(([k, v]): [number, 0 | 1] => [this.#indexOf(k as Line), checkBit(v, `values[${JSON.stringify(String(k))}]`)]);
    if (pairs.length === 0) return;
    this.#writeValues(pairs);
    check(native.ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, this.#values), 'ioctl');
  }

  /**
   * Change the settings of requested lines (GPIO_V2_LINE_SET_CONFIG_IOCTL).
   * Lines not named keep their settings; an output that stays an output and is
   * given no `value` keeps its current value (an input turned output starts at
   * its `value`, default 0). Edge detection can be changed too.
   * @param lines settings by line, as in `requestLines`; only lines of this request
   * @throws TypeError / RangeError for bad settings or lines not in this request;
   *   ERR_IOREADY_CLOSED once released; SystemError as the kernel says (EINVAL, ENODEV)
   */
  reconfigureLines(lines: LinesConfig): void {
    const fd = this.#open();
    const entries = linesEntries(lines, 'lines');
    const next = [...this.#settings];
    const given = new Set<number>();
    for (const [key, s] of entries) {
      const i = this.#indexOf(key);
      next[i] = s;
      given.add(i);
    }
    const current = this.getValues();
    const values = next.map((s, i): 0 | 1 => {
      if (given.has(i) && s.value !== undefined) return s.value;
      return this.#settings[i]!.direction === 'output' ? current[i]! : 0;
    });
    const { flags, attrs } = groupConfig(next, values);
    const buf = Buffer.alloc(LAYOUT.SIZEOF_gpio_v2_line_config);
    encodeConfig(buf, 0, flags, attrs);
    check(native.ioctl(fd, GPIO_V2_LINE_SET_CONFIG_IOCTL, buf), 'ioctl');
    // Remember each line's settings, with the value it now has, for the next reconfigure.
    next.forEach((s, i) => {
      this.#settings[i] = s.direction === 'output' ? { ...s, value: values[i] } : s;
    });
  }

  /**
   * Read the pending edge events, without blocking.
   * @param maxEvents read at most this many (default: all, up to 1024 per call)
   * @returns the events, oldest first, or `null` when none is pending
   * @throws RangeError for maxEvents outside 1-1024; ERR_IOREADY_CLOSED once released;
   *   SystemError ENODEV when the chip is gone
   */
  readEdgeEvents(maxEvents?: number): EdgeEvent[] | null {
    const fd = this.#open();
    const max = maxEvents === undefined ? LINES_MAX * 16 : validateInt(maxEvents, 'maxEvents', 1, LINES_MAX * 16);
    const n = checkAgain(native.read(fd, eventScratch, 0, max * EVENT_SIZE), 'read');
    if (n === null) return null;
    const out: EdgeEvent[] = [];
    for (let at = 0; at + EVENT_SIZE <= n; at += EVENT_SIZE) {
      const r = decodeEdgeEvent(eventScratch, at);
      // seqno counts every event the kernel made for this request: a jump is events it dropped.
      if (r.seqno > this.#lastSeqno + 1 && this.#lastSeqno !== 0) this.#lost += r.seqno - this.#lastSeqno - 1;
      else if (this.#lastSeqno === 0 && r.seqno > 1) this.#lost += r.seqno - 1;
      this.#lastSeqno = r.seqno;
      out.push({ type: r.id === EVENT_RISING ? 'rising' : 'falling', offset: r.offset, timestampNs: r.timestampNs, seqno: r.seqno, lineSeqno: r.lineSeqno });
    }
    return out;
  }

  /**
   * Block the thread until edge events are pending (as Python's wait_edge_events()).
   * @param timeoutMs undefined, negative or Infinity: forever; 0: at once; fractions round up
   * @returns true when events are pending (or the chip is gone: the read says ENODEV), false on timeout
   * @throws TypeError / RangeError for a bad timeout; ERR_IOREADY_CLOSED once released
   */
  waitEdgeEvents(timeoutMs?: number): boolean {
    const fd = this.#open();
    return waitReadable(fd, timeoutMs);
  }

  /**
   * The edge events as they come, from the Node event loop (no thread blocked):
   * `for await (const e of req.edgeEvents()) ...`. The iteration ends when the
   * request is released; it throws an AbortError when `options.signal` aborts,
   * and SystemError ENODEV when the chip goes away.
   * @throws TypeError ERR_INVALID_ARG_TYPE for bad options; ERR_IOREADY_CLOSED once released
   */
  edgeEvents(options?: EventIteratorOptions): AsyncIterableIterator<EdgeEvent> {
    this.#open();
    const signal = iteratorSignal(options);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const req = this;
    return records<EdgeEvent>(
      {
        get fd() {
          return req.#fd; // live: -1 once released
        },
        device: this.#chip,
        batch: READ_MAX,
        read: () => this.readEdgeEvents(),
        track: (it) => this.#iterators.add(it),
        untrack: (it) => this.#iterators.delete(it),
      },
      signal,
    );
  }

  /** Release the lines and close the fd. Idempotent. Running `edgeEvents()` iterations end. */
  release(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    releaseFd(this, fd, this.#iterators);
  }

  /** The same as release(). */
  close(): void {
    this.release();
  }

  /** The same as release(): `using req = requestLines(...)` releases at the end of the block. */
  [DISPOSE](): void {
    this.release();
  }

  #open(): number {
    if (this.#fd < 0) throw closedError('line request');
    return this.#fd;
  }

  #indexOf(line: unknown): number {
    const key = lineKey(line);
    const offset = typeof key === 'number' ? key : this.#names.get(key);
    const i = offset === undefined ? undefined : this.#index.get(offset);
    if (i === undefined) throw invalidArgValue('line', line, `is not a line of this request (offsets ${this.#offsets.join(', ')})`);
    return i;
  }

  #indexesOf(lines: unknown): number[] {
    if (!Array.isArray(lines)) throw invalidArgType('lines', 'an array of lines', lines);
    return lines.map((l) => this.#indexOf(l));
  }

  /** Fill #values with these (index, value) pairs. */
  #writeValues(pairs: ReadonlyArray<[number, 0 | 1]>): void {
    let bitsLo = 0, bitsHi = 0, maskLo = 0, maskHi = 0;
    for (const [i, v] of pairs) {
      if (i < 32) {
        maskLo |= 1 << i;
        if (v) bitsLo |= 1 << i;
      } else {
        maskHi |= 1 << (i - 32);
        if (v) bitsHi |= 1 << (i - 32);
      }
    }
    writeU64Halves(this.#values, 0, bitsLo, bitsHi);
    writeU64Halves(this.#values, LAYOUT.OFFSETOF_gpio_v2_line_values_mask, maskLo, maskHi);
  }
}
aliasDispose(LineRequest.prototype);

function checkBit(v: unknown, name: string): 0 | 1 {
  if (v === 0 || v === 1) return v;
  if (typeof v !== 'number') throw invalidArgType(name, '0 or 1', v);
  throw outOfRange(name, '0 or 1', v);
}

/** ENOENT for a line name no line of the chip has. */
export function noSuchLine(name: string, where: string): Error {
  const err = errnoError(ENOENT, 'lineOffset');
  err.message = `ENOENT: no line named '${name}' on ${where}`;
  return err;
}

