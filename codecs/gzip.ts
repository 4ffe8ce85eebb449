/**
 * gzip (attributes codec 1): a standard gzip stream, as Kafka's GZIPOutputStream writes it. Node's
 * zlib does the work; decompression is bounded with zlib's maxOutputLength, so a bomb stops as soon
 * as its output passes the limit instead of inflating in full.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Codec } from '../core/codec.js';
import { CompressionType } from '../core/format/record-batch.js';
import { checkOutputBytesMax, corruptBlob, messageOf, outputTooLarge } from './codec-errors.js';
import { SYNC_BYTES_MAX, type SyncBytesMax } from './sync-thresholds.js';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/** Kafka's default (compression.gzip.level = -1, i.e. Deflater's default level 6). */
export const GZIP_LEVEL_DEFAULT = 6;

export interface GzipCodecOptions {
  /** zlib level 1..9 (Kafka's compression.gzip.level). */
  level?: number;
  /** Sizes up to which calls run on the calling thread (default: SYNC_BYTES_MAX, measured). */
  syncBytesMax?: Partial<SyncBytesMax>;
}

/** gzip's trailer holds ISIZE, the uncompressed size mod 2^32 (of the last member): a hint only. */
function isizeHint(blob: Buffer): number {
  return blob.length >= 18 ? blob.readUInt32LE(blob.length - 4) : 0;
}

export function createGzipCodec(options: GzipCodecOptions = {}): Codec {
  const level = options.level ?? GZIP_LEVEL_DEFAULT;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`gzip level must be 1..9, got ${level}`);
  const syncBytesMax: SyncBytesMax = { ...SYNC_BYTES_MAX.gzip, ...options.syncBytesMax };
  return {
    name: 'gzip',
    type: CompressionType.gzip,
    async compress(records: Buffer): Promise<Buffer> {
      return records.length <= syncBytesMax.compress ? zlib.gzipSync(records, { level }) : gzipAsync(records, { level });
    },
    async decompress(blob: Buffer, outputBytesMax: number): Promise<Buffer> {
      checkOutputBytesMax('gzip', outputBytesMax);
      // The trailer's ISIZE is untrusted; it only picks sync or threadpool. A lie costs at most one
      // synchronous inflate up to outputBytesMax, which maxOutputLength stops.
      const expectedBytes = Math.max(blob.length, isizeHint(blob));
      try {
        const opts = { maxOutputLength: Math.max(1, outputBytesMax) };
        const out = expectedBytes <= syncBytesMax.decompress ? zlib.gunzipSync(blob, opts) : await gunzipAsync(blob, opts);
        if (out.length > outputBytesMax) throw outputTooLarge('gzip', out.length, outputBytesMax);
        return out;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw outputTooLarge('gzip', `more than ${outputBytesMax}`, outputBytesMax);
        }
        if ((err as { code?: string }).code === 'CORRUPT_RECORD') throw err;
        throw corruptBlob('gzip', `corrupt or truncated gzip stream of ${blob.length} bytes: ${messageOf(err)}`, err);
      }
    },
  };
}

export const gzipCodec: Codec = createGzipCodec();
