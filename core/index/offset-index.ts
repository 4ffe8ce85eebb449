/**
 * Kafka's `.index`: 8-byte entries [relative offset uint32][file position uint32], sparse, sorted
 * by both offset and position. lookup(offset) gives the largest entry at or below it, from where a
 * short scan of batch headers finds the batch itself.
 */
import { CorruptRecordError, assertionFailed } from '../errors.js';
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, existing?: Buffer) {
    super(path, baseOffset, maxIndexBytes, OFFSET_INDEX_ENTRY_BYTES, existing);
  }

  entry(slot: number): OffsetPosition {
    const at = slot * OFFSET_INDEX_ENTRY_BYTES;
    return { offset: this.baseOffset + this.buf.readUInt32BE(at), position: this.buf.readUInt32BE(at + 4) };
  }

  lastEntry(): OffsetPosition | undefined {
    return this.entryCount === 0 ? undefined : this.entry(this.entryCount - 1);
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (!(relative >= 0 && relative <= 0xffffffff)) assertionFailed(`offset ${offset} is outside the relative range of index ${this.path}`);
    if (this.entryCount > 0) {
      // read in place rather than through lastEntry(): no object per append
      const lastAt = (this.entryCount - 1) * OFFSET_INDEX_ENTRY_BYTES;
      const lastRelative = this.buf.readUInt32BE(lastAt);
      const lastPosition = this.buf.readUInt32BE(lastAt + 4);
      if (!(relative > lastRelative && position > lastPosition)) {
        assertionFailed(`index entry (${offset}, ${position}) is not after the last one (${this.baseOffset + lastRelative}, ${lastPosition}) in ${this.path}`);
      }
    }
    const at = this.reserveEntry();
    this.buf.writeUInt32BE(relative, at);
    this.buf.writeUInt32BE(position, at + 4);
  }

  /** The largest entry with offset <= target, or (baseOffset, 0). */
  lookup(targetOffset: number): OffsetPosition {
    const slot = this.floorSlot(targetOffset - this.baseOffset, (s) => this.buf.readUInt32BE(s * OFFSET_INDEX_ENTRY_BYTES));
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  /** The largest entry with position <= target, or (baseOffset, 0): a batch start at or before it. */
  lookupByPosition(targetPosition: number): OffsetPosition {
    const slot = this.floorSlot(targetPosition, (s) => this.buf.readUInt32BE(s * OFFSET_INDEX_ENTRY_BYTES + 4));
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  /** Removes every entry whose offset >= offset. */
  truncateTo(offset: number): void {
    const slot = this.floorSlot(offset - this.baseOffset, (s) => this.buf.readUInt32BE(s * OFFSET_INDEX_ENTRY_BYTES));
    if (slot < 0) this.truncateEntries(0);
    else this.truncateEntries(this.entry(slot).offset === offset ? slot : slot + 1);
  }

  /** Kafka's sanityCheck: whole entries only, strictly increasing offsets and positions. */
  sanityCheck(): void {
    let prev: OffsetPosition | undefined;
    for (let s = 0; s < this.entryCount; s++) {
      const e = this.entry(s);
      if (prev && (e.offset <= prev.offset || e.position <= prev.position)) {
        throw new CorruptRecordError(`offset index ${this.path} entry ${s} (${e.offset}, ${e.position}) does not follow (${prev.offset}, ${prev.position})`);
      }
      prev = e;
    }
  }
}
