/**
 * lz4 (attributes codec 3): the LZ4 frame format, written by lz4-napi (lz4_flex). What it emits is
 * what Kafka's Lz4BlockInputStream accepts: FLG 0x60 (version 01, independent blocks, no block
 * checksum, no content size, no content checksum), a correct header checksum byte. Its block
 * maximum follows the input size (64 KiB for inputs up to 64 KiB, up to 4 MiB above), all within
 * the 64 KiB..4 MiB Kafka allows. Every frame written is checked against that contract.
 *
 * Decompression is bounded: the frame is walked first (lz4-frame.ts), then its blocks are decoded
 * one at a time, each capped by the remaining budget, so at most the limit is ever allocated, the
 * first block past it ends the work, and the event loop is served between slices (slices.ts).
 * With the addon the blocks are decoded by the system's liblz4 into one buffer (native/src/
 * records.cc: the produce path's garbage, measured); without it by lz4-napi's block API, one
 * buffer per block. lz4-napi's frame decoder is not used: it leaks its output buffers.
 * Block and content checksums are not verified (Kafka's writer sets neither; the batch CRC-32C
 * covers the compressed bytes); a declared content size is checked against what was decoded.
 */
import lz4 from 'lz4-napi';
import type { Codec } from '../core/codec.js';
import { assert, assertionFailed } from '../core/errors.js';
import { LentBuffers } from './lent-buffers.js';
import { CompressionType } from '../core/format/record-batch.js';
import { checkOutputBytesMax, corruptBlob, messageOf, outputTooLarge } from './codec-errors.js';
import { LZ4_FRAME_MAGIC, lz4HeaderChecksum, walkLz4Frames, type Lz4Block, type Lz4Walk } from './lz4-frame.js';
import { SliceClock } from './slices.js';
import { loadNative, type NativeAddon } from '../native/index.js';
import { SYNC_BYTES_MAX, type SyncBytesMax } from './sync-thresholds.js';

/** What Kafka's own writer sets: version 01 and block independence, nothing else. */
export const KAFKA_LZ4_FLG = 0x60;
const FRAME_OPTIONS = { blockChecksums: false, contentChecksum: false } as const;

/** Asserts a frame we wrote is one Kafka reads (cheap: looks at 7 bytes). */
function checkWrittenFrame(frame: Buffer): Buffer {
  assert(frame.length >= 7 && frame.readUInt32LE(0) === LZ4_FRAME_MAGIC, 'lz4-napi wrote an LZ4 frame');
  assert(frame[4] === KAFKA_LZ4_FLG, `lz4-napi wrote FLG 0x${frame[4]!.toString(16)}, Kafka expects 0x60`);
  assert(frame[6] === lz4HeaderChecksum(frame, 4, 6), 'lz4-napi wrote a correct header checksum');
  return frame;
}

type BlockDecoder = NonNullable<NativeAddon['lz4DecompressBlock']>;

/** How one decoder writes a block's output; `at` is where the output so far ends. Returns its bytes. */
interface BlockWriter {
  stored(blob: Buffer, block: Lz4Block, at: number): number;
  /** A compressed block into at most `cap` bytes; throws outputTooLarge or corruptBlob. */
  compressed(blob: Buffer, block: Lz4Block, cap: number, at: number): number;
}

const tooLarge = (outputBytesMax: number) => outputTooLarge('lz4', `more than ${outputBytesMax}`, outputBytesMax);

/**
 * Decodes the walked frames block by block, never past outputBytesMax (a block's cap is what is
 * left of it), the event loop served between slices; checks each declared content size. Returns
 * the bytes written.
 */
