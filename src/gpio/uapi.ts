/**
 * The GPIO character device's v2 uAPI (<linux/gpio.h>) as TypeScript sees it:
 * the structs' layout, encoders and decoders over Buffers, and the request
 * numbers, flags and ids, all read from the header by the addon
 * (native/gpio_layout.c), which also proves at compile time, for every
 * prebuilt target, that the layout below is the kernel's.
 *
 * LAYOUT is written out here (it documents the structs), and checked against
 * the addon's sizeof/offsetof when this module loads: a mismatch fails at once
 * instead of sending the kernel a garbled struct. The v1 uAPI is never used.
 */
import { native } from '../internal/binding';
import { readI32, readU32, readU64, writeU32 } from '../internal/bytes';
import { endianness } from 'node:os';

const g = native.gpioConstants;

/** Sizes and field offsets of the v2 structs, in bytes (the same on x64, arm64, armv7, armv6). */
export const LAYOUT = {
  SIZEOF_gpiochip_info: 68, // char name[32]; char label[32]; u32 lines
  OFFSETOF_gpiochip_info_label: 32,
  OFFSETOF_gpiochip_info_lines: 64,
  SIZEOF_gpio_v2_line_values: 16, // u64 bits; u64 mask
  OFFSETOF_gpio_v2_line_values_mask: 8,
  SIZEOF_gpio_v2_line_attribute: 16, // u32 id; u32 padding; union { u64 flags; u64 values; u32 debounce_period_us }
  OFFSETOF_gpio_v2_line_attribute_flags: 8,
  SIZEOF_gpio_v2_line_config_attribute: 24, // attribute attr; u64 mask
  OFFSETOF_gpio_v2_line_config_attribute_mask: 16,
  SIZEOF_gpio_v2_line_config: 272, // u64 flags; u32 num_attrs; u32 padding[5]; config_attribute attrs[10]
  OFFSETOF_gpio_v2_line_config_num_attrs: 8,
  OFFSETOF_gpio_v2_line_config_attrs: 32,
  SIZEOF_gpio_v2_line_request: 592, // u32 offsets[64]; char consumer[32]; config; u32 num_lines, event_buffer_size, padding[5]; s32 fd
  OFFSETOF_gpio_v2_line_request_consumer: 256,
  OFFSETOF_gpio_v2_line_request_config: 288,
  OFFSETOF_gpio_v2_line_request_num_lines: 560,
  OFFSETOF_gpio_v2_line_request_event_buffer_size: 564,
  OFFSETOF_gpio_v2_line_request_fd: 588,
  SIZEOF_gpio_v2_line_info: 256, // char name[32], consumer[32]; u32 offset, num_attrs; u64 flags; attribute attrs[10]; u32 padding[4]
  OFFSETOF_gpio_v2_line_info_consumer: 32,
  OFFSETOF_gpio_v2_line_info_offset: 64,
  OFFSETOF_gpio_v2_line_info_num_attrs: 68,
  OFFSETOF_gpio_v2_line_info_flags: 72,
  OFFSETOF_gpio_v2_line_info_attrs: 80,
  SIZEOF_gpio_v2_line_info_changed: 288, // line_info info; u64 timestamp_ns; u32 event_type; u32 padding[5]
  OFFSETOF_gpio_v2_line_info_changed_timestamp_ns: 256,
  OFFSETOF_gpio_v2_line_info_changed_event_type: 264,
  SIZEOF_gpio_v2_line_event: 48, // u64 timestamp_ns; u32 id, offset, seqno, line_seqno; u32 padding[6]
  OFFSETOF_gpio_v2_line_event_id: 8,
  OFFSETOF_gpio_v2_line_event_offset: 12,
  OFFSETOF_gpio_v2_line_event_seqno: 16,
  OFFSETOF_gpio_v2_line_event_line_seqno: 20,
} as const;

/** The LAYOUT entries that differ from the addon's sizeof/offsetof (empty when they agree). */
export function layoutMismatches(numbers: Readonly<Record<string, number>> = g): string[] {
  return Object.entries(LAYOUT)
    .filter(([name, value]) => numbers[name] !== value)
    .map(([name, value]) => `${name}: ${value} here, ${String(numbers[name])} in <linux/gpio.h>`);
}

{
  const bad = layoutMismatches();
  if (bad.length > 0) throw new Error(`ioready: the GPIO struct layout disagrees with the addon's (${bad.join('; ')}); rebuild it with \`npm run build:native\``);
}

const num = (name: string): number => {
  const v = g[name];
  if (v === undefined) throw new Error(`ioready: the native addon lacks the GPIO constant ${name}; rebuild it with \`npm run build:native\``);
  return v;
};

