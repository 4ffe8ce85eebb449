/**
 * Workload kind `engines`: the storage engines against the core Log without a network, each row
 * beside its baseline measured in the same repetition on the same directory (fio, or Kafka 2014's
 * published single-producer rate where no fio job does the same work). Baseline runs alternate
 * with strata's within a repetition (fio before and after), so drift hits both. Each row is a
 * cell with `strata.METRIC`, `baseline.METRIC` and their ratio `toBaseline` per repetition.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StorageEngine } from '../../../core/engine.js';
import { fsyncGroupEngine } from '../../../engines/fsync-group.js';
import { fsyncPerWriteBlockingEngine } from '../../../engines/fsync-per-write-blocking.js';
import { fsyncPerWriteEngine } from '../../../engines/fsync-per-write.js';
import { pwriteBlockingEngine } from '../../../engines/pwrite-blocking.js';
import { pwriteEngine } from '../../../engines/pwrite.js';
import { FIO_INSTALL_HINT, fioVersion } from '../../baselines/fio.js';
import { fingerprint } from '../../fingerprint.js';
import type { BenchResults, Metrics } from '../../results.js';
import { median, round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { focusedCell, focusedResults, kindOptions, type KindRun } from '../kind.js';
import { enginePhases, type EngineSizes } from './phases.js';
import { renderEnginesReport } from './report.js';

/** Kafka 2014 benchmark, one producer, no replication: the published records/s (2014 hardware). */
const KAFKA_2014_RECORDS_PER_S = 821_557;

export function engineSizes(run: KindRun): EngineSizes {
  const o = kindOptions(run, 'engines');
  const cap = (v: number, quick: number) => Math.round(run.quick ? Math.min(v, quick) : v);
  const sizes = {
    smallBatches: cap(o.positive('smallBatches', 4000), 200),
    bigBytes: cap(o.positive('bigMib', 512), 16) * 2 ** 20,
    fsyncAppends: cap(o.positive('fsyncAppends', 2000), 100),
    fioSyncBytes: cap(o.positive('fioSyncMib', 16), 1) * 2 ** 20,
    concurrentSeconds: Math.min(o.positive('concurrentSeconds', 3), run.quick ? 0.5 : Infinity),
  };
  o.done();
  return sizes;
}

interface Row {
  id: string;
  title: string;
  engine: StorageEngine;
  metric: 'recordsPerSec' | 'mbPerSec' | 'append.usP50';
  baseline: string;
  target: string;
  /** strata's figure and the baseline's (one or more runs) in one repetition. */
  measure: () => Promise<{ strata: number; baseline: number[] }>;
}

