/**
 * Ceiling rows: runs that show the harness is not the limit of what it reports. On the produce
 * side the same harness and Log over the null engine (appends that do no I/O) must reach at least
 * PRODUCE_CEILING_MIN times the fastest produce cell of the same codec, record and batch size (the
 * Log's validation of a batch depends on its codec: records walked, or one compressed body); where it
 * does not, the load generator, not the engine, bounded that cell, and the report says so. On the
 * consume side the harness's consumer receiving from the C loop's sender (strata_baseline --fd)
 * must take at least CONSUME_CEILING_MIN of what the C loop's own sink takes: else the consumer,
 * not the transfer, bounded the consume cells.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runLoop, type LoopJob, type LoopMode } from './baselines/loop.js';
import { startConsumers } from './consumer.js';
import { resolveComponents } from './components.js';
import { nullEngine } from './cell/null-engine.js';
import type { HarnessDelays } from './cell/batch-maker.js';
import { cellId, type Cell } from './matrix.js';
import { flattenRepetition, summarizeRepetitions, type CellResult, type Metrics } from './results.js';
import { runRepetition } from './run-cell.js';
import { round, type Spread } from './stats.js';
import type { Workload } from './workload.js';

/** The null engine's records/s over the fastest produce cell's must be at least this. */
export const PRODUCE_CEILING_MIN = 2;

export interface ProduceCeiling {
  /** What ran: `null/<codec>/r<record bytes>/b<batch records>`. */
  id: string;
  codec: string;
  recordBytes: number;
  batchRecords: number;
  recordsPerSec: Spread;
  /** The fastest ok cell of the same sizes (median records/s), if any ran. */
  fastestCell: string | null;
  fastestRecordsPerSec: number | null;
  /** recordsPerSec.median / fastestRecordsPerSec. */
  ratio: number | null;
  required: number;
  /** False: the harness was the limit of the fastest cell (and maybe of others). */
  holds: boolean | null;
}

/** The harness's consumer over the C loop's own sink, for the same sender, must be at least this. */
export const CONSUME_CEILING_MIN = 0.95;

export interface ConsumeCeiling {
  /** `C <mode> loop -> harness consumer`. */
  id: string;
  mode: 'sendfile' | 'copy';
  harnessMbPerSec: Spread;
  loopMbPerSec: Spread;
  /** harnessMbPerSec.median / loopMbPerSec.median. */
  ratio: number | null;
  required: number;
  holds: boolean | null;
}

export interface Ceilings {
  produce: ProduceCeiling[];
  consume?: ConsumeCeiling[];
}

/** The workload the produce ceiling runs: the measured produce alone, no readers. */
function ceilingWorkload(w: Workload): Workload {
  return { ...w, consumers: 0, coldRead: false, endToEnd: false };
}

/** One produce ceiling per record and batch size of the cells that ran; `reps` repetitions each. */
export async function runProduceCeilings(w: Workload, cells: readonly CellResult[], runDir: string, delays?: HarnessDelays): Promise<ProduceCeiling[]> {
  const shapes = new Map<string, { codec: string; recordBytes: number; batchRecords: number }>();
  for (const c of cells) if (c.status === 'ok') shapes.set(`${c.codec}/${c.recordBytes}/${c.batchRecords}`, { codec: c.codec, recordBytes: c.recordBytes, batchRecords: c.batchRecords });
  const out: ProduceCeiling[] = [];
  let n = 0;
  for (const { codec, recordBytes, batchRecords } of shapes.values()) {
    const shape = { engine: 'pwrite', transfer: 'buffered', cache: 'none', codec, recordBytes, batchRecords, config: {} };
    const cell: Cell = { id: cellId(shape), ...shape };
    const resolved = await resolveComponents(cell);
    if (!resolved.ok) throw new Error(`produce ceiling: ${resolved.reason}`);
    const components = { ...resolved.components, engine: nullEngine };
    const reps: Metrics[] = [];
    for (let r = 0; r < w.repetitions; r++) {
      const result = await runRepetition({ workload: ceilingWorkload(w), cell: { ...cell, engine: nullEngine.name }, components, dir: join(runDir, `ceiling${n}-r${r}`), repetition: r, delays });
      reps.push(flattenRepetition(result));
    }
    n++;
    out.push(judgeProduce(shape, summarizeRepetitions(reps)['produce.recordsPerSec']!, cells));
  }
  return out;
}

