/**
 * Integers in host byte order, as the kernel's structs hold them (sockaddr
 * families, sin6_scope_id, inotify_event, the 8-byte eventfd/timerfd cell).
 * Network-order fields (ports, IP addresses) use Buffer's BE methods directly.
 */
import { endianness } from 'node:os';

const LE = endianness() === 'LE';

export const readU16: (buf: Buffer, at: number) => number = LE
  ? (buf, at) => buf.readUInt16LE(at)
  : (buf, at) => buf.readUInt16BE(at);
export const writeU16: (buf: Buffer, value: number, at: number) => void = LE
  ? (buf, value, at) => void buf.writeUInt16LE(value, at)
  : (buf, value, at) => void buf.writeUInt16BE(value, at);
export const readI32: (buf: Buffer, at: number) => number = LE
  ? (buf, at) => buf.readInt32LE(at)
  : (buf, at) => buf.readInt32BE(at);
export const readU32: (buf: Buffer, at: number) => number = LE
  ? (buf, at) => buf.readUInt32LE(at)
  : (buf, at) => buf.readUInt32BE(at);
export const writeU32: (buf: Buffer, value: number, at: number) => void = LE
  ? (buf, value, at) => void buf.writeUInt32LE(value, at)
  : (buf, value, at) => void buf.writeUInt32BE(value, at);
export const readU64: (buf: Buffer, at: number) => bigint = LE
  ? (buf, at) => buf.readBigUInt64LE(at)
  : (buf, at) => buf.readBigUInt64BE(at);
export const writeU64: (buf: Buffer, value: bigint, at: number) => void = LE
  ? (buf, value, at) => void buf.writeBigUInt64LE(value, at)
  : (buf, value, at) => void buf.writeBigUInt64BE(value, at);