async function decodeBlocks(blob: Buffer, walk: Lz4Walk, outputBytesMax: number, writer: BlockWriter): Promise<number> {
  const clock = new SliceClock();
  let total = 0;
  for (const frame of walk.frames) {
    const frameStart = total;
    for (const block of frame.blocks) {
      const budget = outputBytesMax - total;
      if (block.compressed ? budget === 0 : block.dataBytes > budget) throw tooLarge(outputBytesMax);
      const n = block.compressed ? writer.compressed(blob, block, Math.min(block.outputBytesMax, budget), total) : writer.stored(blob, block, total);
      total += n;
      await clock.spent(n);
    }
    if (frame.contentBytes !== undefined && frame.contentBytes !== total - frameStart) {
      throw corruptBlob('lz4', `frame declares ${frame.contentBytes} bytes of content, its blocks decode to ${total - frameStart}`);
    }
  }
  return total;
}

/**
 * Into `out` with the addon's liblz4 (records.cc): one buffer of the walked bound (capped by
 * outputBytesMax) instead of, per block, an input copy, lz4-napi's output and a final concatenation.
 */
async function decompressBlocksInto(decode: BlockDecoder, blob: Buffer, walk: Lz4Walk, outputBytesMax: number, out: Buffer): Promise<Buffer> {
  // out holds the sum of the blocks' maxima (or the limit): every block fits where the ones before it ended
  if (out.length < Math.min(walk.outputBytesBound, outputBytesMax)) assertionFailed(`lz4 output buffer of ${out.length} bytes for a bound of ${walk.outputBytesBound}`);
  const total = await decodeBlocks(blob, walk, outputBytesMax, {
    stored: (b, block, at) => b.copy(out, at, block.dataOffset, block.dataOffset + block.dataBytes),
    compressed(b, block, cap, at) {
      const n = decode(b, block.dataOffset, block.dataBytes, out, at, cap);
      if (n >= 0) return n;
      // liblz4 says only "malformed or too small": with a cap below the block's own maximum, a
      // block that decodes within that maximum is one past the budget (a rare path: refusals only)
      if (cap < block.outputBytesMax && decode(b, block.dataOffset, block.dataBytes, Buffer.allocUnsafe(block.outputBytesMax), 0, block.outputBytesMax) >= 0) {
        throw tooLarge(outputBytesMax);
      }
      throw corruptBlob('lz4', `corrupt block at byte ${block.dataOffset}`);
    },
  });
  return out.subarray(0, total);
}

/**
 * With lz4-napi's block API (its frame calls leak their output, see slices.ts): one buffer per
 * block, concatenated.
 */
async function decompressBlocksBounded(blob: Buffer, walk: Lz4Walk, outputBytesMax: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const keep = (part: Buffer): number => {
    parts.push(part);
    return part.length;
  };
  const total = await decodeBlocks(blob, walk, outputBytesMax, {
    stored: (b, block) => keep(b.subarray(block.dataOffset, block.dataOffset + block.dataBytes)),
    compressed(b, block, cap) {
      // lz4-napi's block API takes a little-endian size prefix as the output capacity
      const framed = Buffer.allocUnsafe(4 + block.dataBytes);
      framed.writeUInt32LE(cap, 0);
      b.copy(framed, 4, block.dataOffset, block.dataOffset + block.dataBytes);
      try {
        return keep(lz4.uncompressSync(framed));
      } catch (err) {
        if (cap < block.outputBytesMax && /too small/.test(messageOf(err))) throw tooLarge(outputBytesMax);
        throw corruptBlob('lz4', `corrupt block at byte ${block.dataOffset}: ${messageOf(err)}`, err);
      }
    },
  });
  return Buffer.concat(parts, total);
}

/**
 * What a frame will most likely decode to (the codec benchmark uses it to choose sync or threadpool
 * for the library's own calls; the limit is enforced by the walked bound, never by this): the declared content sizes when every frame has
 * one, else the walked bound capped at 4x the blob (lz4 compressed JSON log lines 3.6-4.0x in the
 * codec benchmark). Without the cap, a 4 KiB frame of one 64 KiB block would always count as 64 KiB.
 */
