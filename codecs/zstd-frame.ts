/**
 * The zstd frame format (RFC 8878), read without decompressing: frame headers and block headers
 * give an upper bound on the decompressed size (raw and RLE blocks state their size exactly, a
 * compressed block regenerates at most Block_Maximum_Size = min(window, 128 KiB)). The zstd binding
 * available here (@mongodb-js/zstd 1.2.2) decodes a whole blob with no output limit, so this walk is
 * what keeps a bomb from being inflated at all.
 */
import { corruptBlob, declaredTooLarge } from './codec-errors.js';

export const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const ZSTD_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
export const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;

const BLOCK_RAW = 0;
const BLOCK_RLE = 1;
const BLOCK_COMPRESSED = 2;

export interface ZstdFrameInfo {
  windowBytes: number;
  /** Frame_Content_Size, when the header states it. */
  contentBytes?: number;
  blocks: number;
  checksum: boolean;
  /** Upper bound on this frame's output. */
  outputBytesBound: number;
}

export interface ZstdWalk {
  frames: ZstdFrameInfo[];
  outputBytesBound: number;
}

/**
 * Walks every frame in `blob` (skippable frames are skipped, as zstd does). Throws a clear error for
 * a truncated or malformed header, and for a frame whose declared content size exceeds the limit.
 */
export function walkZstdFrames(blob: Buffer, outputBytesMax: number): ZstdWalk {
  const frames: ZstdFrameInfo[] = [];
  let bound = 0;
  let at = 0;
  if (blob.length === 0) throw corruptBlob('zstd', 'empty blob: no zstd frame');
  while (at < blob.length) {
    const frameStart = at;
    if (blob.length - at < 4) throw corruptBlob('zstd', `truncated frame magic at byte ${at}`);
    const magic = blob.readUInt32LE(at);
    if (((magic & ZSTD_SKIPPABLE_MAGIC_MASK) >>> 0) === ZSTD_SKIPPABLE_MAGIC) {
      if (blob.length - at < 8) throw corruptBlob('zstd', `truncated skippable frame at byte ${at}`);
      const size = blob.readUInt32LE(at + 4);
      if (size > blob.length - at - 8) throw corruptBlob('zstd', `skippable frame at byte ${at} claims ${size} bytes, ${blob.length - at - 8} remain`);
      at += 8 + size;
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) {
      throw corruptBlob('zstd', `bad frame magic 0x${magic.toString(16).padStart(8, '0')} at byte ${at} (expected 0xfd2fb528)`);
    }
    at += 4;
    if (blob.length - at < 1) throw corruptBlob('zstd', `truncated frame header at byte ${at}`);
    const descriptor = blob[at++]!;
    const fcsFlag = descriptor >>> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictIdFlag = descriptor & 0x03;
    if (descriptor & 0x08) throw corruptBlob('zstd', `frame at byte ${frameStart}: reserved header bit set`);
    const windowDescriptorBytes = singleSegment ? 0 : 1;
    const dictIdBytes = [0, 1, 2, 4][dictIdFlag]!;
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
    if (blob.length - at < windowDescriptorBytes + dictIdBytes + fcsBytes) {
      throw corruptBlob('zstd', `truncated frame header at byte ${frameStart}`);
    }
    let windowBytes = 0;
    if (!singleSegment) {
      const wd = blob[at++]!;
      const exponent = wd >>> 3;
      const base = 2 ** (10 + exponent);
      windowBytes = base + (base / 8) * (wd & 0x07);
    }
    if (dictIdBytes > 0) {
      let dictId = 0;
      for (let i = 0; i < dictIdBytes; i++) dictId += blob[at + i]! * 2 ** (8 * i);
      at += dictIdBytes;
      if (dictId !== 0) throw corruptBlob('zstd', `frame at byte ${frameStart} needs dictionary ${dictId}, which Kafka never uses`);
    }
    let contentBytes: number | undefined;
    if (fcsBytes > 0) {
      if (fcsBytes === 1) contentBytes = blob[at]!;
      else if (fcsBytes === 2) contentBytes = blob.readUInt16LE(at) + 256;
      else if (fcsBytes === 4) contentBytes = blob.readUInt32LE(at);
      else contentBytes = blob.readUInt32LE(at + 4) * 2 ** 32 + blob.readUInt32LE(at);
      at += fcsBytes;
      if (contentBytes > outputBytesMax) {
        throw declaredTooLarge('zstd', `frame at byte ${frameStart} declares ${contentBytes} bytes of content, more than the limit of ${outputBytesMax}`);
      }
    }
    if (singleSegment) windowBytes = contentBytes!;
    const blockBytesMax = Math.min(windowBytes, ZSTD_BLOCK_BYTES_MAX);
    let frameBound = 0;
    let blocks = 0;
    for (let last = false; !last; blocks++) {
      if (blob.length - at < 3) throw corruptBlob('zstd', `frame at byte ${frameStart} is truncated: block header ${blocks} missing`);
      const header = blob[at]! | (blob[at + 1]! << 8) | (blob[at + 2]! << 16);
      at += 3;
      last = (header & 1) === 1;
      const type = (header >>> 1) & 0x03;
      const size = header >>> 3;
      let consumed: number;
      if (type === BLOCK_RAW) {
        consumed = size;
        frameBound += size;
      } else if (type === BLOCK_RLE) {
        consumed = 1;
        frameBound += size;
      } else if (type === BLOCK_COMPRESSED) {
        consumed = size;
        frameBound += blockBytesMax;
      } else {
        throw corruptBlob('zstd', `frame at byte ${frameStart}: block ${blocks} has the reserved block type 3`);
      }
      // raw and RLE sizes are output sizes, bounded by the window; a compressed block's size is
      // its input size, which the format caps at 128 KiB whatever the window
      const sizeMax = type === BLOCK_COMPRESSED ? ZSTD_BLOCK_BYTES_MAX : blockBytesMax;
      if (size > sizeMax) {
        throw corruptBlob('zstd', `frame at byte ${frameStart}: block ${blocks} of ${size} bytes exceeds the block maximum ${sizeMax}`);
      }
      if (blob.length - at < consumed) {
        throw corruptBlob('zstd', `frame at byte ${frameStart} is truncated: block ${blocks} needs ${consumed} bytes, ${blob.length - at} remain`);
      }
      at += consumed;
    }
    if (checksum) {
      if (blob.length - at < 4) throw corruptBlob('zstd', `frame at byte ${frameStart} is truncated: content checksum missing`);
      at += 4;
    }
    // zstd (>= 1.5) stops a frame whose output passes its declared content size, so the declared
    // size bounds the frame as well as the block walk does.
    const outputBytesBound = contentBytes === undefined ? frameBound : Math.min(frameBound, contentBytes);
    frames.push({ windowBytes, ...(contentBytes === undefined ? {} : { contentBytes }), blocks, checksum, outputBytesBound });
    bound += outputBytesBound;
  }
  if (frames.length === 0) throw corruptBlob('zstd', 'blob holds no zstd frame (only skippable frames)');
  return { frames, outputBytesBound: bound };
}
