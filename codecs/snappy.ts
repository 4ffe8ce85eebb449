/**
 * snappy (attributes codec 2). Kafka has two framings on the wire:
 *  - raw snappy (one block with a varint uncompressed-length prefix): what librdkafka/kcat write,
 *    and what strata writes;
 *  - xerial framing: what Kafka's Java client writes (SnappyOutputStream): a 16-byte header
 *    0x82 'SNAPPY' 0x00, int32 version, int32 compatible version, then blocks of
 *    [int32 BE compressed length][raw snappy block].
 * A broker must read both. Every raw block states its uncompressed length up front; that length is
 * checked against the limit (and against the most a snappy block of that size can expand to)
 * before anything is allocated. Every call is synchronous: the library's async calls never free
 * their output (slices.ts); xerial blocks are decoded one at a time, the event loop served between
 * slices, while a raw block is one call of at most the limit.
 */
import snappy from 'snappy';
import type { Codec } from '../core/codec.js';
import { CompressionType } from '../core/format/record-batch.js';
import { checkOutputBytesMax, corruptBlob, messageOf, outputTooLarge } from './codec-errors.js';
import { SliceClock } from './slices.js';
import type { SyncBytesMax } from './sync-thresholds.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_BYTES = 16;
/** What snappy-java writes: version 1, compatible with 1. */
export const XERIAL_VERSION = 1;
export const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size (SnappyOutputStream's DEFAULT_BLOCK_SIZE, 32 KiB). */
export const XERIAL_BLOCK_BYTES_DEFAULT = 32 * 1024;

/**
 * The most output one snappy element per input byte can give: a copy with a 2-byte offset is 3
 * bytes and copies up to 64 bytes. A block claiming more than this for its size is corrupt.
 */
const SNAPPY_EXPANSION_MAX = 64 / 3;

/**
 * copyOutputData: the library's default hands back buffers over native memory that V8 does not
 * count, freed only by finalizers that run on a later event-loop turn; a loop of decodes that never
 * yields to the loop grew RSS by 1.2 GiB for 20000 x 64 KiB here, and each call got ~5x slower from
 * page faults on fresh memory. Copying into V8-managed memory measured faster (105 vs 588 us per
 * 64 KiB decode in that loop) and stays flat. See docs/codecs.md.
 */
const DEC_OPTIONS = { asBuffer: true, copyOutputData: true } as const;
const ENC_OPTIONS = { copyOutputData: true } as const;

export function isXerialFramed(blob: Buffer): boolean {
  return blob.length >= XERIAL_MAGIC.length && blob.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, 0, XERIAL_MAGIC.length) === 0;
}

/** Reads a raw block's uncompressed-length varint (uint32, at most 5 bytes) and checks it. */
export function rawUncompressedLength(block: Buffer, outputBytesMax: number, where: string): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corruptBlob('snappy', `${where}: truncated uncompressed-length prefix`);
    const byte = block[i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) throw corruptBlob('snappy', `${where}: uncompressed-length prefix ${value} exceeds 2^32-1`);
      if (value > outputBytesMax) throw outputTooLarge('snappy', value, outputBytesMax);
      const bodyBytes = block.length - (i + 1);
      if (value > Math.ceil(bodyBytes * SNAPPY_EXPANSION_MAX)) {
        throw corruptBlob('snappy', `${where}: claims ${value} uncompressed bytes, more than a ${block.length}-byte block can hold`);
      }
      return value;
    }
  }
  throw corruptBlob('snappy', `${where}: uncompressed-length prefix longer than 5 bytes`);
}

function uncompressRawSync(block: Buffer, expectedBytes: number, where: string): Buffer {
  let out: Buffer;
  try {
    out = snappy.uncompressSync(block, DEC_OPTIONS) as Buffer;
  } catch (err) {
    throw corruptBlob('snappy', `${where}: corrupt snappy data: ${messageOf(err)}`, err);
  }
  if (out.length !== expectedBytes) throw corruptBlob('snappy', `${where}: decoded ${out.length} bytes, its prefix said ${expectedBytes}`);
  return out;
}