export function lz4ExpectedOutputBytes(walk: Lz4Walk, blobBytes: number): number {
  if (walk.frames.every((f) => f.contentBytes !== undefined)) return walk.frames.reduce((sum, f) => sum + f.contentBytes!, 0);
  return Math.min(walk.outputBytesBound, LZ4_EXPECTED_RATIO * blobBytes);
}
const LZ4_EXPECTED_RATIO = 4;

/** The frame walk plus the check Kafka makes: independent blocks only. */
function walkIndependentFrames(blob: Buffer, outputBytesMax: number): Lz4Walk {
  checkOutputBytesMax('lz4', outputBytesMax);
  const walk = walkLz4Frames(blob, outputBytesMax);
  for (const frame of walk.frames) {
    if (!frame.blockIndependent) {
      throw corruptBlob('lz4', 'frame uses linked (dependent) blocks, which Kafka rejects ("Dependent block stream is unsupported")');
    }
  }
  return walk;
}

/**
 * Lent output buffers kept per codec: one per connection validating at once is the common case;
 * 4 MiB is the decompressed bound of a batch at the default message.max.bytes (4 x 1 MiB), so at
 * most 16 MiB are kept.
 */
const LENT_BUFFERS_MAX = 4;
const LENT_BUFFER_BYTES_MAX = 4 * 1024 * 1024;

export interface Lz4CodecOptions {
  /** Sizes up to which calls run on the calling thread (default: SYNC_BYTES_MAX, measured). */
  syncBytesMax?: Partial<SyncBytesMax>;
  /** Decode with the addon's liblz4 when it has it (default true); false: always lz4-napi. */
  nativeDecode?: boolean;
}

export function createLz4Codec(options: Lz4CodecOptions = {}): Codec {
  const syncBytesMax: SyncBytesMax = { ...SYNC_BYTES_MAX.lz4, ...options.syncBytesMax };
  const nativeDecode = options.nativeDecode ?? true;
  const lent = new LentBuffers(LENT_BUFFERS_MAX, LENT_BUFFER_BYTES_MAX);
  return {
    name: 'lz4',
    type: CompressionType.lz4,
    async compress(records: Buffer): Promise<Buffer> {
      const frame = records.length <= syncBytesMax.compress ? lz4.compressFrameSync(records, FRAME_OPTIONS) : await lz4.compressFrame(records, FRAME_OPTIONS);
      return checkWrittenFrame(frame);
    },
    async decompress(blob: Buffer, outputBytesMax: number): Promise<Buffer> {
      const walk = walkIndependentFrames(blob, outputBytesMax);
      const decode = nativeDecode ? loadNative()?.lz4DecompressBlock : undefined;
      if (!decode) return decompressBlocksBounded(blob, walk, outputBytesMax);
      const section = await decompressBlocksInto(decode, blob, walk, outputBytesMax, Buffer.allocUnsafeSlow(Math.min(walk.outputBytesBound, outputBytesMax)));
      // the bound can be far above the content (a 4 MiB block maximum, a 255x expansion bound):
      // a section the caller keeps should not pin that much
      if (section.length >= section.buffer.byteLength / 2) return section;
      const kept = Buffer.allocUnsafeSlow(section.length);
      section.copy(kept);
      return kept;
    },
    async decompressLent<T>(blob: Buffer, outputBytesMax: number, use: (section: Buffer) => Promise<T>): Promise<T> {
      const walk = walkIndependentFrames(blob, outputBytesMax);
      const decode = nativeDecode ? loadNative()?.lz4DecompressBlock : undefined;
      if (!decode) return use(await decompressBlocksBounded(blob, walk, outputBytesMax));
      return lent.lend(Math.min(walk.outputBytesBound, outputBytesMax), async (out) => use(await decompressBlocksInto(decode, blob, walk, outputBytesMax, out)));
    },
  };
}

export const lz4Codec: Codec = createLz4Codec();
