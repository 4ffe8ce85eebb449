/**
 * A produce phase: `producers` async producers append to the partition logs, either as fast as
 * they can (max rate) or at a fixed rate whose latency counts from each record's intended send
 * time (no coordinated omission). With a tail, consumer 0 follows the logs meanwhile
 * (end-to-end latency, end-to-end.ts).
 */
import type { BenchLog } from '../bench-log.js';
import { wallNowMs } from '../consumer.js';
import { newHistogram, recordNs, type Histogram } from '../histogram.js';
import { KeyGenerator } from '../payload.js';
import { BatchPool } from './batch-maker.js';
import type { CellRun } from './cell-run.js';
import { finishTails, startTails } from './end-to-end.js';

export interface PhaseCounters {
  records: number;
  batches: number;
  diskBytes: number;
  payloadBytes: number;
  hAppend: Histogram;
  hProduce: Histogram;
}

export interface ProducePlan {
  /** Records/s over all producers; 0 = max rate. */
  rate: number;
  /** Records over all producers (max rate with durationMs > 0 ignores it). */
  totalRecords: number;
  /** Max rate only: produce for this long instead of totalRecords; 0 = by count. */
  durationMs: number;
  /** Consumer 0 tails the logs meanwhile, recording end-to-end latency. */
  tail: boolean;
  /** Makes this phase's keys and payload walk differ from another phase's. */
  seedSalt: number;
}

/** One producer's part of a phase: its partition, its batches (made already) and share of the records. */
interface Producer {
  readonly partition: number;
  readonly log: BenchLog;
  readonly pool: BatchPool;
  readonly share: number;
  /** Counts an appended batch and wakes the tails. */
  account(n: number, batch: Buffer, payload: number, firstOffset: number, startWall: number): void;
}

/** Phase start on both clocks: hrtime for durations, wall clock for intended send times. */
interface PhaseClock {
  readonly t0: bigint;
  readonly t0Wall: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A phase whose producers hold their batches: what remains is the timed part. */
export interface PreparedPhase {
  readonly plan: ProducePlan;
  readonly producers: readonly Producer[];
  readonly counters: PhaseCounters;
  /** Wall-clock ms at each batch's append start, by partition and base offset. */
  readonly sendTimes: Map<number, number>[];
}

/** Makes every producer's batches; call before the phase's clock and CPU count start. */
export async function preparePhase(run: CellRun, plan: ProducePlan): Promise<PreparedPhase> {
  const c: PhaseCounters = { records: 0, batches: 0, diskBytes: 0, payloadBytes: 0, hAppend: newHistogram(), hProduce: newHistogram() };
  const sendTimes = run.logs.map(() => new Map<number, number>());
  const producers: Producer[] = [];
  for (let id = 0; id < run.w.producers; id++) producers.push(await newProducer(run, plan, id, c, sendTimes));
  return { plan, producers, counters: c, sendTimes };
}

/** A whole phase: its batches made, then the timed part. */
export async function producePhase(run: CellRun, plan: ProducePlan): Promise<PhaseCounters> {
  return runPhase(run, await preparePhase(run, plan));
}

/** The timed part: the producers append their made batches. */
export async function runPhase(run: CellRun, prepared: PreparedPhase): Promise<PhaseCounters> {
  const { plan, counters: c, sendTimes } = prepared;
  const phaseStart = run.logs.map((l) => l.logEndOffset);
  let producing = true;
  const tails = plan.tail ? startTails(run, () => !producing) : [];
  const clock: PhaseClock = { t0: process.hrtime.bigint(), t0Wall: wallNowMs() };
  const produce = (p: Producer): Promise<void> => (plan.rate === 0 ? produceAtMaxRate(run, plan, p, c, clock) : produceAtFixedRate(run, plan, p, c, clock));
  try {
    await Promise.all(prepared.producers.map(produce));
  } finally {
    producing = false;
    run.signal.notify();
  }
  if (tails.length > 0) await finishTails(run, tails, sendTimes, phaseStart);
  return c;
}

async function newProducer(run: CellRun, plan: ProducePlan, id: number, c: PhaseCounters, sendTimes: Map<number, number>[]): Promise<Producer> {
  const { w, logs, cell } = run;
  const partition = id % logs.length;
  const { totalRecords, seedSalt } = plan;
  const share = Math.floor(totalRecords / w.producers) + (id < totalRecords % w.producers ? 1 : 0);
  const keys = new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed + seedSalt + 1 + id);
  const pool = await BatchPool.build(run.batches, batchSizes(run, plan, share), cell.recordBytes, keys, { i: id * 7 + seedSalt });
  return {
    partition,
    log: logs[partition]!,
    pool,
    share,
    account(n, batch, payload, firstOffset, startWall) {
      sendTimes[partition]!.set(firstOffset, startWall);
      c.records += n;
      c.batches++;
      c.diskBytes += batch.length;
      c.payloadBytes += payload;
      run.signal.notify();
    },
  };
}

