/**
 * Line settings: the named values users write (`{ direction: 'input', edge:
 * 'both', bias: 'pull-up' }`), checked before any ioctl, and their mapping to
 * and from the uAPI's flag bits. Also the grouping of a request's lines into
 * one gpio_v2_line_config: the most common flags as the default, and up to
 * GPIO_V2_LINE_NUM_ATTRS_MAX (10) attributes for the rest (other flags, output
 * values, debounce periods).
 */
import { invalidArgType, invalidArgValue, outOfRange } from '../internal/errors';
import { lookupName, validateBool, validateInt } from '../internal/validate';
import { ATTR_DEBOUNCE, ATTR_FLAGS, ATTR_OUTPUT_VALUES, ATTRS_MAX, FLAG, type ConfigAttribute } from './uapi';

/** A line's direction. `'as-is'` leaves it as it is (only for requests without bias, drive or value). */
export type Direction = 'as-is' | 'input' | 'output';
/** The edges that make events: an edge other than `'none'` implies `'input'`. */
export type Edge = 'none' | 'rising' | 'falling' | 'both';
/** The line's bias (pull resistor). `'as-is'`: unchanged (in line info: unknown). */
export type Bias = 'as-is' | 'disabled' | 'pull-up' | 'pull-down';
/** How an output is driven. */
export type Drive = 'push-pull' | 'open-drain' | 'open-source';
/** The clock of edge events' timestamps (`'hte'`: a hardware timestamp engine, where the chip has one). */
export type EventClock = 'monotonic' | 'realtime' | 'hte';

/** How a requested line is set up. Every field is optional. */
export interface LineSettings {
  /** `'as-is'` (default), `'input'` or `'output'`. An edge implies `'input'`. */
  direction?: Direction;
  /** Edge detection: `'none'` (default), `'rising'`, `'falling'` or `'both'` (an input). */
  edge?: Edge;
  /** `'as-is'` (default), `'disabled'`, `'pull-up'` or `'pull-down'`; needs an input or output direction. */
  bias?: Bias;
  /** `'push-pull'` (default), `'open-drain'` or `'open-source'`; the open ones need `'output'`. */
  drive?: Drive;
  /** The line is active low: values are inverted (logical values, as the kernel does). Default false. */
  activeLow?: boolean;
  /** Debounce period in microseconds (0: none, the default), for an input; the kernel debounces in software where the chip cannot. */
  debounceUs?: number;
  /** The clock of edge events' timestamps: `'monotonic'` (default), `'realtime'` or `'hte'`. */
  eventClock?: EventClock;
  /** The initial (logical) value of an output, 0 (default) or 1; only with `direction: 'output'`. */
  value?: 0 | 1;
}

/** LineSettings with every field resolved. `value` is undefined when not given. */
export interface Resolved {
  direction: Direction;
  edge: Edge;
  bias: Bias;
  drive: Drive;
  activeLow: boolean;
  debounceUs: number;
  eventClock: EventClock;
  value: 0 | 1 | undefined;
}

const DIRECTIONS: Readonly<Record<string, true>> = { 'as-is': true, input: true, output: true };
const EDGES: Readonly<Record<string, true>> = { none: true, rising: true, falling: true, both: true };
const BIASES: Readonly<Record<string, true>> = { 'as-is': true, disabled: true, 'pull-up': true, 'pull-down': true };
const DRIVES: Readonly<Record<string, true>> = { 'push-pull': true, 'open-drain': true, 'open-source': true };
const CLOCKS: Readonly<Record<string, true>> = { monotonic: true, realtime: true, hte: true };
const KEYS: Readonly<Record<string, true>> = {
  direction: true, edge: true, bias: true, drive: true, activeLow: true, debounceUs: true, eventClock: true, value: true,
};

function oneOf<T extends string>(table: Readonly<Record<string, true>>, value: unknown, name: string, dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (lookupName(table, value) === undefined) {
    throw invalidArgValue(name, value, `must be one of ${Object.keys(table).map((k) => `'${k}'`).join(', ')}`);
  }
  return value as T;
}

/**
 * Check one line's settings (`name` says which, in messages) and resolve the defaults.
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE, RangeError ERR_OUT_OF_RANGE
 */
export function resolveSettings(settings: unknown, name: string): Resolved {
  if (settings === undefined || settings === null) settings = {};
  if (typeof settings !== 'object' || Array.isArray(settings)) throw invalidArgType(name, 'of type object', settings);
  const s = settings as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (lookupName(KEYS, key) === undefined) {
      throw invalidArgValue(name, settings, `has an unknown setting '${key}' (known: ${Object.keys(KEYS).join(', ')})`);
    }
  }
  const edge = oneOf<Edge>(EDGES, s.edge, `${name}.edge`, 'none');
  let direction = oneOf<Direction>(DIRECTIONS, s.direction, `${name}.direction`, 'as-is');
  const bias = oneOf<Bias>(BIASES, s.bias, `${name}.bias`, 'as-is');
  const drive = oneOf<Drive>(DRIVES, s.drive, `${name}.drive`, 'push-pull');
  const eventClock = oneOf<EventClock>(CLOCKS, s.eventClock, `${name}.eventClock`, 'monotonic');
  const activeLow = validateBool(s.activeLow, `${name}.activeLow`, false);
  const debounceUs = s.debounceUs === undefined ? 0 : validateInt(s.debounceUs, `${name}.debounceUs`, 0, 0xffffffff);
  let value: 0 | 1 | undefined;
  if (s.value !== undefined) {
    if (s.value !== 0 && s.value !== 1) {
      if (typeof s.value !== 'number') throw invalidArgType(`${name}.value`, '0 or 1', s.value);
      throw outOfRange(`${name}.value`, '0 or 1', s.value);
    }
    value = s.value;
  }
  // The kernel's rules (gpio_v2_line_flags_validate), said before it says EINVAL.
  if (edge !== 'none') {
    if (direction === 'output') throw invalidArgValue(name, settings, "has an edge, which needs an input: edge detection and direction 'output' exclude each other");
    direction = 'input';
  }
  if (drive !== 'push-pull' && direction !== 'output') throw invalidArgValue(name, settings, `has drive '${drive}', which needs direction 'output'`);
  if (bias !== 'as-is' && direction === 'as-is') throw invalidArgValue(name, settings, `has bias '${bias}', which needs direction 'input' or 'output'`);
  if (value !== undefined && direction !== 'output') throw invalidArgValue(name, settings, "has a value, which needs direction 'output'");
  if (debounceUs !== 0 && direction !== 'input') throw invalidArgValue(name, settings, "has a debounce period, which needs direction 'input' (or an edge)");
  return { direction, edge, bias, drive, activeLow, debounceUs, eventClock, value };
}

