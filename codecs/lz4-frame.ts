/**
 * The LZ4 frame format (lz4_Frame_format.md), read without decompressing: checks what Kafka checks
 * (magic, version 01, reserved bits, header checksum, block sizes within the declared maximum) and
 * computes an upper bound on the decompressed size from the block headers alone, so a bomb is
 * refused before a single byte is inflated.
 */
import { corruptBlob, declaredTooLarge } from './codec-errors.js';

export const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MIN = 0x184d2a50;
const LZ4_SKIPPABLE_MAGIC_MAX = 0x184d2a5f;
const LZ4_LEGACY_MAGIC = 0x184c2102;
/** High bit of a block size: the block is stored uncompressed. */
const BLOCK_UNCOMPRESSED_BIT = 0x80000000;

/** FLG bits. */
const FLG_VERSION_SHIFT = 6;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;

/**
 * An LZ4 sequence turns at most one input byte into 255 output bytes (a match-length extension byte
 * of 255); literals are 1:1. So a compressed block of n bytes expands to at most 255 * n.
 */
const LZ4_EXPANSION_MAX = 255;

export interface Lz4Block {
  /** Offset of the block's data (after its 4-byte size) in the blob. */
  dataOffset: number;
  dataBytes: number;
  compressed: boolean;
  /** Upper bound on this block's decompressed size (exact for uncompressed blocks). */
  outputBytesMax: number;
}

export interface Lz4FrameInfo {
  flg: number;
  bd: number;
  blockBytesMax: number;
  blockIndependent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  /** Declared content size, when the frame states one. */
  contentBytes?: number;
  blocks: Lz4Block[];
}

export interface Lz4Walk {
  frames: Lz4FrameInfo[];
  /** Upper bound on the total decompressed size. */
  outputBytesBound: number;
}

const PRIME32_1 = 2654435761;
const PRIME32_2 = 2246822519;
const PRIME32_3 = 3266489917;
const PRIME32_4 = 668265263;
const PRIME32_5 = 374761393;

