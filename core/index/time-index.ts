/**
 * Kafka's `.timeindex`: 12-byte entries [timestamp int64][relative offset uint32], appended only
 * when the timestamp is larger than the last entry's. lookup(ts) gives the largest entry at or
 * below ts: the offset from which to scan for the first record at or after ts.
 */
import { CorruptRecordError, assertionFailed } from '../errors.js';
import { readInt64, writeInt64 } from '../format/int64.js';
import { IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, existing?: Buffer) {
    super(path, baseOffset, maxIndexBytes, TIME_INDEX_ENTRY_BYTES, existing);
  }

  entry(slot: number): TimestampOffset {
    const at = slot * TIME_INDEX_ENTRY_BYTES;
    return { timestamp: readInt64(this.buf, at), offset: this.baseOffset + this.buf.readUInt32BE(at + 8) };
  }

  lastEntry(): TimestampOffset | undefined {
    return this.entryCount === 0 ? undefined : this.entry(this.entryCount - 1);
  }

  /** Appends when `timestamp` is newer than the last entry (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, offset: number): void {
    // the last entry is read in place rather than through lastEntry(): no object per append
    const lastAt = (this.entryCount - 1) * TIME_INDEX_ENTRY_BYTES;
    if (this.entryCount > 0 && timestamp <= readInt64(this.buf, lastAt)) return;
    // a full index makes the log roll before appending, so this only happens for the final entry
    // written on roll; it is an optimisation for time lookups and can be skipped without harm
    if (this.isFull()) return;
    const relative = offset - this.baseOffset;
    if (!(relative >= 0 && relative <= 0xffffffff)) assertionFailed(`offset ${offset} is outside the relative range of time index ${this.path}`);
    if (this.entryCount > 0 && relative < this.buf.readUInt32BE(lastAt + 8)) {
      assertionFailed(`time index entry offset ${offset} goes back before ${this.baseOffset + this.buf.readUInt32BE(lastAt + 8)} in ${this.path}`);
    }
    const at = this.reserveEntry();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeUInt32BE(relative, at + 8);
  }

  /** The largest entry with timestamp <= target, or (-1, baseOffset). */
  lookup(targetTimestamp: number): TimestampOffset {
    const slot = this.floorSlot(targetTimestamp, (s) => readInt64(this.buf, s * TIME_INDEX_ENTRY_BYTES));
    return slot < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(slot);
  }

  /** Removes every entry whose offset >= offset. */
  truncateTo(offset: number): void {
    let keep = this.entryCount;
    while (keep > 0 && this.entry(keep - 1).offset >= offset) keep--;
    this.truncateEntries(keep);
  }

  sanityCheck(): void {
    let prev: TimestampOffset | undefined;
    for (let s = 0; s < this.entryCount; s++) {
      const e = this.entry(s);
      if (prev && (e.timestamp <= prev.timestamp || e.offset < prev.offset)) {
        throw new CorruptRecordError(`time index ${this.path} entry ${s} (${e.timestamp}, ${e.offset}) does not follow (${prev.timestamp}, ${prev.offset})`);
      }
      prev = e;
    }
  }
}
