/**
 * Workload kind `lagging-consumer`: what one consumer reading old data from the disk costs the
 * producers of the same server (phases.ts), for each strata engine and transfer given and for
 * Apache Kafka, the same clients (Kafka's ProducerPerformance at a fixed rate, kcat as the lagging
 * reader), a fresh server and directory per repetition, targets in alternating order. One cell per
 * target; a repetition holds both phases, `lagging.p99ToAlone` (the producer's p99 with the reader
 * over its p99 without, same server, same repetition) and, for strata, `toKafka.*` against Kafka's
 * run of the same repetition.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint } from '../../fingerprint.js';
import { KAFKA_VERSION } from '../../peers/kafka/kafka-peer.js';
import type { BenchResults, Metrics } from '../../results.js';
import { round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { focusedCell, focusedResults, KindOptions, type KindRun } from '../kind.js';
import { RecordFiles } from '../vs-kafka/clients.js';
import { parseTargets, startTarget, type TargetSpec } from '../vs-kafka/servers.js';
import { laggingRepetition, type LaggingSample, type LaggingSizes } from './phases.js';
import { renderLaggingReport } from './report.js';

export interface LaggingOptions {
  targets: TargetSpec[];
  sizes: LaggingSizes;
  kafkaHeap: string;
}

const DEFAULT_TARGETS = 'kafka,strata-pwrite-sendfile,strata-pwrite-buffered';
/** Above this the backlog no longer fits the data disks this runs on by default. */
const BACKLOG_MB_MAX = 64 * 1024;

export function laggingOptions(run: KindRun): LaggingOptions {
  const o = new KindOptions(run.workload.options ?? {}, run.workloadFile ?? 'command line', 'lagging-consumer');
  const sizes: LaggingSizes = {
    // --quick: a backlog and phases small enough for a smoke run, whatever the file asks
    backlogMb: Math.min(o.positive('backlogMb', 2048), run.quick ? 32 : BACKLOG_MB_MAX),
    ratePerSecond: Math.round(o.positive('ratePerSecond', 5000)),
    seconds: Math.min(o.positive('seconds', 20), run.quick ? 3 : 3600),
    recordBytes: Math.round(o.positive('recordBytes', 1024)),
  };
  const out = { targets: o.list('targets', parseTargets(DEFAULT_TARGETS), parseTargets), sizes, kafkaHeap: o.string('kafkaHeap', '1G') };
  o.done();
  return out;
}

function metrics(s: LaggingSample): Metrics {
  const m: Metrics = { backlogMb: round(s.backlogBytes / 1e6) };
  for (const [phase, figures] of Object.entries({ alone: s.alone, lagging: s.lagging })) {
    for (const [k, v] of Object.entries(figures)) m[`${phase}.${k}`] = round(v);
  }
  // ProducerPerformance reports whole milliseconds: a p99 of 0 ms is below its resolution
  if (s.alone.produceP99Ms > 0) m['lagging.p99ToAlone'] = round(s.lagging.produceP99Ms / s.alone.produceP99Ms);
  return m;
}

function withKafkaRatios(mine: Metrics, kafka: Metrics | undefined): Metrics {
  if (!kafka) return mine;
  const out = { ...mine };
  for (const k of ['alone.produceP99Ms', 'lagging.produceP99Ms', 'lagging.produceP999Ms', 'lagging.readerMbPerSec', 'lagging.serverCpuSeconds']) {
    if (mine[k] !== undefined && kafka[k]) out[`toKafka.${k}`] = round(mine[k]! / kafka[k]!);
  }
  return out;
}

export async function runLaggingKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const o = laggingOptions(run);
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, {});
  const files = new RecordFiles(join(run.dataDir, `strata-lagging-records-${process.pid}`));
  const samples = new Map<string, { rep: number; metrics?: Metrics; error?: string }[]>(o.targets.map((t) => [t.id, []]));
  try {
    for (let rep = 0; rep < run.workload.repetitions; rep++) {
      // alternate the order: what runs right after another server (a warm disk, a busy CPU) changes
      for (const target of rep % 2 ? [...o.targets].reverse() : o.targets) {
        run.log(`rep ${rep + 1}/${run.workload.repetitions}: ${target.id}`);
        const server = await startTarget(target, { dir: join(run.dataDir, `strata-lagging-${process.pid}-${target.id}-${rep}`), kafkaHeap: o.kafkaHeap });
        try {
          samples.get(target.id)!.push({ rep, metrics: metrics(await laggingRepetition(server, files, o.sizes)) });
        } catch (err) {
          samples.get(target.id)!.push({ rep, error: (err as Error).message });
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    files.remove();
  }
  const cells = o.targets.map((t) => focusedCell({
    id: `lagging/${t.id}`,
    engine: t.engine ?? 'kafka',
    transfer: t.transfer ?? 'kafka',
    codec: 'none',
    recordBytes: o.sizes.recordBytes,
    logImpl: t.kind === 'kafka' ? `Apache Kafka ${KAFKA_VERSION}` : `strata serve --engine ${t.engine} --transfer ${t.transfer}`,
    notes: [`acknowledged ${t.acknowledgedWhen}`],
    repetitions: samples.get(t.id)!.flatMap((s) => {
      if (!s.metrics) return [];
      const kafka = samples.get('kafka')?.find((k) => k.rep === s.rep)?.metrics;
      return [t.kind === 'strata' ? withKafkaRatios(s.metrics, kafka) : s.metrics];
    }),
    error: samples.get(t.id)!.map((s) => s.error).find(Boolean),
  }));
  const notes = [
    `steady producer: Kafka's ProducerPerformance at ${o.sizes.ratePerSecond} records/s of ${o.sizes.recordBytes} B, acks=1, ${o.sizes.seconds} s a phase; lagging reader: kcat from offset 0 of a ${o.sizes.backlogMb} MB backlog, its pages dropped (posix_fadvise) before each pass`,
    'the disk is the machine\'s virtio disk: cold reads are fast here, say so beside any figure',
  ];
  const results = focusedResults(run, fp, cells, { options: o }, notes, started);
  writeFileSync(join(run.outDir, 'report.md'), renderLaggingReport(results));
  return results;
}
