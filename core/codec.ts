/**
 * Batch-level compression (Kafka's CompressionType): the records section of a RecordBatch v2 after
 * recordsCount is one blob, the codec named by attributes bits 0-2. Implementations live in codecs/;
 * the `none` codec is here because the core must work without any of them.
 */
import { StrataError } from './errors.js';
import { CompressionType } from './format/record-batch.js';
import { unknownComponentError } from './registry.js';

export type CodecName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODEC_NAMES: readonly CodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface Codec {
  readonly name: CodecName;
  /** The value of attributes bits 0-2 for batches this codec writes. */
  readonly type: CompressionType;
  /** Compresses a whole records section. Small inputs may be done synchronously inside. */
  compress(records: Buffer): Promise<Buffer>;
  /**
   * Decompresses a records section. Must reject (never crash, never allocate unboundedly) when the
   * output would exceed `outputBytesMax` or the blob is corrupt or truncated.
   */
  decompress(blob: Buffer, outputBytesMax: number): Promise<Buffer>;
  /**
   * Optional: decompress() into memory lent for the length of `use` only, which must not keep the
   * section (or a view of it) past its promise. For sections read once and dropped (produce
   * validation): a fresh buffer per batch paced V8's major GCs (codecs/lent-buffers.ts). Callers
   * without it call decompress().
   */
  decompressLent?<T>(blob: Buffer, outputBytesMax: number, use: (section: Buffer) => Promise<T>): Promise<T>;
}

/**
 * strata's one bound on a decompressed records section: DECOMPRESSION_RATIO_MAX x the topic's
 * message.max.bytes (which bounds the compressed batch). Kafka has none (it streams records out of
 * a batch); strata decodes whole sections, so it needs one, and the same on every path: the
 * broker's produce validation, Log.readBatches (consume) and recompression. A batch one path
 * accepts, the others read (with different bounds, produce could store a record consume refuses).
 */
export const DECOMPRESSION_RATIO_MAX = 4;

export function decompressedBytesMaxFor(messageMaxBytes: number): number {
  return DECOMPRESSION_RATIO_MAX * messageMaxBytes;
}

export const noneCodec: Codec = {
  name: 'none',
  type: CompressionType.none,
  compress: async (records) => records,
  decompress: async (blob, outputBytesMax) => {
    if (blob.length > outputBytesMax) {
      throw new StrataError('CORRUPT_RECORD', `records section of ${blob.length} bytes exceeds the limit of ${outputBytesMax}`);
    }
    return blob;
  },
};

/** The codecs a process knows, by name and by attributes id. */
export class CodecRegistry {
  private readonly byName = new Map<string, Codec>();
  private readonly byType = new Map<number, Codec>();

  constructor(codecs: Iterable<Codec> = [noneCodec]) {
    for (const codec of codecs) this.register(codec);
  }

  register(codec: Codec): void {
    this.byName.set(codec.name, codec);
    this.byType.set(codec.type, codec);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  byNameOrThrow(name: string): Codec {
    const codec = this.byName.get(name);
    if (!codec) {
      throw unknownComponentError('codec', name, this.names());
    }
    return codec;
  }

  byTypeOrThrow(type: CompressionType): Codec {
    const codec = this.byType.get(type);
    if (!codec) {
      throw new StrataError('UNKNOWN_CODEC', `no codec registered for compression type ${type} (${CompressionType[type] ?? 'unknown'})`);
    }
    return codec;
  }
}