/** Splits a xerial stream into its raw blocks, checking every length before decoding any block. */
export function xerialBlocks(blob: Buffer, outputBytesMax: number): { blocks: Buffer[]; uncompressedBytes: number[]; totalBytes: number } {
  if (blob.length < XERIAL_HEADER_BYTES) {
    throw corruptBlob('snappy', `xerial header needs ${XERIAL_HEADER_BYTES} bytes, blob has ${blob.length}`);
  }
  const compatible = blob.readInt32BE(12);
  if (compatible < 1 || compatible > XERIAL_VERSION) {
    throw corruptBlob('snappy', `xerial compatible version ${compatible} is not supported (this reader is version ${XERIAL_VERSION})`);
  }
  const blocks: Buffer[] = [];
  const uncompressedBytes: number[] = [];
  let totalBytes = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < blob.length) {
    if (blob.length - at < 4) throw corruptBlob('snappy', `xerial block ${blocks.length} at byte ${at}: truncated length (${blob.length - at} bytes left)`);
    const length = blob.readInt32BE(at);
    at += 4;
    if (length <= 0 || length > blob.length - at) {
      throw corruptBlob('snappy', `xerial block ${blocks.length} at byte ${at - 4}: length ${length} does not fit the ${blob.length - at} bytes left (truncated or corrupt)`);
    }
    const block = blob.subarray(at, at + length);
    const where = `xerial block ${blocks.length}`;
    const bytes = rawUncompressedLength(block, Number.MAX_SAFE_INTEGER, where);
    if (totalBytes + bytes > outputBytesMax) throw outputTooLarge('snappy', `at least ${totalBytes + bytes}`, outputBytesMax);
    blocks.push(block);
    uncompressedBytes.push(bytes);
    totalBytes += bytes;
    at += length;
  }
  // snappy-java writes no block for empty input, but a compressed batch always holds a record
  if (blocks.length === 0) throw corruptBlob('snappy', 'xerial stream has a header and no blocks (truncated)');
  return { blocks, uncompressedBytes, totalBytes };
}

/** Writes xerial framing by hand over raw snappy calls (what Kafka's Java producer emits). */
export function compressXerialSync(records: Buffer, blockBytes = XERIAL_BLOCK_BYTES_DEFAULT): Buffer {
  if (!Number.isInteger(blockBytes) || blockBytes <= 0) throw new RangeError(`xerial block size must be a positive integer, got ${blockBytes}`);
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < records.length; at += blockBytes) {
    const block = snappy.compressSync(records.subarray(at, Math.min(records.length, at + blockBytes)), ENC_OPTIONS);
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export interface SnappyCodecOptions {
  /** Framing to write: 'raw' (librdkafka's, the default) or 'xerial' (Kafka Java's). Both are read. */
  framing?: 'raw' | 'xerial';
  /** Accepted for compatibility and ignored: every snappy call runs on the calling thread (see above). */
  syncBytesMax?: Partial<SyncBytesMax>;
}

export function createSnappyCodec(options: SnappyCodecOptions = {}): Codec {
  const framing = options.framing ?? 'raw';
  return {
    name: 'snappy',
    type: CompressionType.snappy,
    async compress(records: Buffer): Promise<Buffer> {
      if (framing === 'xerial') return compressXerialSync(records);
      // always on the calling thread: the library's async compress keeps every output buffer
      // (RSS +2 MB per 4 MiB compressed, never freed), which a broker recompressing for a topic's
      // compression.type would pay on every produce
      return snappy.compressSync(records, ENC_OPTIONS);
    },
    async decompress(blob: Buffer, outputBytesMax: number): Promise<Buffer> {
      checkOutputBytesMax('snappy', outputBytesMax);
      if (!isXerialFramed(blob)) {
        // one raw block: one synchronous call, at most outputBytesMax (its prefix was checked)
        return uncompressRawSync(blob, rawUncompressedLength(blob, outputBytesMax, 'raw block'), 'raw block');
      }
      const { blocks, uncompressedBytes, totalBytes } = xerialBlocks(blob, outputBytesMax);
      // all lengths were checked above, so the whole output is allocated once, within the limit;
      // blocks are decoded one at a time, the event loop served between slices
      const out = Buffer.allocUnsafe(totalBytes);
      const clock = new SliceClock();
      let at = 0;
      for (let i = 0; i < blocks.length; i++) {
        const part = uncompressRawSync(blocks[i]!, uncompressedBytes[i]!, `xerial block ${i}`);
        at += part.copy(out, at);
        await clock.spent(part.length);
      }
      return out;
    },
  };
}

export const snappyCodec: Codec = createSnappyCodec();
