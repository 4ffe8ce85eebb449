/**
 * A seeded fuzz test of segment and index files (issue 13): a cleanly closed log is copied and one
 * damage is applied to the copy (a flipped bit anywhere in a .log or .index, a cut tail, a zeroed
 * range, a stray or deleted segment); then the copy is opened as after a clean shutdown or a crash.
 * Whatever the damage: opening never crashes the process, every record a read returns is the record
 * written at that offset (wrong data is never returned: an error naming the file is fine), appends
 * after the open are readable, and `verify` either passes or names a file.
 * STRATA_FUZZ_SEED and STRATA_SEGMENT_FUZZ_CASES pick the seed and the count (printed).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { createContainer } from '../../core/container.js';
import { CorruptRecordError, StrataError } from '../../core/errors.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { verifyDataDir } from '../../core/log/log-verifier.js';
import type { Log } from '../../core/log/log.js';
import { TOKENS, silentLogger } from '../../core/tokens.js';
import { builtinCodecs } from '../../codecs/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { prng as rng } from '../../harness/payload.js';

const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20261201);
const CASES = Number(process.env.STRATA_SEGMENT_FUZZ_CASES ?? 300);
const PROPS = { 'segment.bytes': '8192', 'index.interval.bytes': '600', 'retention.ms': '-1' };

const valueAt = (offset: number) => `record ${offset} `.padEnd(90 + (offset % 37), '#');
const manager = (dataDir: string) => createContainer({ dataDir, engine: pwriteEngine, codecs: builtinCodecs, logger: silentLogger, config: logConfigFrom(PROPS) }).get<LogManager>(TOKENS.LogManager);

async function makeOriginal(): Promise<string> {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-segfuzz-orig-'));
  const m = manager(dataDir);
  const log = await m.getOrCreateLog('f', 0);
  for (let b = 0; b < 60; b++) await log.appendRecords(Array.from({ length: 5 }, (_, i) => ({ value: Buffer.from(valueAt(b * 5 + i)) })), { codec: b % 3 === 0 ? 'lz4' : 'none' });
  await m.close();
  return dataDir;
}

type Damage = (dir: string, pick: () => number) => string;
const files = (dir: string, suffix: string) => fs.readdirSync(dir).filter((n) => n.endsWith(suffix)).sort().map((n) => join(dir, n));
const choose = <T>(xs: readonly T[], pick: () => number): T => xs[Math.floor(pick() * xs.length)]!;

const DAMAGES: Record<string, Damage> = {
  'flip a bit in a .log': (dir, pick) => flip(choose(files(dir, '.log'), pick), pick),
  'flip a bit in an .index': (dir, pick) => flip(choose(files(dir, '.index'), pick), pick),
  'flip a bit in a .timeindex': (dir, pick) => flip(choose(files(dir, '.timeindex'), pick), pick),
  'cut the tail of a .log': (dir, pick) => {
    const f = choose(files(dir, '.log'), pick);
    const size = fs.statSync(f).size;
    const cut = 1 + Math.floor(pick() * Math.min(size, 300));
    fs.truncateSync(f, size - cut);
    return `${f}: cut ${cut} bytes`;
  },
  'zero a range of a .log': (dir, pick) => {
    const f = choose(files(dir, '.log'), pick);
    const bytes = fs.readFileSync(f);
    const at = Math.floor(pick() * bytes.length);
    const n = 1 + Math.floor(pick() * 200);
    bytes.fill(0, at, Math.min(at + n, bytes.length));
    fs.writeFileSync(f, bytes);
    return `${f}: zeroed ${n} bytes at ${at}`;
  },
  'delete a segment': (dir, pick) => {
    const f = choose(files(dir, '.log'), pick);
    fs.rmSync(f);
    return `${f}: deleted`;
  },
  'add a stray segment': (dir, pick) => {
    const f = join(dir, `${String(5000 + Math.floor(pick() * 5000)).padStart(20, '0')}.log`);
    fs.writeFileSync(f, pick() < 0.5 ? Buffer.alloc(0) : fs.readFileSync(files(dir, '.log')[0]!).subarray(0, 500));
    return `${f}: stray`;
  },
};

function flip(f: string, pick: () => number): string {
  const bytes = fs.readFileSync(f);
  if (bytes.length === 0) return `${f}: empty, nothing flipped`;
  const at = Math.floor(pick() * bytes.length);
  const bit = Math.floor(pick() * 8);
  bytes[at]! ^= 1 << bit;
  fs.writeFileSync(f, bytes);
  return `${f}: bit ${bit} of byte ${at}`;
}

/** Reads every offset the log says it has; each record must be the one written there. */
async function checkReads(log: Log, what: string): Promise<'ok' | 'refused'> {
  let refused = false;
  // the original log holds 300 records: a log end far past that would be damage let through
  expect(log.logEndOffset, `${what}: log end`).toBeLessThanOrEqual(300);
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    let batches;
    try {
      batches = await log.readBatches(offset, 4096);
    } catch (err) {
      // a refusal must be a clear error, never a crash of another kind
      expect(err instanceof CorruptRecordError || err instanceof StrataError, `${what}: ${(err as Error).stack}`).toBe(true);
      refused = true;
      offset++;
      continue;
    }
    expect(batches.length, `${what}: an empty read at ${offset} below the end ${log.logEndOffset}`).toBeGreaterThan(0);
    for (const b of batches) for (const r of b.records) if (r.offset >= offset) expect(r.value!.toString(), `${what}: offset ${r.offset}`).toBe(valueAt(r.offset));
    const last = batches[batches.length - 1]!;
    offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
  }
  return refused ? 'refused' : 'ok';
}

