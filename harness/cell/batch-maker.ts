/**
 * The batches a cell's producers append: records from the payload pool, keys, the cell's codec.
 * They are made before a phase's clock starts (a BatchPool), as a broker receives batches a client
 * made: building records, compressing and computing CRCs is the client's work, and on the measured
 * thread it would be charged to the engine.
 */
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

/** One made batch: its bytes, its record count and its key + value bytes. */
export interface MadeBatch {
  readonly batch: Buffer;
  readonly records: number;
  readonly payload: number;
}

/**
 * Delays injected into the load generator by tests, to show where its cost lands: `batchMakeMs`
 * into the making of each batch (outside every clock), `perAppendUs` as busy time between a
 * producer's appends (inside the phase: a slow harness, which the null-engine ceiling must expose),
 * `consumerReadUs` a sleep after each read of the C consumer (a slow client: the consume ceiling).
 */
export interface HarnessDelays {
  batchMakeMs?: number;
  perAppendUs?: number;
  consumerReadUs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BatchMaker {
  constructor(
    private readonly pool: readonly Buffer[],
    private readonly codec: Codec,
    private readonly delays: HarnessDelays = {},
  ) {}

  /** One RecordBatch v2 of `n` records. */
  async make(n: number, keys: KeyGenerator, cursor: PoolCursor): Promise<MadeBatch> {
    if (this.delays.batchMakeMs) await sleep(this.delays.batchMakeMs);
    const recs: ProducerRecord[] = new Array(n);
    let payload = 0;
    for (let k = 0; k < n; k++) {
      const key = keys.next();
      const value = this.pool[cursor.i++ % this.pool.length]!;
      payload += value.length + (key?.length ?? 0);
      recs[k] = { key, value };
    }
    const batch = this.codec.type === CompressionType.none ? buildBatch(recs) : await buildCompressedBatch(recs, this.codec);
    return { batch, records: n, payload };
  }
}

/** Bytes of made batches a producer's pool may hold (its batches are cycled through). */
export const POOL_BATCH_BYTES_MAX = 32 * 1024 * 1024;
/** Distinct batches per size in a producer's pool, at most and at least. */
const POOL_BATCHES_MAX = 64;
const POOL_BATCHES_MIN = 2;

/**
 * One producer's made batches by record count, cycled through in the measured loop. A producer
 * awaits each append before the next, and the log rewrites a batch's base offset in place, so each
 * producer holds its own pool: no buffer is in two appends at once.
 */
export class BatchPool {
  private readonly bySize = new Map<number, { batches: MadeBatch[]; next: number }>();

  /**
   * Makes the batches of each size (record count) before any clock starts: as many as the phase
   * appends (`uses`; Infinity when it runs for a time), within the pool's bounds.
   */
  static async build(maker: BatchMaker, sizes: readonly { records: number; uses: number }[], recordBytes: number, keys: KeyGenerator, cursor: PoolCursor): Promise<BatchPool> {
    const pool = new BatchPool();
    for (const { records: n, uses } of sizes) {
      if (n <= 0 || uses <= 0 || pool.bySize.has(n)) continue;
      const fits = Math.floor(POOL_BATCH_BYTES_MAX / Math.max(1, n * recordBytes));
      const count = Math.min(uses, Math.max(POOL_BATCHES_MIN, Math.min(POOL_BATCHES_MAX, fits)));
      const batches: MadeBatch[] = [];
      for (let b = 0; b < count; b++) batches.push(await maker.make(n, keys, cursor));
      pool.bySize.set(n, { batches, next: 0 });
    }
    return pool;
  }

  /** The next batch of `n` records; a size not made before the clock is a harness bug. */
  take(n: number): MadeBatch {
    const slot = this.bySize.get(n);
    if (!slot) throw new Error(`batch pool: no batches of ${n} records were made before the phase (made: ${[...this.bySize.keys()].join(', ')})`);
    const made = slot.batches[slot.next]!;
    slot.next = (slot.next + 1) % slot.batches.length;
    return made;
  }
}

/**
 * Warm-up: the same path as the measured produce, nothing measured (JIT, file creation, first
 * extents): for warmupSeconds at max rate when set, else warmupRecords records.
 */
export async function warmUp(w: Workload, cell: Cell, logs: readonly BenchLog[], batches: BatchMaker): Promise<void> {
  if (w.warmupSeconds > 0) return warmUpFor(w, cell, logs, batches);
  if (w.warmupRecords <= 0) return;
  const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed);
  const cursor = { i: 0 };
  const full = Math.min(cell.batchRecords, w.warmupRecords);
  const sizes = [{ records: full, uses: Math.floor(w.warmupRecords / full) }, { records: w.warmupRecords % full, uses: 1 }];
  const pool = await BatchPool.build(batches, sizes, cell.recordBytes, keys, cursor);
  for (let done = 0, b = 0; done < w.warmupRecords; b++) {
    const n = Math.min(full, w.warmupRecords - done);
    await logs[b % logs.length]!.append(pool.take(n).batch);
    done += n;
  }
}

/** Full batches from a pool made first, round-robin over the logs, until warmupSeconds have passed. */
async function warmUpFor(w: Workload, cell: Cell, logs: readonly BenchLog[], batches: BatchMaker): Promise<void> {
  const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed);
  const pool = await BatchPool.build(batches, [{ records: cell.batchRecords, uses: Infinity }], cell.recordBytes, keys, { i: 0 });
  const endNs = process.hrtime.bigint() + BigInt(Math.round(w.warmupSeconds * 1e9));
  for (let b = 0; process.hrtime.bigint() < endNs; b++) {
    await logs[b % logs.length]!.append(pool.take(cell.batchRecords).batch);
  }
}
