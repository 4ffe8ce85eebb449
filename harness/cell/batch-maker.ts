/** The batches a cell's producers append: records from the payload pool, keys, the cell's codec. */
import type { Codec } from '../../core/codec.js';
import { CompressionType } from '../../core/format/record-batch.js';
import { buildBatch, buildCompressedBatch, type ProducerRecord } from '../../core/format/records.js';
import type { BenchLog } from '../bench-log.js';
import type { Cell } from '../matrix.js';
import { KeyGenerator } from '../payload.js';
import type { Workload } from '../workload.js';

/** Where a producer is in the payload pool (each producer starts elsewhere, then walks it). */
export interface PoolCursor {
  i: number;
}

export class BatchMaker {
  constructor(
    private readonly pool: readonly Buffer[],
    private readonly codec: Codec,
  ) {}

  /** One RecordBatch v2 of `n` records; `payload` is its key + value bytes. */
  async make(n: number, keys: KeyGenerator, cursor: PoolCursor): Promise<{ batch: Buffer; payload: number }> {
    const recs: ProducerRecord[] = new Array(n);
    let payload = 0;
    for (let k = 0; k < n; k++) {
      const key = keys.next();
      const value = this.pool[cursor.i++ % this.pool.length]!;
      payload += value.length + (key?.length ?? 0);
      recs[k] = { key, value };
    }
    const batch = this.codec.type === CompressionType.none ? buildBatch(recs) : await buildCompressedBatch(recs, this.codec);
    return { batch, payload };
  }
}

/** Warm-up: the same path as the measured produce, nothing measured (JIT, file creation, first extents). */
export async function warmUp(w: Workload, cell: Cell, logs: readonly BenchLog[], batches: BatchMaker): Promise<void> {
  if (w.warmupRecords <= 0) return;
  const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed);
  const cursor = { i: 0 };
  for (let done = 0, b = 0; done < w.warmupRecords; b++) {
    const n = Math.min(cell.batchRecords, w.warmupRecords - done);
    const { batch } = await batches.make(n, keys, cursor);
    await logs[b % logs.length]!.append(batch);
    done += n;
  }
}
