/**
 * Reads Kafka protocol primitives from one request frame (the bytes after the int32 size prefix).
 * Every read is bounds-checked and throws ProtocolError naming the field's position; nothing trusts
 * a length before checking it against the bytes that remain, so a hostile frame cannot make the
 * broker allocate more than the frame itself.
 *
 * Classic (non-flexible) encodings: int16-length strings, int32-length bytes and arrays, -1 for
 * null. Compact (flexible versions, KIP-482): unsigned varint length + 1 (0 = null), followed at
 * the end of each struct by tagged fields.
 */
import { ProtocolError } from './protocol-error.js';

const TWO_POW_32 = 0x1_0000_0000;

export class KafkaReader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.offset + bytes > this.end) {
      throw new ProtocolError(`${what} needs ${bytes} bytes at byte ${this.offset}, only ${this.end - this.offset} remain`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int64 as a number; offsets and timestamps stay far inside 2^53, larger values are refused. */
  int64(): number {
    this.need(8, 'int64');
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    const v = hi * TWO_POW_32 + lo;
    if (!Number.isSafeInteger(v)) {
      throw new ProtocolError(`int64 at byte ${this.offset} is outside the safe integer range: ${this.buf.readBigInt64BE(this.offset)}`);
    }
    this.offset += 8;
    return v;
  }

  /**
   * int64 clamped to the safe range: for fields only ever compared (a fetch offset, a ListOffsets
   * timestamp), where any value past 2^53 means the same as the largest one - past every offset
   * and timestamp there is - and Kafka answers it (OFFSET_OUT_OF_RANGE, no offset) rather than
   * closing the connection.
   */
  int64Clamped(): number {
    this.need(8, 'int64');
    const v = this.buf.readInt32BE(this.offset) * TWO_POW_32 + this.buf.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, v));
  }

  uuid(): Buffer {
    this.need(16, 'uuid');
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** Unsigned varint (protobuf style, no zigzag), at most 5 bytes: compact lengths and tags. */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1, 'unsigned varint');
      const b = this.buf[this.offset++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value > 0xffff_ffff) throw new ProtocolError(`unsigned varint ${value} exceeds 32 bits at byte ${this.offset}`);
        return value;
      }
    }
    throw new ProtocolError(`unsigned varint longer than 5 bytes at byte ${this.offset}`);
  }

  private text(length: number, what: string): string {
    this.need(length, what);
    const s = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }

  private slice(length: number, what: string): Buffer {
    this.need(length, what);
    const b = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return b;
  }

  string(): string {
    const at = this.offset;
    const s = this.nullableString();
    if (s === null) throw new ProtocolError(`non-nullable string at byte ${at} is null`);
    return s;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw new ProtocolError(`string length ${length} at byte ${this.offset - 2} is negative`);
    return this.text(length, 'string');
  }

  compactString(): string {
    const at = this.offset;
    const s = this.compactNullableString();
    if (s === null) throw new ProtocolError(`non-nullable compact string at byte ${at} is null`);
    return s;
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.text(n - 1, 'compact string');
  }

  bytes(): Buffer {
    const at = this.offset;
    const b = this.nullableBytes();
    if (b === null) throw new ProtocolError(`non-nullable bytes at byte ${at} are null`);
    return b;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw new ProtocolError(`bytes length ${length} at byte ${this.offset - 4} is negative`);
    return this.slice(length, 'bytes');
  }

  compactBytes(): Buffer {
    const at = this.offset;
    const b = this.compactNullableBytes();
    if (b === null) throw new ProtocolError(`non-nullable compact bytes at byte ${at} are null`);
    return b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.slice(n - 1, 'compact bytes');
  }

  /** An int32-counted array; each element takes at least one byte, which bounds the count. */
  array<T>(readElement: (r: KafkaReader) => T): T[] {
    const at = this.offset;
    const a = this.nullableArray(readElement);
    if (a === null) throw new ProtocolError(`non-nullable array at byte ${at} is null`);
    return a;
  }

  nullableArray<T>(readElement: (r: KafkaReader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    return this.elements(count, readElement);
  }

  compactArray<T>(readElement: (r: KafkaReader) => T): T[] {
    const at = this.offset;
    const a = this.compactNullableArray(readElement);
    if (a === null) throw new ProtocolError(`non-nullable compact array at byte ${at} is null`);
    return a;
  }

  compactNullableArray<T>(readElement: (r: KafkaReader) => T): T[] | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.elements(n - 1, readElement);
  }

  private elements<T>(count: number, readElement: (r: KafkaReader) => T): T[] {
    if (count < 0) throw new ProtocolError(`array count ${count} at byte ${this.offset} is negative`);
    if (count > this.remaining) {
      throw new ProtocolError(`array at byte ${this.offset} claims ${count} elements but only ${this.remaining} bytes remain`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(readElement(this));
    return out;
  }

  /** Skips a tagged-field section (flexible versions): none of the tags this broker reads matter. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new ProtocolError(`tagged field count ${count} exceeds the ${this.remaining} bytes remaining`);
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      const size = this.uvarint();
      this.slice(size, 'tagged field');
    }
  }

  /** Version-dependent helpers: flexible versions use the compact forms. */
  str(flexible: boolean): string {
    return flexible ? this.compactString() : this.string();
  }
  nullableStr(flexible: boolean): string | null {
    return flexible ? this.compactNullableString() : this.nullableString();
  }
  byteArray(flexible: boolean): Buffer {
    return flexible ? this.compactBytes() : this.bytes();
  }
  nullableByteArray(flexible: boolean): Buffer | null {
    return flexible ? this.compactNullableBytes() : this.nullableBytes();
  }
  arr<T>(flexible: boolean, readElement: (r: KafkaReader) => T): T[] {
    return flexible ? this.compactArray(readElement) : this.array(readElement);
  }
  nullableArr<T>(flexible: boolean, readElement: (r: KafkaReader) => T): T[] | null {
    return flexible ? this.compactNullableArray(readElement) : this.nullableArray(readElement);
  }
  tags(flexible: boolean): void {
    if (flexible) this.skipTaggedFields();
  }

  /** Requests must be consumed exactly; trailing bytes mean the client and broker disagree on the schema. */
  expectEnd(what: string): void {
    if (this.offset !== this.end) throw new ProtocolError(`${what}: ${this.end - this.offset} unexpected bytes after the request body`);
  }
}
