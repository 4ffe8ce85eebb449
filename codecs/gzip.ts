/**
 * gzip (attributes codec 1): a standard gzip stream, as Kafka's GZIPOutputStream writes it. Node's
 * zlib does the work; decompression is bounded with zlib's maxOutputLength, so a bomb stops as soon
 * as its output passes the limit instead of inflating in full, and anything but a small stream
 * inflates in libuv's threadpool, never on the event loop.
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
      // The trailer's ISIZE is untrusted (a bomb says 100 bytes and inflates to the limit), so the
      // synchronous attempt has its own small output cap: a lie costs at most that much inflating
      // on the event loop, and the real work goes to the threadpool.
      const probeBytes = Math.min(outputBytesMax, SYNC_PROBE_RATIO * syncBytesMax.decompress);
      if (Math.max(blob.length, isizeHint(blob)) <= syncBytesMax.decompress) {
        const out = inflate(blob, probeBytes, outputBytesMax, true);
        if (out !== 'too large') return out;
        if (probeBytes === outputBytesMax) throw outputTooLarge('gzip', `more than ${outputBytesMax}`, outputBytesMax);
      }
      const out = await inflate(blob, outputBytesMax, outputBytesMax, false);
      if (out === 'too large') throw outputTooLarge('gzip', `more than ${outputBytesMax}`, outputBytesMax);
      return out;
    },
  };
}

/** The sync attempt may inflate this many times the sync threshold before handing over. */
const SYNC_PROBE_RATIO = 16;

function inflate(blob: Buffer, capBytes: number, outputBytesMax: number, sync: true): Buffer | 'too large';
function inflate(blob: Buffer, capBytes: number, outputBytesMax: number, sync: false): Promise<Buffer | 'too large'>;
function inflate(blob: Buffer, capBytes: number, outputBytesMax: number, sync: boolean): Buffer | 'too large' | Promise<Buffer | 'too large'> {
  const opts = { maxOutputLength: Math.max(1, capBytes) };
  const onError = (err: unknown): 'too large' => {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'too large';
    throw corruptBlob('gzip', `corrupt or truncated gzip stream of ${blob.length} bytes: ${messageOf(err)}`, err);
  };
  const checked = (out: Buffer): Buffer | 'too large' => (out.length > outputBytesMax ? 'too large' : out.length > capBytes ? 'too large' : out);
  if (sync) {
    try {
      return checked(zlib.gunzipSync(blob, opts));
    } catch (err) {
      return onError(err);
    }
  }
  return gunzipAsync(blob, opts).then(checked, onError);
}

export const gzipCodec: Codec = createGzipCodec();
