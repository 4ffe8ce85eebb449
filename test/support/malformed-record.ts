/**
 * A batch whose CRC holds over a malformed record: record `recordIndex`'s offset delta is changed
 * (to recordIndex + 3) and the CRC computed again, so only a walk of the records can tell.
 */
import { crc32c } from '../../core/format/crc32c.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, RECORDS_OFFSET } from '../../core/format/record-batch.js';
import { readVarint, readVarlong, sizeOfVarint, writeVarint, type VarintCursor } from '../../core/format/varint.js';

export function withBadOffsetDelta(batch: Buffer, recordIndex: number): Buffer {
  const bad = Buffer.from(batch);
  const c: VarintCursor = { value: 0, offset: 0 };
  let at = RECORDS_OFFSET;
  for (let i = 0; i < recordIndex; i++) {
    readVarint(bad, at, bad.length, c);
    at = c.offset + c.value;
  }
  readVarint(bad, at, bad.length, c); // the record's length
  readVarlong(bad, c.offset + 1, bad.length, c); // after attributes: the timestamp delta
  const deltaAt = c.offset;
  readVarint(bad, deltaAt, bad.length, c);
  if (c.value !== recordIndex || sizeOfVarint(recordIndex) !== sizeOfVarint(recordIndex + 3)) throw new Error(`assertion failed: record ${recordIndex}'s offset delta cannot be rewritten in place`);
  writeVarint(bad, deltaAt, recordIndex + 3);
  bad.writeUInt32BE(crc32c(bad.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return bad;
}
