/**
 * What a repetition holds while it runs: its partition logs and consumers (opened here, released
 * here even after a failure), and the state its phases share (bytes owed to each consumer, where
 * the measured records start, where the tail has read up to).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogConfig } from '../../core/config/log-config.js';
import { openBenchLog, type BenchLog } from '../bench-log.js';
import type { CellComponents } from '../components.js';
import { startConsumers, type ConsumerHandle } from '../consumer.js';
import { newHistogram, type Histogram } from '../histogram.js';
import type { Cell } from '../matrix.js';
import { makePayloadPool } from '../payload.js';
import type { Workload } from '../workload.js';
import { BatchMaker, warmUp, type HarnessDelays } from './batch-maker.js';
import { AppendSignal } from './fetch-loop.js';

/** A phase that takes longer than this is stuck (a dead consumer, a lost socket): fail the cell. */
export const PHASE_TIMEOUT_MS = 10 * 60 * 1000;

export interface CellRunOptions {
  workload: Workload;
  cell: Cell;
  components: CellComponents;
  /** Directory this repetition may use (created, removed afterwards). */
  dir: string;
  repetition: number;
  /** Keep the segment files (for inspection); default removes them. */
  keepData?: boolean;
  /** A `strata receive` on another host: the cell also ships its log there (the NIC under test). */
  receiver?: { host: string; port: number };
  /** Tests only: delays put into the load generator (batch-maker.ts). */
  delays?: HarnessDelays;
}

type ConsumerSet = Awaited<ReturnType<typeof startConsumers>>;

/** The logs and consumer processes of a repetition; close() releases whatever open() got to. */
export class CellResources {
  readonly logs: BenchLog[] = [];
  private consumerSet: ConsumerSet | undefined;

  get consumers(): ConsumerHandle[] {
    return this.consumerSet?.consumers ?? [];
  }

  /** One log per partition under `dir`/bench-P, then the consumers (connected to every partition). */
  async open(opts: CellRunOptions, config: LogConfig): Promise<void> {
    const { workload: w, components } = opts;
    for (let p = 0; p < w.partitions; p++) {
      const pdir = join(opts.dir, `bench-${p}`);
      await mkdir(pdir, { recursive: true });
      this.logs.push(await openBenchLog(pdir, config, { engine: components.engine, codecs: components.codecs, cache: components.cache }));
    }
    if (w.consumers > 0) this.consumerSet = await startConsumers(w.consumers, w.partitions, '127.0.0.1', opts.delays?.consumerReadUs);
  }

  /** Best effort: a failed close must not hide the error that ended the repetition. */
  async close(): Promise<void> {
    await this.consumerSet?.close().catch(() => {});
    for (const log of this.logs) await log.close().catch(() => {});
  }
}

/** An empty directory for the repetition (a previous run's leftovers would skew every figure). */
export async function resetDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** The state every phase of a repetition reads and advances. */
export interface CellRun {
  readonly w: Workload;
  readonly cell: Cell;
  readonly components: CellComponents;
  readonly logs: readonly BenchLog[];
  readonly consumers: readonly ConsumerHandle[];
  /** Cumulative bytes sent per consumer per partition (what each consumer must have received). */
  readonly sentTo: number[][];
  readonly batches: BatchMaker;
  readonly delays: HarnessDelays;
  readonly signal: AppendSignal;
  /** End-to-end latency, from every phase that tails. */
  readonly hE2e: Histogram;
  /** Log end offsets after the warm-up, by partition: the measured records start there. */
  readonly startOffsets: readonly number[];
  /** Where consumer 0's tail has read up to, by partition (tails resume there). */
  readonly tailOffsets: number[];
}

/** The shared state over opened resources, after the warm-up has run. */
export async function prepareRun(opts: CellRunOptions, held: CellResources): Promise<CellRun> {
  const { workload: w, cell, components } = opts;
  const { logs, consumers } = held;
  const sentTo = consumers.map(() => new Array<number>(w.partitions).fill(0));
  const delays = opts.delays ?? {};
  const batches = new BatchMaker(makePayloadPool(w.payload, w.seed, cell.recordBytes), components.codec, delays);
  await warmUp(w, cell, logs, batches);
  const startOffsets = logs.map((l) => l.logEndOffset);
  return { w, cell, components, logs, consumers, sentTo, batches, delays, signal: new AppendSignal(), hE2e: newHistogram(), startOffsets, tailOffsets: [...startOffsets] };
}
