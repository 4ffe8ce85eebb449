/**
 * Writes Kafka protocol primitives into a growable buffer. Responses are small next to the record
 * bytes they carry (Fetch sends those separately, from the segment files), so doubling growth is
 * enough; toBuffer() returns a view, not a copy.
 */
const TWO_POW_32 = 0x1_0000_0000;

export class KafkaWriter {
  private buf: Buffer;
  private at = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.at;
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.at);
    this.at += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.at);
    this.at += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.at);
    this.at += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.at);
    this.at += 4;
    return this;
  }

  int64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 value ${v} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.buf.writeInt32BE(hi, this.at);
    this.buf.writeUInt32BE(v - hi * TWO_POW_32, this.at + 4);
    this.at += 8;
    return this;
  }

  uuid(v: Buffer): this {
    if (v.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${v.length}`);
    return this.raw(v);
  }

  uvarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`unsigned varint ${v} out of range`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
    return this;
  }

  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.at);
    this.at += b.length;
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0x7fff) throw new RangeError(`string of ${n} bytes exceeds the int16 length limit`);
    this.int16(n);
    this.ensure(n);
    this.at += this.buf.write(s, this.at, 'utf8');
    return this;
  }

  compactString(s: string): this {
    return this.compactNullableString(s);
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.ensure(n);
    this.at += this.buf.write(s, this.at, 'utf8');
    return this;
  }

  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }

  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  /** Array length prefix (classic int32 or compact length+1); the caller writes the elements. */
  arrayLength(count: number | null, flexible = false): this {
    if (flexible) return this.uvarint(count === null ? 0 : count + 1);
    return this.int32(count === null ? -1 : count);
  }

  array<T>(items: readonly T[], writeElement: (w: KafkaWriter, item: T) => void, flexible = false): this {
    this.arrayLength(items.length, flexible);
    for (const item of items) writeElement(this, item);
    return this;
  }

  /** An empty tagged-field section (flexible versions). */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  /** Version-dependent helpers. */
  str(s: string, flexible: boolean): this {
    return flexible ? this.compactString(s) : this.string(s);
  }
  nullableStr(s: string | null, flexible: boolean): this {
    return flexible ? this.compactNullableString(s) : this.nullableString(s);
  }
  byteArray(b: Buffer | null, flexible: boolean): this {
    return flexible ? this.compactNullableBytes(b) : this.nullableBytes(b);
  }
  tags(flexible: boolean): this {
    return flexible ? this.emptyTaggedFields() : this;
  }

  /** Overwrites an int32 written earlier (the frame size, once the body is known). */
  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
