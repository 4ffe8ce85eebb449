/**
 * Seeded payload profiles for the codec benchmarks, built as real records so the bytes a codec sees
 * are exactly a batch's records section:
 *  - random: incompressible bytes (a ratio near 1 and the codecs' worst case);
 *  - json: JSON log lines with a small vocabulary, like application logs (ratio 3-5);
 *  - repetitive: one short line over and over (the best case, ratios in the hundreds).
 */
import { buildBatch, type ProducerRecord } from '../../core/format/records.js';
import { RECORDS_OFFSET } from '../../core/format/record-batch.js';
import { prng } from '../payload.js';

export type PayloadProfile = 'random' | 'json' | 'repetitive';
export const PAYLOAD_PROFILES: readonly PayloadProfile[] = ['random', 'json', 'repetitive'];

/** The harness's seeded PRNG (mulberry32), so codec and matrix payloads come from one generator. */
export const seededRandom = prng;

const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const SERVICES = ['checkout', 'payments', 'inventory', 'search', 'auth', 'shipping'];
const MESSAGES = [
  'request completed',
  'cache miss, loading from database',
  'retrying upstream call',
  'user session refreshed',
  'order state changed',
  'slow query detected',
];

function jsonLine(rand: () => number, i: number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  return Buffer.from(
    JSON.stringify({
      ts: new Date(1_700_000_000_000 + i * 37).toISOString(),
      level: pick(LEVELS),
      service: pick(SERVICES),
      msg: pick(MESSAGES),
      traceId: Math.floor(rand() * 2 ** 52).toString(16).padStart(13, '0'),
      userId: Math.floor(rand() * 100_000),
      latencyMs: Math.round(rand() * 5000) / 10,
      status: rand() < 0.95 ? 200 : 500,
    }),
  );
}

/** Records of one profile whose records section is about `bytes` long. */
export function makeRecords(profile: PayloadProfile, bytes: number, seed = 42): ProducerRecord[] {
  const rand = seededRandom(seed);
  const records: ProducerRecord[] = [];
  let total = 0;
  for (let i = 0; total < bytes; i++) {
    let value: Buffer;
    if (profile === 'random') {
      value = Buffer.allocUnsafe(512);
      for (let j = 0; j < value.length; j += 4) value.writeUInt32LE(Math.floor(rand() * 2 ** 32), j);
    } else if (profile === 'json') {
      value = jsonLine(rand, i);
    } else {
      value = Buffer.from('GET /api/v1/health 200 OK\n'.repeat(4));
    }
    records.push({ key: null, value, timestamp: 1_700_000_000_000 + i });
    total += value.length + 8; // record overhead: length, attributes, deltas, key and value lengths, headers
  }
  return records;
}

/** The records section those records encode to: what a codec compresses inside a batch. */
export function recordsSectionOf(records: readonly ProducerRecord[]): Buffer {
  return Buffer.from(buildBatch(records, { timestamp: 1_700_000_000_000 }).subarray(RECORDS_OFFSET));
}

/**
 * Wraps a benchmarked call so that every `every` calls it yields one event-loop turn. The napi
 * codecs (lz4-napi, snappy without copyOutputData, zstd) return buffers whose native memory is freed
 * by finalizers that only run on a later loop turn; a timing loop that never yields piles up GiBs of
 * it and then measures page faults instead of the codec (docs/codecs.md). Real servers turn the loop
 * all the time. The turn is inside the timed region, so it is applied to both sides of a comparison.
 */
export function withLoopTurns(fn: () => unknown, every = 32): () => Promise<unknown> {
  let calls = 0;
  return async () => {
    const out = await fn();
    if (++calls % every === 0) await new Promise((resolve) => setImmediate(resolve));
    return out;
  };
}