export async function runEnginesKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const sizes = engineSizes(run);
  const fioV = await fioVersion();
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, { fio: fioV });
  const root = mkdtempSync(join(run.dataDir, 'strata-engines-'));
  try {
    const p = enginePhases(root, sizes);
    const fio64k = (extra: string[] = []) => p.fioWriteMBps('64k', sizes.bigBytes, extra);
    const some = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
    const big = (engine: StorageEngine, batchBytes: number, validate: boolean, finalSync: boolean) => p.bigPhase(engine, { batchBytes, validate, finalSync });
    /** fio before and after the strata run it is set against. */
    const aroundFio = async (strata: () => Promise<number>, fio: () => Promise<number | undefined>) => {
      const before = await fio();
      const s = await strata();
      return { strata: s, baseline: some([before, await fio()]) };
    };
    const fsyncP50 = async () => (await p.fioFdatasyncP50us())?.p50;
    const rows: Row[] = [
      { id: 'pwrite/100B-records/prebuilt', title: 'pwrite 100 B records, 16 KiB batches, pre-built', engine: pwriteEngine, metric: 'recordsPerSec', baseline: 'Kafka 2014 single producer (published)', target: '>= 2,000,000 records/s', measure: async () => ({ strata: await p.smallRecords(true), baseline: [KAFKA_2014_RECORDS_PER_S] }) },
      { id: 'pwrite/100B-records/build-append', title: 'pwrite 100 B records, 16 KiB batches, build + append', engine: pwriteEngine, metric: 'recordsPerSec', baseline: 'Kafka 2014 single producer (published)', target: 'informational', measure: async () => ({ strata: await p.smallRecords(false), baseline: [KAFKA_2014_RECORDS_PER_S] }) },
      { id: 'pwrite/64KiB', title: 'pwrite 64 KiB batches into the page cache', engine: pwriteEngine, metric: 'mbPerSec', baseline: 'fio --rw=write --bs=64k --ioengine=psync', target: 'ratio >= 0.9', measure: () => aroundFio(() => big(pwriteEngine, 65536, false, false), fio64k) },
      { id: 'pwrite-threadpool-only/64KiB', title: 'pwrite with every write through the threadpool', engine: p.pwriteThreadpoolOnly, metric: 'mbPerSec', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => big(p.pwriteThreadpoolOnly, 65536, false, false), fio64k) },
      { id: 'pwrite-blocking/64KiB', title: 'pwrite-blocking 64 KiB batches', engine: pwriteBlockingEngine, metric: 'mbPerSec', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => big(pwriteBlockingEngine, 65536, false, false), fio64k) },
      { id: 'pwrite/64KiB/crc-validated', title: 'pwrite 64 KiB batches, CRC-validated like a broker', engine: pwriteEngine, metric: 'mbPerSec', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => big(pwriteEngine, 65536, true, false), fio64k) },
      { id: 'pwrite-blocking/65539B', title: 'pwrite-blocking 65,539-byte batches (not a page multiple)', engine: pwriteBlockingEngine, metric: 'mbPerSec', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => big(pwriteBlockingEngine, 65539, false, false), fio64k) },
      { id: 'pwrite/64KiB/final-fdatasync', title: 'pwrite 64 KiB batches + final fdatasync', engine: pwriteEngine, metric: 'mbPerSec', baseline: 'fio psync 64k --end_fsync=1', target: 'informational', measure: () => aroundFio(() => big(pwriteEngine, 65536, false, true), () => fio64k(['--end_fsync=1'])) },
      { id: 'fsync-per-write/4KiB/preallocated', title: 'fsync-per-write 4 KiB append p50, preallocated segment', engine: fsyncPerWriteEngine, metric: 'append.usP50', baseline: 'fio psync 4k fdatasync=1, write + sync p50', target: 'ratio <= 1.2', measure: () => aroundFio(() => p.latencyPhase(fsyncPerWriteEngine, true), fsyncP50) },
      { id: 'fsync-per-write-blocking/4KiB/preallocated', title: 'fsync-per-write-blocking 4 KiB append p50, preallocated', engine: fsyncPerWriteBlockingEngine, metric: 'append.usP50', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => p.latencyPhase(fsyncPerWriteBlockingEngine, true), fsyncP50) },
      { id: 'fsync-per-write-threadpool-only/4KiB', title: 'fsync-per-write with every write through the threadpool', engine: p.fsyncPerWriteThreadpoolOnly, metric: 'append.usP50', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => p.latencyPhase(p.fsyncPerWriteThreadpoolOnly, true), fsyncP50) },
      { id: 'fsync-per-write/4KiB/growing', title: 'fsync-per-write 4 KiB append p50, growing segment (default)', engine: fsyncPerWriteEngine, metric: 'append.usP50', baseline: 'the same fio', target: 'informational', measure: () => aroundFio(() => p.latencyPhase(fsyncPerWriteEngine, false), fsyncP50) },
      { id: 'fsync-group/16-appenders', title: 'fsync-group 16 appenders of 4 KiB', engine: fsyncGroupEngine, metric: 'recordsPerSec', baseline: 'fsync-per-write, 16 appenders', target: 'ratio >= 5', measure: async () => ({ baseline: [await p.concurrentPhase(fsyncPerWriteEngine, 16)], strata: await p.concurrentPhase(fsyncGroupEngine, 16) }) },
    ];
    const reps = new Map<string, Metrics[]>(rows.map((r) => [r.id, []]));
    for (let rep = 0; rep < run.workload.repetitions; rep++) {
      for (const row of rows) {
        const { strata, baseline } = await row.measure();
        const m: Metrics = { [`strata.${row.metric}`]: round(strata) };
        if (baseline.length) {
          const b = median(baseline);
          m[`baseline.${row.metric}`] = round(b);
          m.toBaseline = round(strata / b);
        }
        reps.get(row.id)!.push(m);
      }
      run.log(`rep ${rep + 1}/${run.workload.repetitions} done`);
    }
    const cells = rows.map((r) => focusedCell({
      id: r.id, engine: r.engine.name, transfer: 'none', codec: 'none', recordBytes: r.metric === 'recordsPerSec' && r.id.startsWith('pwrite/100B') ? 100 : 4096,
      logImpl: `core Log, engine ${r.engine.name}`, notes: [r.title, `baseline: ${r.baseline}`, `target: ${r.target}`], repetitions: reps.get(r.id)!,
    }));
    const notes = [`sizes: ${JSON.stringify(sizes)}`, ...(fioV ? [] : [FIO_INSTALL_HINT])];
    const results = focusedResults(run, fp, cells, { sizes, uvUseIoUring: process.env.UV_USE_IO_URING === '1' }, notes, started);
    writeFileSync(join(run.outDir, 'report.md'), renderEnginesReport(results));
    return results;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
