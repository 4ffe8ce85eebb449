import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveComponents } from '../../harness/components.js';
import { expandMatrix } from '../../harness/matrix.js';
import { makePayloadPool } from '../../harness/payload.js';
import { silentProgress } from '../../harness/progress.js';
import { runBench } from '../../harness/run-bench.js';
import { runRepetition } from '../../harness/run-cell.js';
import { validateResults } from '../../harness/schema.js';
import { validateWorkload } from '../../harness/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-harness-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('payloads', () => {
  test('the same seed gives the same bytes; profiles differ in compressibility', async () => {
    const a = makePayloadPool('json', 5, 1000);
    const b = makePayloadPool('json', 5, 1000);
    const c = makePayloadPool('json', 6, 1000);
    expect(Buffer.concat(a).equals(Buffer.concat(b))).toBe(true);
    expect(Buffer.concat(a).equals(Buffer.concat(c))).toBe(false);
    expect(a[0]!.length).toBe(1000);
    const { gzipSync } = await import('node:zlib');
    const ratio = (p: Buffer[]) => Buffer.concat(p).length / gzipSync(Buffer.concat(p)).length;
    expect(ratio(makePayloadPool('random', 1, 1000))).toBeLessThan(1.05);
    expect(ratio(a)).toBeGreaterThan(2);
    expect(ratio(makePayloadPool('repetitive', 1, 1000))).toBeGreaterThan(ratio(a));
  });
});

describe('one cell against the core Log', () => {
  test('produces every record, consumers receive every byte, cold read starts from an emptied page cache', async () => {
    const w = validateWorkload({ name: 'cell', records: 3000, warmupRecords: 200, endToEndRate: 20000, endToEndRecords: 1000, lingerMs: 5, consumers: 2, partitions: 2, producers: 2, repetitions: 1, matrix: { engine: 'pwrite', batchRecords: 50, recordBytes: 200 } }, 'test');
    const cell = expandMatrix(w.matrix)[0]!;
    const resolved = await resolveComponents(cell);
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    const r = await runRepetition({ workload: w, cell, components: resolved.components, dir: join(dir, 'cell'), repetition: 0 });
    expect(r.logImpl).toBe('core-log');
    expect(r.produce.records).toBe(3000);
    expect(r.produce.batches).toBe(60);
    expect(r.produce.appendLatency.count).toBe(60);
    expect(r.produce.produceLatency.count).toBe(3000);
    // every measured batch reached the tailing consumer
    expect(r.endToEndLatency!.count).toBe(w.endToEndRecords / 50);
    // both consumers read both partitions: exactly the measured bytes, twice
    expect(r.warmRead!.bytes).toBe(2 * r.produce.diskBytes);
    expect(r.coldRead!.bytes).toBe(r.produce.diskBytes);
    expect(r.coldRead!.residentBytesBefore).toBeLessThan(r.produce.segmentBytes / 2);
    expect(r.produce.residentBytesAfterProduce).toBeGreaterThan(0);
    expect(r.produce.cpuUserS + r.produce.cpuSystemS).toBeGreaterThan(0);
  });

  test('a user-lru cell with the buffered transfer measures its hits', async () => {
    const w = validateWorkload({ name: 'lru', records: 2000, warmupRecords: 0, consumers: 2, partitions: 1, repetitions: 1, endToEnd: false, matrix: { engine: 'pwrite', transfer: 'buffered', cache: 'user-lru', batchRecords: 50, recordBytes: 200 } }, 'test');
    const cell = expandMatrix(w.matrix)[0]!;
    const resolved = await resolveComponents(cell);
    if (!resolved.ok) throw new Error(resolved.reason);
    const r = await runRepetition({ workload: w, cell, components: resolved.components, dir: join(dir, 'lru'), repetition: 0 });
    expect(r.warmRead!.bytes).toBe(2 * r.produce.diskBytes);
    expect(r.warmRead!.cacheMisses).toBeGreaterThan(0); // the first reads of the log (the two consumers read at once)
    expect(r.warmRead!.cacheHits).toBeGreaterThan(0); // the transfer sends what a header scan brought in
    expect(resolved.components.cache.stats().bytes).toBe(0); // the cell closed its logs: their segments hold nothing
  });

  test('fixed-rate mode paces the producer and counts latency from the intended send time', async () => {
    const w = validateWorkload({ name: 'rate', records: 400, producerRate: 2000, lingerMs: 5, consumers: 0, repetitions: 1, matrix: { engine: 'pwrite', batchRecords: 100 } }, 'test');
    const cell = expandMatrix(w.matrix)[0]!;
    const resolved = await resolveComponents(cell);
    if (!resolved.ok) throw new Error(resolved.reason);
    const r = await runRepetition({ workload: w, cell, components: resolved.components, dir: join(dir, 'rate'), repetition: 0 });
    // 400 records at 2000/s take at least ~0.2 s; batches hold rate x linger = 10 records
    expect(r.produce.seconds).toBeGreaterThan(0.18);
    expect(r.produce.batches).toBe(40);
    expect(r.produce.produceLatency.count).toBe(400);
    expect(r.warmRead).toBeUndefined();
  });
});

describe('runBench', () => {
  test('a missing engine or codec is a skipped cell with the reason, the others run, and the results match the schema', async () => {
    const w = validateWorkload({ name: 'skip', records: 1000, repetitions: 2, consumers: 1, matrix: { engine: ['pwrite', 'no-such-engine'], codec: ['none', 'no-such-codec'] } }, 'test');
    const out = join(dir, 'out');
    const results = await runBench({ workload: w, workloadFile: null, dataDir: dir, outDir: out, quick: true, progress: silentProgress, baselines: false, baselineSeconds: 1, charts: false });
    validateResults(results);
    const byId = Object.fromEntries(results.cells.map((c) => [c.id, c]));
    expect(byId['pwrite/buffered/none/none/r1024/b100']!.status).toBe('ok');
    expect(byId['pwrite/buffered/none/none/r1024/b100']!.repetitions).toHaveLength(2);
    expect(byId['pwrite/buffered/none/no-such-codec/r1024/b100']!.reason).toMatch(/codec "no-such-codec" is not available/);
    expect(byId['no-such-engine/buffered/none/none/r1024/b100']!.status).toBe('skipped');
    expect(byId['no-such-engine/buffered/none/none/r1024/b100']!.reason).toMatch(/engine "no-such-engine" is not available/);
    expect(results.baselines.notes).toContain('baselines disabled (--no-baselines)');
  });

  test('a bad Kafka config value in the matrix fails before anything runs, naming the key', async () => {
    const w = validateWorkload({ name: 'cfg', matrix: { config: { 'flush.messages': [0] } } }, 'test');
    await expect(runBench({ workload: w, workloadFile: null, dataDir: dir, outDir: join(dir, 'cfg'), quick: true, progress: silentProgress, baselines: false, baselineSeconds: 1, charts: false }))
      .rejects.toThrow(/matrix.config: flush.messages must be between 1/);
  });
});