describe(`segment file fuzz (seed ${SEED}, ${CASES} cases)`, () => {
  it('no damage makes a read return wrong data or the process crash; appends after it read back', async () => {
    console.log(`segment fuzz: STRATA_FUZZ_SEED=${SEED} STRATA_SEGMENT_FUZZ_CASES=${CASES}`);
    const original = await makeOriginal();
    const pick = rng(SEED);
    const counts = { cases: 0, verifyFailed: 0, readsRefused: 0, openFailed: 0 };
    const names = Object.keys(DAMAGES);
    for (let i = 0; i < CASES; i++) {
      const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-segfuzz-'));
      fs.cpSync(original, dataDir, { recursive: true });
      const kind = names[i % names.length]!;
      const what = `case ${i} (${kind}): ${DAMAGES[kind]!(join(dataDir, 'f-0'), pick)}`;
      if (pick() < 0.5) fs.rmSync(join(dataDir, '.kafka_cleanshutdown'), { force: true }); // a crash, not a clean stop
      const report = await verifyDataDir(dataDir);
      if (report.problem) {
        counts.verifyFailed++;
        expect(report.problem, what).toMatch(/f-0|checkpoint/);
      }
      const m = manager(dataDir);
      let log: Log;
      try {
        log = await m.getOrCreateLog('f', 0);
      } catch (err) {
        expect(err instanceof StrataError, `${what}: ${(err as Error).stack}`).toBe(true);
        counts.openFailed++;
        await m.close().catch(() => {});
        fs.rmSync(dataDir, { recursive: true, force: true });
        continue;
      }
      if ((await checkReads(log, what)) === 'refused') counts.readsRefused++;
      const end = log.logEndOffset;
      const appended = await log.appendRecords([{ value: Buffer.from(valueAt(end)) }]);
      expect(appended.firstOffset, what).toBe(end);
      const [again] = await log.readBatches(end, 4096);
      expect(again!.records[0]!.value!.toString(), what).toBe(valueAt(end));
      await m.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      counts.cases++;
    }
    console.log(`segment fuzz: ${JSON.stringify(counts)}`);
    expect(counts.cases + counts.openFailed).toBe(CASES);
    fs.rmSync(original, { recursive: true, force: true });
  }, 600_000);
});