/** The batch sizes (record counts) a producer's share is appended in, and how often each is used. */
function batchSizes(run: CellRun, plan: ProducePlan, share: number): { records: number; uses: number }[] {
  const full = plan.rate === 0 ? run.cell.batchRecords : fixedRateBatchRecords(run, plan);
  if (plan.rate === 0 && plan.durationMs > 0) return [{ records: full, uses: Infinity }];
  return [{ records: full, uses: Math.floor(share / full) }, { records: share % full, uses: 1 }];
}

/** Busy time between appends (tests: a slow load generator). */
function spinUs(us: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < until);
}

/** Full batches back to back; produce latency counts from the batch's start (records are not due). */
async function produceAtMaxRate(run: CellRun, plan: ProducePlan, p: Producer, c: PhaseCounters, clock: PhaseClock): Promise<void> {
  const { batchRecords } = run.cell;
  const { durationMs } = plan;
  let mine = 0;
  while (durationMs > 0 ? Number(process.hrtime.bigint() - clock.t0) / 1e6 < durationMs : mine < p.share) {
    const n = durationMs > 0 ? batchRecords : Math.min(batchRecords, p.share - mine);
    if (run.delays.perAppendUs) spinUs(run.delays.perAppendUs);
    const startWall = wallNowMs();
    const { batch, payload } = p.pool.take(n);
    const aStart = process.hrtime.bigint();
    const res = await p.log.append(batch);
    const end = process.hrtime.bigint();
    recordNs(c.hAppend, end - aStart);
    recordNs(c.hProduce, end - aStart, n);
    mine += n;
    p.account(n, batch, payload, res.firstOffset, startWall);
  }
}

/**
 * Record i of this producer is due at t0 + i / rate; a batch closes when full or lingerMs after
 * its first record, so at this rate it holds k records.
 */
async function produceAtFixedRate(run: CellRun, plan: ProducePlan, p: Producer, c: PhaseCounters, clock: PhaseClock): Promise<void> {
  const { w, cell } = run;
  const ratePerProducer = plan.rate / w.producers;
  const intervalMs = 1000 / ratePerProducer;
  const k = fixedRateBatchRecords(run, plan);
  for (let first = 0; first < p.share; first += k) {
    const n = Math.min(k, p.share - first);
    const firstDueMs = first * intervalMs;
    const sendAtMs = firstDueMs + Math.min(w.lingerMs, (n - 1) * intervalMs);
    const wait = sendAtMs - (wallNowMs() - clock.t0Wall);
    if (wait > 1) await sleep(wait);
    const startWall = wallNowMs();
    const { batch, payload } = p.pool.take(n);
    const aStart = process.hrtime.bigint();
    const res = await p.log.append(batch);
    const end = process.hrtime.bigint();
    const endMs = wallNowMs() - clock.t0Wall;
    recordNs(c.hAppend, end - aStart);
    for (let m = 0; m < n; m++) {
      // late sends count their lateness: latency is from when the record was due
      const latMs = endMs - (firstDueMs + m * intervalMs);
      c.hProduce.recordValue(Math.max(1, Math.round(latMs * 1000)));
    }
    p.account(n, batch, payload, res.firstOffset, startWall);
  }
}

/** A fixed-rate batch closes when full or lingerMs after its first record: at this rate it holds this many. */
function fixedRateBatchRecords(run: CellRun, plan: ProducePlan): number {
  const ratePerProducer = plan.rate / run.w.producers;
  return Math.max(1, Math.min(run.cell.batchRecords, Math.floor((ratePerProducer * run.w.lingerMs) / 1000) || 1));
}
