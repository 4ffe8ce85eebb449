/**
 * int64 fields as JavaScript numbers. Offsets, timestamps and producer ids stay far below 2^53 in
 * practice; reading them as two int32 halves avoids a bigint allocation per batch on the hot path.
 * A value outside the safe range is refused rather than silently rounded.
 */
import { CorruptRecordError } from '../errors.js';

const TWO_POW_32 = 0x1_0000_0000;

export function readInt64(buf: Buffer, offset: number): number {
  const hi = buf.readInt32BE(offset);
  const lo = buf.readUInt32BE(offset + 4);
  const value = hi * TWO_POW_32 + lo;
  if (!Number.isSafeInteger(value)) {
    throw new CorruptRecordError(`int64 at byte ${offset} is outside the safe integer range: ${buf.readBigInt64BE(offset)}`);
  }
  return value;
}

export function writeInt64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`int64 value ${value} is not a safe integer`);
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_POW_32, offset + 4);
}
