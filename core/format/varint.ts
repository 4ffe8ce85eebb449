/**
 * Zigzag varints as Kafka's ByteUtils writes them (protobuf style). `varint` covers int32 values and
 * `varlong` covers int64 values; varlongs use bigint only above 2^53, which record timestamps deltas
 * and lengths never reach in practice, so the hot path stays in plain numbers.
 */
import { CorruptRecordError } from '../errors.js';

const MAX_VARINT_BYTES = 5;
const MAX_VARLONG_BYTES = 10;

/** Bytes a zigzag varint of `value` (an int32) takes. */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Bytes a zigzag varlong of `value` takes (|value| must be a safe integer). */
export function sizeOfVarlong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

/** Writes `value` (int32) as a zigzag varint at `offset`; returns the offset after it. */
export function writeVarint(buf: Buffer, offset: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

/** Writes `value` (|value| < 2^52) as a zigzag varlong at `offset`; returns the offset after it. */
export function writeVarlong(buf: Buffer, offset: number, value: number): number {
  // zigzag doubles the magnitude: beyond 2^52 the doubled value is no longer exact in a double
  if (!(Math.abs(value) < 2 ** 52)) throw new RangeError(`varlong value ${value} is outside +-2^52`);
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, offset, value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[offset++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[offset++] = v;
  return offset;
}

/** A decoded varint: its value and the offset just after it. Reused to avoid an allocation per read. */
export interface VarintCursor {
  value: number;
  offset: number;
}

export function readVarint(buf: Buffer, offset: number, end: number, out: VarintCursor): void {
  let raw = 0;
  let shift = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset >= end) throw new CorruptRecordError(`varint runs past the end of the record at byte ${offset}`);
    const b = buf[offset++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      out.value = (raw >>> 1) ^ -(raw & 1);
      out.offset = offset;
      return;
    }
    shift += 7;
  }
  throw new CorruptRecordError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${offset}`);
}

export function readVarlong(buf: Buffer, offset: number, end: number, out: VarintCursor): void {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < MAX_VARLONG_BYTES; i++) {
    if (offset >= end) throw new CorruptRecordError(`varlong runs past the end of the record at byte ${offset}`);
    const b = buf[offset++]!;
    raw += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      // zigzag decode without 32-bit operators, which would truncate values past 2^31
      out.value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      out.offset = offset;
      return;
    }
    mul *= 128;
  }
  throw new CorruptRecordError(`varlong longer than ${MAX_VARLONG_BYTES} bytes at byte ${offset}`);
}