function rotl32(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/**
 * xxHash32 of fewer than 16 bytes (seed 0): all a frame descriptor ever needs (FLG, BD, an 8-byte
 * content size and a 4-byte dictionary id are 14 bytes at most).
 */
export function xxh32Short(buf: Buffer, start: number, end: number, seed = 0): number {
  const length = end - start;
  if (length >= 16) throw new RangeError(`xxh32Short handles fewer than 16 bytes, got ${length}`);
  let h = (seed + PRIME32_5 + length) >>> 0;
  let at = start;
  for (; at + 4 <= end; at += 4) {
    h = (h + Math.imul(buf.readUInt32LE(at), PRIME32_3)) >>> 0;
    h = Math.imul(rotl32(h, 17), PRIME32_4) >>> 0;
  }
  for (; at < end; at++) {
    h = (h + Math.imul(buf[at]!, PRIME32_5)) >>> 0;
    h = Math.imul(rotl32(h, 11), PRIME32_1) >>> 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME32_2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, PRIME32_3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The header checksum byte: second byte of xxh32 over the descriptor (FLG .. before HC). */
export function lz4HeaderChecksum(buf: Buffer, start: number, end: number): number {
  return (xxh32Short(buf, start, end) >>> 8) & 0xff;
}

/**
 * Walks every frame in `blob`. Throws a clear error for a truncated or malformed frame; a frame whose
 * declared content size exceeds `outputBytesMax` is refused here too.
 */
export function walkLz4Frames(blob: Buffer, outputBytesMax: number): Lz4Walk {
  const frames: Lz4FrameInfo[] = [];
  let bound = 0;
  let at = 0;
  if (blob.length === 0) throw corruptBlob('lz4', 'empty blob: no LZ4 frame');
  while (at < blob.length) {
    const frameStart = at;
    if (blob.length - at < 4) throw corruptBlob('lz4', `truncated frame magic at byte ${at}`);
    const magic = blob.readUInt32LE(at);
    if (magic >= LZ4_SKIPPABLE_MAGIC_MIN && magic <= LZ4_SKIPPABLE_MAGIC_MAX) {
      // neither Kafka's reader nor lz4_flex (lz4-napi) accepts them; say so instead of "bad magic"
      throw corruptBlob('lz4', `skippable frame at byte ${at}: Kafka's LZ4 reader does not accept skippable frames`);
    }
    if (magic === LZ4_LEGACY_MAGIC) throw corruptBlob('lz4', `legacy LZ4 frame at byte ${at} (Kafka uses the LZ4 frame format, magic 0x184D2204)`);
    if (magic !== LZ4_FRAME_MAGIC) {
      throw corruptBlob('lz4', `bad frame magic 0x${magic.toString(16).padStart(8, '0')} at byte ${at} (expected 0x184d2204)`);
    }
    at += 4;
    if (blob.length - at < 3) throw corruptBlob('lz4', `truncated frame descriptor at byte ${at}`);
    const descriptorStart = at;
    const flg = blob[at++]!;
    const bd = blob[at++]!;
    const version = flg >>> FLG_VERSION_SHIFT;
    if (version !== 1) throw corruptBlob('lz4', `frame at byte ${frameStart}: version ${version} is not supported (expected 1)`);
    if (flg & FLG_RESERVED || bd & 0x8f) throw corruptBlob('lz4', `frame at byte ${frameStart}: reserved descriptor bits set (FLG 0x${flg.toString(16)}, BD 0x${bd.toString(16)})`);
    if (flg & FLG_DICT_ID) throw corruptBlob('lz4', `frame at byte ${frameStart} needs a dictionary, which Kafka never uses`);
    const blockSizeId = (bd >>> 4) & 0x07;
    if (blockSizeId < 4) throw corruptBlob('lz4', `frame at byte ${frameStart}: block maximum size id ${blockSizeId} is invalid (4..7)`);
    const blockBytesMax = 1 << (2 * blockSizeId + 8);
    let contentBytes: number | undefined;
    if (flg & FLG_CONTENT_SIZE) {
      if (blob.length - at < 9) throw corruptBlob('lz4', `truncated frame descriptor at byte ${at}`);
      const low = blob.readUInt32LE(at);
      const high = blob.readUInt32LE(at + 4);
      contentBytes = high * 2 ** 32 + low;
      at += 8;
      if (contentBytes > outputBytesMax) {
        throw declaredTooLarge('lz4', `frame at byte ${frameStart} declares ${contentBytes} bytes of content, more than the limit of ${outputBytesMax}`);
      }
    }
    if (blob.length - at < 1) throw corruptBlob('lz4', `truncated frame descriptor at byte ${at}`);
    const expectedHc = lz4HeaderChecksum(blob, descriptorStart, at);
    const hc = blob[at++]!;
    if (hc !== expectedHc) {
      throw corruptBlob('lz4', `frame at byte ${frameStart}: header checksum 0x${hc.toString(16)} does not match 0x${expectedHc.toString(16)}`);
    }
    const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
    const contentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0;
    const blocks: Lz4Block[] = [];
    for (;;) {
      if (blob.length - at < 4) throw corruptBlob('lz4', `frame at byte ${frameStart} is truncated: no end mark after ${blocks.length} blocks`);
      const word = blob.readUInt32LE(at);
      at += 4;
      if (word === 0) break; // end mark
      const compressed = (word & BLOCK_UNCOMPRESSED_BIT) === 0;
      const dataBytes = word & ~BLOCK_UNCOMPRESSED_BIT & 0x7fffffff;
      if (dataBytes > blockBytesMax) {
        throw corruptBlob('lz4', `block ${blocks.length} of frame at byte ${frameStart} is ${dataBytes} bytes, more than the frame's block maximum ${blockBytesMax}`);
      }
      const need = dataBytes + (blockChecksum ? 4 : 0);
      if (blob.length - at < need) {
        throw corruptBlob('lz4', `block ${blocks.length} of frame at byte ${frameStart} is truncated: needs ${need} bytes, ${blob.length - at} remain`);
      }
      const outputMax = compressed ? Math.min(blockBytesMax, dataBytes * LZ4_EXPANSION_MAX) : dataBytes;
      blocks.push({ dataOffset: at, dataBytes, compressed, outputBytesMax: outputMax });
      bound += outputMax;
      at += need;
    }
    if (contentChecksum) {
      if (blob.length - at < 4) throw corruptBlob('lz4', `frame at byte ${frameStart} is truncated: content checksum missing`);
      at += 4;
    }
    frames.push({
      flg,
      bd,
      blockBytesMax,
      blockIndependent: (flg & FLG_BLOCK_INDEPENDENCE) !== 0,
      blockChecksum,
      contentChecksum,
      ...(contentBytes === undefined ? {} : { contentBytes }),
      blocks,
    });
  }
  return { frames, outputBytesBound: bound };
}
