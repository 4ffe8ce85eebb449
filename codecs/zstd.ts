/**
 * zstd (attributes codec 4): a standard zstd frame at Kafka's default level 3, through
 * @mongodb-js/zstd 1.2.2 (the only version that installs offline here). That binding is async only
 * (every call is a libuv threadpool hop, whatever the size) and decodes with no output limit, so the
 * limit is enforced before the call: walkZstdFrames bounds the output from the frame and block
 * headers, and a blob that could exceed the limit is refused without being decompressed.
 */
import zstd from '@mongodb-js/zstd';
import type { Codec } from '../core/codec.js';
import { CompressionType } from '../core/format/record-batch.js';
import { checkOutputBytesMax, corruptBlob, messageOf, outputTooLarge } from './codec-errors.js';
import { walkZstdFrames } from './zstd-frame.js';

/** Kafka's default compression.zstd.level. */
export const ZSTD_LEVEL_DEFAULT = 3;

export function createZstdCodec(): Codec {
  return {
    name: 'zstd',
    type: CompressionType.zstd,
    async compress(records: Buffer): Promise<Buffer> {
      return zstd.compress(records, ZSTD_LEVEL_DEFAULT);
    },
    async decompress(blob: Buffer, outputBytesMax: number): Promise<Buffer> {
      checkOutputBytesMax('zstd', outputBytesMax);
      const walk = walkZstdFrames(blob, outputBytesMax);
      if (walk.outputBytesBound > outputBytesMax) {
        // streaming frames carry no content size; their block headers allow up to this much
        throw outputTooLarge('zstd', `up to ${walk.outputBytesBound}`, outputBytesMax);
      }
      let out: Buffer;
      try {
        out = await zstd.decompress(blob);
      } catch (err) {
        throw corruptBlob('zstd', `corrupt or truncated frame of ${blob.length} bytes: ${messageOf(err).replace(/^zstd: /, '')}`, err);
      }
      if (out.length > outputBytesMax) throw outputTooLarge('zstd', out.length, outputBytesMax);
      return out;
    },
  };
}

export const zstdCodec: Codec = createZstdCodec();