/** The uAPI flags of resolved settings (debounce and value travel as attributes). */
export function flagsOf(s: Resolved): number {
  let f = 0;
  if (s.direction === 'input') f |= FLAG.INPUT;
  else if (s.direction === 'output') f |= FLAG.OUTPUT;
  if (s.edge === 'rising' || s.edge === 'both') f |= FLAG.EDGE_RISING;
  if (s.edge === 'falling' || s.edge === 'both') f |= FLAG.EDGE_FALLING;
  if (s.bias === 'pull-up') f |= FLAG.BIAS_PULL_UP;
  else if (s.bias === 'pull-down') f |= FLAG.BIAS_PULL_DOWN;
  else if (s.bias === 'disabled') f |= FLAG.BIAS_DISABLED;
  if (s.drive === 'open-drain') f |= FLAG.OPEN_DRAIN;
  else if (s.drive === 'open-source') f |= FLAG.OPEN_SOURCE;
  if (s.activeLow) f |= FLAG.ACTIVE_LOW;
  if (s.eventClock === 'realtime') f |= FLAG.EVENT_CLOCK_REALTIME;
  else if (s.eventClock === 'hte') f |= FLAG.EVENT_CLOCK_HTE;
  return f >>> 0;
}

/** What line info's flags say, by name. */
export interface FlagNames {
  used: boolean;
  direction: 'input' | 'output';
  activeLow: boolean;
  bias: Bias;
  drive: Drive;
  edge: Edge;
  eventClock: EventClock;
}

export function namesOf(f: number): FlagNames {
  const rising = (f & FLAG.EDGE_RISING) !== 0;
  const falling = (f & FLAG.EDGE_FALLING) !== 0;
  return {
    used: (f & FLAG.USED) !== 0,
    direction: f & FLAG.OUTPUT ? 'output' : 'input',
    activeLow: (f & FLAG.ACTIVE_LOW) !== 0,
    bias: f & FLAG.BIAS_PULL_UP ? 'pull-up' : f & FLAG.BIAS_PULL_DOWN ? 'pull-down' : f & FLAG.BIAS_DISABLED ? 'disabled' : 'as-is',
    drive: f & FLAG.OPEN_DRAIN ? 'open-drain' : f & FLAG.OPEN_SOURCE ? 'open-source' : 'push-pull',
    edge: rising && falling ? 'both' : rising ? 'rising' : falling ? 'falling' : 'none',
    eventClock: f & FLAG.EVENT_CLOCK_REALTIME ? 'realtime' : f & FLAG.EVENT_CLOCK_HTE ? 'hte' : 'monotonic',
  };
}

/**
 * Group the lines' settings (by request index) into a config: the most common
 * flags as the default, then one attribute per other set of flags, one for
 * the output values (`values[i]` for each output line), one per debounce period.
 * @throws RangeError ERR_OUT_OF_RANGE when more than 10 attributes are needed
 */
export function groupConfig(lines: readonly Resolved[], values: readonly (0 | 1)[]): { flags: number; attrs: ConfigAttribute[] } {
  const byFlags = new Map<number, bigint>();
  const byDebounce = new Map<number, bigint>();
  let outBits = 0n;
  let outMask = 0n;
  lines.forEach((s, i) => {
    const bit = 1n << BigInt(i);
    const f = flagsOf(s);
    byFlags.set(f, (byFlags.get(f) ?? 0n) | bit);
    if (s.debounceUs !== 0) byDebounce.set(s.debounceUs, (byDebounce.get(s.debounceUs) ?? 0n) | bit);
    if (s.direction === 'output') {
      outMask |= bit;
      if (values[i] === 1) outBits |= bit;
    }
  });
  let flags = 0;
  let most = -1;
  for (const [f, mask] of byFlags) {
    const n = popcount(mask);
    if (n > most) [flags, most] = [f, n];
  }
  const attrs: ConfigAttribute[] = [];
  for (const [f, mask] of byFlags) if (f !== flags) attrs.push({ id: ATTR_FLAGS, value: BigInt(f), mask });
  if (outMask !== 0n) attrs.push({ id: ATTR_OUTPUT_VALUES, value: outBits, mask: outMask });
  for (const [us, mask] of byDebounce) attrs.push({ id: ATTR_DEBOUNCE, value: BigInt(us), mask });
  if (attrs.length > ATTRS_MAX) {
    throw outOfRange(
      'lines',
      `settings the kernel can take in one request: at most ${ATTRS_MAX} attributes (each set of settings beyond the most common one, the output values, each debounce period), here ${attrs.length}; request the lines in several requests`,
      `${lines.length} lines`,
    );
  }
  return { flags, attrs };
}

function popcount(x: bigint): number {
  let n = 0;
  for (; x !== 0n; x &= x - 1n) n++;
  return n;
}
