/**
 * Ceiling rows: runs that show the harness is not the limit of what it reports. On the produce
 * side the same harness and Log over the null engine (appends that do no I/O) must reach at least
 * PRODUCE_CEILING_MIN times the fastest produce cell of the same codec, record and batch size (the
 * Log's validation of a batch depends on its codec: records walked, or one compressed body); where it
 * does not, the load generator, not the engine, bounded that cell, and the report says so.
 */
import { join } from 'node:path';
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

export interface Ceilings {
  produce: ProduceCeiling[];
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

/** One line per ceiling that fell short: the harness, not the engine, was the limit there. */
export function ceilingWarnings(c: Ceilings | undefined): string[] {
  if (!c) return [];
  return c.produce.filter((p) => p.holds === false).map((p) =>
    `the harness was the limit of produce at ${p.codec} ${p.recordBytes}-byte records in batches of ${p.batchRecords}: over the null engine it reached ${p.recordsPerSec.median.toLocaleString('en-US')} records/s, ${p.ratio}× the fastest cell (\`${p.fastestCell}\`), below the ${p.required}× that would show the engine as the limit; the produce figures of these cells are the load generator's`);
}