// The request numbers, from the header (never computed here).
export const GPIO_GET_CHIPINFO_IOCTL = num('GPIO_GET_CHIPINFO_IOCTL');
export const GPIO_GET_LINEINFO_UNWATCH_IOCTL = num('GPIO_GET_LINEINFO_UNWATCH_IOCTL');
export const GPIO_V2_GET_LINEINFO_IOCTL = num('GPIO_V2_GET_LINEINFO_IOCTL');
export const GPIO_V2_GET_LINEINFO_WATCH_IOCTL = num('GPIO_V2_GET_LINEINFO_WATCH_IOCTL');
export const GPIO_V2_GET_LINE_IOCTL = num('GPIO_V2_GET_LINE_IOCTL');
export const GPIO_V2_LINE_SET_CONFIG_IOCTL = num('GPIO_V2_LINE_SET_CONFIG_IOCTL');
export const GPIO_V2_LINE_GET_VALUES_IOCTL = num('GPIO_V2_LINE_GET_VALUES_IOCTL');
export const GPIO_V2_LINE_SET_VALUES_IOCTL = num('GPIO_V2_LINE_SET_VALUES_IOCTL');

export const NAME_SIZE = num('GPIO_MAX_NAME_SIZE');
export const LINES_MAX = num('GPIO_V2_LINES_MAX');
export const ATTRS_MAX = num('GPIO_V2_LINE_NUM_ATTRS_MAX');

export const FLAG = {
  USED: num('GPIO_V2_LINE_FLAG_USED'),
  ACTIVE_LOW: num('GPIO_V2_LINE_FLAG_ACTIVE_LOW'),
  INPUT: num('GPIO_V2_LINE_FLAG_INPUT'),
  OUTPUT: num('GPIO_V2_LINE_FLAG_OUTPUT'),
  EDGE_RISING: num('GPIO_V2_LINE_FLAG_EDGE_RISING'),
  EDGE_FALLING: num('GPIO_V2_LINE_FLAG_EDGE_FALLING'),
  OPEN_DRAIN: num('GPIO_V2_LINE_FLAG_OPEN_DRAIN'),
  OPEN_SOURCE: num('GPIO_V2_LINE_FLAG_OPEN_SOURCE'),
  BIAS_PULL_UP: num('GPIO_V2_LINE_FLAG_BIAS_PULL_UP'),
  BIAS_PULL_DOWN: num('GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN'),
  BIAS_DISABLED: num('GPIO_V2_LINE_FLAG_BIAS_DISABLED'),
  EVENT_CLOCK_REALTIME: num('GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME'),
  EVENT_CLOCK_HTE: num('GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE'),
} as const;

export const ATTR_FLAGS = num('GPIO_V2_LINE_ATTR_ID_FLAGS');
export const ATTR_OUTPUT_VALUES = num('GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES');
export const ATTR_DEBOUNCE = num('GPIO_V2_LINE_ATTR_ID_DEBOUNCE');
export const CHANGED_REQUESTED = num('GPIO_V2_LINE_CHANGED_REQUESTED');
export const CHANGED_RELEASED = num('GPIO_V2_LINE_CHANGED_RELEASED');
export const CHANGED_CONFIG = num('GPIO_V2_LINE_CHANGED_CONFIG');
export const EVENT_RISING = num('GPIO_V2_LINE_EVENT_RISING_EDGE');
export const EVENT_FALLING = num('GPIO_V2_LINE_EVENT_FALLING_EDGE');

const L = LAYOUT;
export const EVENT_SIZE = L.SIZEOF_gpio_v2_line_event;
export const INFO_CHANGED_SIZE = L.SIZEOF_gpio_v2_line_info_changed;

// A u64 as two u32 halves in host order: every flags word fits the low half,
// and masks/bits of up to 64 lines need no BigInt on the values' hot path.
const LE = endianness() === 'LE';
const LO = LE ? 0 : 4;
const HI = LE ? 4 : 0;

/** Write the u64 (hi * 2^32 + lo) at `at`. */
export function writeU64Halves(buf: Buffer, at: number, lo: number, hi: number): void {
  writeU32(buf, lo >>> 0, at + LO);
  writeU32(buf, hi >>> 0, at + HI);
}

/** Bit `i` (0-63) of the u64 at `at`. */
export function bitAt(buf: Buffer, at: number, i: number): 0 | 1 {
  const word = i < 32 ? readU32(buf, at + LO) : readU32(buf, at + HI);
  return ((word >>> (i & 31)) & 1) as 0 | 1;
}

/** A NUL-terminated string from a fixed char array. */
export function readCString(buf: Buffer, at: number, size: number = NAME_SIZE): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 || end > at + size ? at + size : end);
}

/** Chip info, decoded from a gpiochip_info. */
export interface RawChipInfo {
  name: string;
  label: string;
  lines: number;
}

export function decodeChipInfo(buf: Buffer): RawChipInfo {
  return {
    name: readCString(buf, 0),
    label: readCString(buf, L.OFFSETOF_gpiochip_info_label),
    lines: readU32(buf, L.OFFSETOF_gpiochip_info_lines),
  };
}

/** A gpio_v2_line_info, decoded but for its flags' meaning (settings.ts names them). */
export interface RawLineInfo {
  name: string;
  consumer: string;
  offset: number;
  flags: number;
  debounceUs: number;
}

/** Zero `buf` (a gpio_v2_line_info: the kernel wants its padding zero) and set the offset. */
export function encodeLineInfoQuery(buf: Buffer, offset: number): void {
  buf.fill(0);
  writeU32(buf, offset, L.OFFSETOF_gpio_v2_line_info_offset);
}