function judgeProduce(shape: { codec: string; recordBytes: number; batchRecords: number }, recordsPerSec: Spread, cells: readonly CellResult[]): ProduceCeiling {
  const { codec, recordBytes, batchRecords } = shape;
  let fastest: { id: string; value: number } | undefined;
  for (const c of cells) {
    const same = c.status === 'ok' && c.codec === codec && c.recordBytes === recordBytes && c.batchRecords === batchRecords;
    const v = same ? c.summary['produce.recordsPerSec']?.median : undefined;
    if (v !== undefined && (!fastest || v > fastest.value)) fastest = { id: c.id, value: v };
  }
  const ratio = fastest && fastest.value > 0 ? round(recordsPerSec.median / fastest.value) : null;
  return {
    id: `null/${codec}/r${recordBytes}/b${batchRecords}`,
    codec,
    recordBytes,
    batchRecords,
    recordsPerSec,
    fastestCell: fastest?.id ?? null,
    fastestRecordsPerSec: fastest?.value ?? null,
    ratio,
    required: PRODUCE_CEILING_MIN,
    holds: ratio === null ? null : ratio >= PRODUCE_CEILING_MIN,
  };
}

/**
 * Per transfer mode the consume cells used: the C loop's sender `repetitions` times into its own
 * sink and into one harness consumer (a process of its own, as in the cells), for `seconds` each.
 */
export async function runConsumeCeilings(modes: readonly ('sendfile' | 'copy')[], runDir: string, seconds: number, repetitions: number, binary: string, delays?: HarnessDelays): Promise<ConsumeCeiling[]> {
  const out: ConsumeCeiling[] = [];
  const sourceFile = join(runDir, 'consume-ceiling.dat');
  await writeFile(sourceFile, framedBytes());
  for (const mode of modes) {
    const job: LoopJob = { kind: 'net', mode: mode as LoopMode, blockBytes: 1024 * 1024, sizeBytes: CEILING_FILE_BYTES, netBytes: 64 * 2 ** 30, runtimeSecondsMax: seconds, sourceFile };
    const own: Metrics[] = [];
    const harness: Metrics[] = [];
    for (let r = 0; r < repetitions; r++) {
      own.push({ mbPerSec: (await runLoop(job, runDir, binary)).mbPerSec });
      harness.push({ mbPerSec: await intoHarnessConsumer(job, runDir, binary, delays?.consumerReadUs ?? 0) });
    }
    const h = summarizeRepetitions(harness).mbPerSec!;
    const l = summarizeRepetitions(own).mbPerSec!;
    const ratio = l.median > 0 ? round(h.median / l.median) : null;
    out.push({ id: `C ${mode === 'copy' ? 'pread+write' : 'sendfile'} loop -> harness consumer`, mode, harnessMbPerSec: h, loopMbPerSec: l, ratio, required: CONSUME_CEILING_MIN, holds: ratio === null ? null : ratio >= CONSUME_CEILING_MIN });
  }
  return out;
}

/** The consume ceiling's file: 100 KiB frames, 2,560 of them, which the C loop cycles through. */
const FRAME_BYTES = 100 * 1024;
const CEILING_FILE_BYTES = 2560 * FRAME_BYTES;

/**
 * Bytes framed as RecordBatches are (base offset, then the length of the rest), so the harness's
 * consumer walks them as it walks a log; the rest of each frame is not looked at.
 */
function framedBytes(): Buffer {
  const buf = Buffer.alloc(CEILING_FILE_BYTES, 0x5a);
  for (let i = 0, at = 0; at < buf.length; i++, at += FRAME_BYTES) {
    buf.writeBigInt64BE(BigInt(i), at);
    buf.writeInt32BE(FRAME_BYTES - 12, at + 8);
  }
  return buf;
}

/** The C loop sending into the socket of a harness consumer; MB/s once the consumer has it all. */
async function intoHarnessConsumer(job: LoopJob, runDir: string, binary: string, readDelayUs: number): Promise<number> {
  const set = await startConsumers(1, 1, '127.0.0.1', readDelayUs);
  try {
    const consumer = set.consumers[0]!;
    const result = await runLoop(job, runDir, binary, consumer.sockets[0]!);
    const bytes = result.bytes ?? 0;
    await consumer.waitFor([bytes], (job.runtimeSecondsMax * 3 + 60) * 1000);
    return result.mbPerSec;
  } finally {
    await set.close();
  }
}

/** One line per ceiling that fell short: the harness, not the engine, was the limit there. */
export function ceilingWarnings(c: Ceilings | undefined): string[] {
  if (!c) return [];
  const consume = (c.consume ?? []).filter((x) => x.holds === false).map((x) =>
    `the harness was the limit of consume (${x.mode}): its consumer took ${x.harnessMbPerSec.median.toLocaleString('en-US')} MB/s from the C loop's sender, ${x.ratio}× what the C loop's own sink takes (${x.loopMbPerSec.median.toLocaleString('en-US')} MB/s), below ${x.required}×; the consume figures of these cells are the consumer's`);
  return [...consume, ...c.produce.filter((p) => p.holds === false).map((p) =>
    `the harness was the limit of produce at ${p.codec} ${p.recordBytes}-byte records in batches of ${p.batchRecords}: over the null engine it reached ${p.recordsPerSec.median.toLocaleString('en-US')} records/s, ${p.ratio}× the fastest cell (\`${p.fastestCell}\`), below the ${p.required}× that would show the engine as the limit; the produce figures of these cells are the load generator's`)];
}
