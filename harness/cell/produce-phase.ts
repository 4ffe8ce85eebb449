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
import type { PoolCursor } from './batch-maker.js';
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

/** One producer's part of a phase: its partition, keys, pool position and share of the records. */
interface Producer {
  readonly partition: number;
  readonly log: BenchLog;
  readonly keys: KeyGenerator;
  readonly cursor: PoolCursor;
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

export async function producePhase(run: CellRun, plan: ProducePlan): Promise<PhaseCounters> {
  const c: PhaseCounters = { records: 0, batches: 0, diskBytes: 0, payloadBytes: 0, hAppend: newHistogram(), hProduce: newHistogram() };
  /** Wall-clock ms at each batch's append start, by partition and base offset. */
  const sendTimes = run.logs.map(() => new Map<number, number>());
  const phaseStart = run.logs.map((l) => l.logEndOffset);
  let producing = true;
  const tails = plan.tail ? startTails(run, () => !producing) : [];
  const clock: PhaseClock = { t0: process.hrtime.bigint(), t0Wall: wallNowMs() };
  const produce = (id: number): Promise<void> => {
    const p = newProducer(run, plan, id, c, sendTimes);
    return plan.rate === 0 ? produceAtMaxRate(run, plan, p, c, clock) : produceAtFixedRate(run, plan, p, c, clock);
  };
  try {
    await Promise.all(Array.from({ length: run.w.producers }, (_, id) => produce(id)));
  } finally {
    producing = false;
    run.signal.notify();
  }
  if (tails.length > 0) await finishTails(run, tails, sendTimes, phaseStart);
  return c;
}

function newProducer(run: CellRun, plan: ProducePlan, id: number, c: PhaseCounters, sendTimes: Map<number, number>[]): Producer {
  const { w, logs } = run;
  const partition = id % logs.length;
  const { totalRecords, seedSalt } = plan;
  return {
    partition,
    log: logs[partition]!,
    keys: new KeyGenerator(w.keyDistribution, w.keyCount, w.keyBytes, w.seed + seedSalt + 1 + id),
    cursor: { i: id * 7 + seedSalt },
    share: Math.floor(totalRecords / w.producers) + (id < totalRecords % w.producers ? 1 : 0),
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

/** Full batches back to back; produce latency counts from the batch's start (records are not due). */
async function produceAtMaxRate(run: CellRun, plan: ProducePlan, p: Producer, c: PhaseCounters, clock: PhaseClock): Promise<void> {
  const { batchRecords } = run.cell;
  const { durationMs } = plan;
  let mine = 0;
  while (durationMs > 0 ? Number(process.hrtime.bigint() - clock.t0) / 1e6 < durationMs : mine < p.share) {
    const n = durationMs > 0 ? batchRecords : Math.min(batchRecords, p.share - mine);
    const startNs = process.hrtime.bigint();
    const startWall = wallNowMs();
    const { batch, payload } = await run.batches.make(n, p.keys, p.cursor);
    const aStart = process.hrtime.bigint();
    const res = await p.log.append(batch);
    const end = process.hrtime.bigint();
    recordNs(c.hAppend, end - aStart);
    recordNs(c.hProduce, end - startNs, n);
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
  const k = Math.max(1, Math.min(cell.batchRecords, Math.floor((ratePerProducer * w.lingerMs) / 1000) || 1));
  for (let first = 0; first < p.share; first += k) {
    const n = Math.min(k, p.share - first);
    const firstDueMs = first * intervalMs;
    const sendAtMs = firstDueMs + Math.min(w.lingerMs, (n - 1) * intervalMs);
    const wait = sendAtMs - (wallNowMs() - clock.t0Wall);
    if (wait > 1) await sleep(wait);
    const startWall = wallNowMs();
    const { batch, payload } = await run.batches.make(n, p.keys, p.cursor);
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