export function decodeLineInfo(buf: Buffer, at = 0): RawLineInfo {
  const n = Math.min(readU32(buf, at + L.OFFSETOF_gpio_v2_line_info_num_attrs), ATTRS_MAX);
  let debounceUs = 0;
  for (let i = 0; i < n; i++) {
    const a = at + L.OFFSETOF_gpio_v2_line_info_attrs + i * L.SIZEOF_gpio_v2_line_attribute;
    if (readU32(buf, a) === ATTR_DEBOUNCE) debounceUs = readU32(buf, a + L.OFFSETOF_gpio_v2_line_attribute_flags);
  }
  return {
    name: readCString(buf, at),
    consumer: readCString(buf, at + L.OFFSETOF_gpio_v2_line_info_consumer),
    offset: readU32(buf, at + L.OFFSETOF_gpio_v2_line_info_offset),
    // Every flag the kernel defines is below bit 32: the low half holds them all.
    flags: readU32(buf, at + L.OFFSETOF_gpio_v2_line_info_flags + LO),
    debounceUs,
  };
}

/** A gpio_v2_line_info_changed record, decoded. */
export interface RawInfoChanged {
  info: RawLineInfo;
  timestampNs: bigint;
  eventType: number;
}

export function decodeInfoChanged(buf: Buffer, at: number): RawInfoChanged {
  return {
    info: decodeLineInfo(buf, at),
    timestampNs: readU64(buf, at + L.OFFSETOF_gpio_v2_line_info_changed_timestamp_ns),
    eventType: readU32(buf, at + L.OFFSETOF_gpio_v2_line_info_changed_event_type),
  };
}

/** A gpio_v2_line_event record, decoded. */
export interface RawEdgeEvent {
  timestampNs: bigint;
  id: number;
  offset: number;
  seqno: number;
  lineSeqno: number;
}

export function decodeEdgeEvent(buf: Buffer, at: number): RawEdgeEvent {
  return {
    timestampNs: readU64(buf, at),
    id: readU32(buf, at + L.OFFSETOF_gpio_v2_line_event_id),
    offset: readU32(buf, at + L.OFFSETOF_gpio_v2_line_event_offset),
    seqno: readU32(buf, at + L.OFFSETOF_gpio_v2_line_event_seqno),
    lineSeqno: readU32(buf, at + L.OFFSETOF_gpio_v2_line_event_line_seqno),
  };
}

/** One attribute of a line config: an id, its value, and the lines (by request index) it applies to. */
export interface ConfigAttribute {
  id: number;
  /** flags (ATTR_FLAGS), value bits by index (ATTR_OUTPUT_VALUES), or debounce µs. */
  value: bigint;
  mask: bigint;
}

/** Encode a gpio_v2_line_config at `at` (the buffer's bytes there must be zero). */
export function encodeConfig(buf: Buffer, at: number, flags: number, attrs: readonly ConfigAttribute[]): void {
  writeU64Halves(buf, at, flags, 0);
  writeU32(buf, attrs.length, at + L.OFFSETOF_gpio_v2_line_config_num_attrs);
  attrs.forEach((a, i) => {
    const p = at + L.OFFSETOF_gpio_v2_line_config_attrs + i * L.SIZEOF_gpio_v2_line_config_attribute;
    writeU32(buf, a.id, p);
    if (a.id === ATTR_DEBOUNCE) writeU32(buf, Number(a.value), p + L.OFFSETOF_gpio_v2_line_attribute_flags);
    else writeU64Halves(buf, p + L.OFFSETOF_gpio_v2_line_attribute_flags, Number(a.value & 0xffffffffn), Number(a.value >> 32n));
    writeU64Halves(buf, p + L.OFFSETOF_gpio_v2_line_config_attribute_mask, Number(a.mask & 0xffffffffn), Number(a.mask >> 32n));
  });
}

/** Encode a gpio_v2_line_request into a new zeroed buffer. */
export function encodeRequest(
  offsets: readonly number[],
  consumer: Buffer,
  flags: number,
  attrs: readonly ConfigAttribute[],
  eventBufferSize: number,
): Buffer {
  const buf = Buffer.alloc(L.SIZEOF_gpio_v2_line_request);
  offsets.forEach((o, i) => writeU32(buf, o, i * 4));
  consumer.copy(buf, L.OFFSETOF_gpio_v2_line_request_consumer, 0, Math.min(consumer.length, NAME_SIZE - 1));
  encodeConfig(buf, L.OFFSETOF_gpio_v2_line_request_config, flags, attrs);
  writeU32(buf, offsets.length, L.OFFSETOF_gpio_v2_line_request_num_lines);
  writeU32(buf, eventBufferSize, L.OFFSETOF_gpio_v2_line_request_event_buffer_size);
  return buf;
}

/** The line fd the kernel wrote into a gpio_v2_line_request. */
export function requestFd(buf: Buffer): number {
  return readI32(buf, L.OFFSETOF_gpio_v2_line_request_fd);
}
