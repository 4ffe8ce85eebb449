/**
 * `strata bench --target kafka://HOST:PORT[,...]`: the same workload files against a Kafka-protocol
 * cluster (Apache Kafka, Redpanda, a strata serve) instead of the core Log in this process. The
 * clients are the kafka:// target's (harness/clients/kafka-target.ts): kcat producers and consumers, the
 * kcat end-to-end pair. Each repetition creates its own topic(s) with the workload's partitions,
 * `--replication-factor` and the workload's `matrix.config` as topic configs (Kafka's own keys),
 * waits until every partition has a leader and its full ISR, measures, and deletes them.
 *
 * What a workload means against a target (docs/harness.md): the engine, transfer and cache axes
 * are the target's own (one cell per codec x record size x batch size x config x acks, engine /
 * transfer / cache named `target`); `acks` (--acks 1,all) is an axis of its own; records,
 * warmupRecords, repetitions, producers (kcat processes), consumers, partitions, endToEnd* and
 * lingerMs apply; the payload is the target's printable values with null keys, fixed-rate produce
 * and durationSeconds fall back to max rate for `records`, and there is no cold read (a remote
 * broker's page cache cannot be dropped from here). Those are listed in results.target.notApplied.
 */
import { StrataError } from '../core/errors.js';
import { clusterMetadata, createTopic, deleteTopics, parseBootstrapUrl, waitTopicReady, type BrokerAddress, type ClusterBroker } from './clients/kafka-admin.js';
import { kcatEndToEnd, runKafkaTarget, type TargetCodec } from './clients/kafka-target.js';
import { KCAT, kcatConsume } from './clients/kcat.js';
import { cellId, expandMatrix, type Cell } from './matrix.js';
import { summarizeRepetitions, type CellResult, type Metrics } from './results.js';
import { round } from './stats.js';
import { Interrupted, untilAborted } from './interrupt.js';
import type { Workload } from './workload.js';

export type TargetAcks = '0' | '1' | 'all';
export const TARGET_ACKS: readonly TargetAcks[] = ['0', '1', 'all'];
/** What a target's cell uses for the engine, transfer and cache axes: the target's own. */
export const TARGET_COMPONENT = 'target';

export interface TargetOptions {
  url: string;
  acks: TargetAcks[];
  /** Replication factor of the topics the run creates; undefined = the cluster's default. */
  replicationFactor?: number;
}

/** results.json `target`: what the run was pointed at, as the cluster described itself. */
export interface TargetInfo {
  url: string;
  kind: 'kafka-protocol';
  bootstrap: string;
  clusterId: string | null;
  controllerId: number;
  brokers: ClusterBroker[];
  /** Requested for every topic the run created; null = the cluster's default. */
  replicationFactor: number | null;
  acks: TargetAcks[];
  /** Workload fields (with their values) that do not apply to a target, and why. */
  notApplied: string[];
}

const TIMEOUT_MS = 600_000;

export function parseAcks(text: string): TargetAcks[] {
  const out = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === '-1' ? 'all' : s));
  for (const a of out) if (!TARGET_ACKS.includes(a as TargetAcks)) throw new StrataError('INVALID_ARGUMENT', `--acks takes 0, 1, all (or -1), comma-separated; got "${a}"`);
  if (out.length === 0) throw new StrataError('INVALID_ARGUMENT', '--acks: no value');
  return [...new Set(out)] as TargetAcks[];
}

export type TargetCell = Cell & { acks: TargetAcks };

/** The workload's matrix against a target: engine/transfer/cache collapse to the target's own. */
export function targetCells(w: Workload, acks: readonly TargetAcks[]): TargetCell[] {
  const collapsed = { ...w.matrix, engine: [TARGET_COMPONENT], transfer: [TARGET_COMPONENT], cache: [TARGET_COMPONENT] };
  return expandMatrix(collapsed).flatMap((c) => acks.map((a) => ({ ...c, acks: a, id: `${cellId(c)}/acks=${a}` })));
}

export function notApplied(w: Workload): string[] {
  const out: string[] = [];
  const axis = (name: 'engine' | 'transfer' | 'cache') => `matrix.${name} [${w.matrix[name].join(', ')}]`;
  out.push(`${axis('engine')}, ${axis('transfer')}, ${axis('cache')}: the target's own storage and transfer serve every cell`);
  out.push(`payload ${w.payload}, keyDistribution ${w.keyDistribution}: the target's producers send printable values (harness/clients/kafka-target.ts recordValue) with null keys`);
  if (w.producerRate > 0) out.push(`producerRate ${w.producerRate}: produce runs at max rate; latency comes from the end-to-end phase at endToEndRate`);
  if (w.durationSeconds > 0) out.push(`durationSeconds ${w.durationSeconds}: each repetition produces \`records\` (${w.records})`);
  if (w.coldRead) out.push("coldRead: a remote broker's page cache cannot be dropped from here; only the read right after produce runs");
  return out;
}

export async function describeTarget(opts: TargetOptions, w: Workload): Promise<TargetInfo & { servers: BrokerAddress[] }> {
  const servers = parseBootstrapUrl(opts.url);
  const md = await clusterMetadata(servers);
  if (opts.replicationFactor !== undefined && opts.replicationFactor > md.brokers.length) {
    throw new StrataError('INVALID_ARGUMENT', `--replication-factor ${opts.replicationFactor}: the target has ${md.brokers.length} broker(s) (${md.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(', ')})`);
  }
  return {
    url: opts.url,
    kind: 'kafka-protocol',
    bootstrap: servers.map((s) => `${s.host}:${s.port}`).join(','),
    clusterId: md.clusterId,
    controllerId: md.controllerId,
    brokers: md.brokers,
    replicationFactor: opts.replicationFactor ?? null,
    acks: opts.acks,
    notApplied: notApplied(w),
    servers,
  };
}

function acksNumber(a: TargetAcks): 0 | 1 | -1 {
  return a === 'all' ? -1 : a === '0' ? 0 : 1;
}

/** Splits `total` records over `n` producers (the first ones take the remainder). */
function shares(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0)).filter((x) => x > 0);
}

interface RepetitionContext {
  workload: Workload;
  cell: TargetCell;
  target: TargetInfo & { servers: BrokerAddress[] };
  /** Unique per repetition: the topics are `${topic}` and `${topic}-e2e` (warm-up and end-to-end). */
  topic: string;
}

/** One repetition against the target; the topics it created are deleted whatever happens. */
export async function runTargetRepetition(ctx: RepetitionContext): Promise<{ metrics: Metrics; notes: string[] }> {
  const { workload: w, cell, target } = ctx;
  const spec = (name: string, partitions: number) => ({ name, partitions, replicationFactor: target.replicationFactor ?? -1, configs: cell.config });
  const created: string[] = [];
  const make = async (name: string, partitions: number) => {
    await createTopic(target.servers, spec(name, partitions));
    created.push(name);
    return waitTopicReady(target.servers, name, partitions);
  };
  const codec = cell.codec as TargetCodec;
  const acks = acksNumber(cell.acks);
  const kcatConfig = { 'batch.num.messages': String(cell.batchRecords), 'linger.ms': String(w.lingerMs) };
  const produce = (topic: string, records: number) => runKafkaTarget({ url: `kafka://${target.bootstrap}`, topic, records, recordBytes: cell.recordBytes, codec, acks, kcatConfig, timeoutMs: TIMEOUT_MS });
  try {
    // both topics at once; the warm-up goes into the end-to-end topic, whose consumer starts at its end
    const e2eTopic = `${ctx.topic}-e2e`;
    const [states] = await Promise.all([make(ctx.topic, w.partitions), w.endToEnd || w.warmupRecords > 0 ? make(e2eTopic, 1) : undefined]);
    const notes = [`topic replicas per partition ${[...new Set(states.map((p) => p.replicas.length))].join('/')}, ISR ${[...new Set(states.map((p) => p.isr.length))].join('/')} when the run began`];
    if (w.warmupRecords > 0) await produce(e2eTopic, w.warmupRecords);
    const parts = shares(w.records, w.producers);
    const produced = await Promise.all(parts.map((n) => produce(ctx.topic, n)));
    const produceSeconds = Math.max(...produced.map((p) => p.produceSeconds));
    const m: Metrics = {
      'produce.records': w.records,
      'produce.seconds': round(produceSeconds),
      'produce.recordsPerSec': round(w.records / produceSeconds),
      'produce.mbPerSec': round((w.records * cell.recordBytes) / 1e6 / produceSeconds),
      'produce.payloadBytes': w.records * cell.recordBytes,
    };
    if (w.consumers > 0) {
      // each consumer throws unless it read every record
      const reads = await Promise.all(Array.from({ length: w.consumers }, () => kcatConsume(target.bootstrap, ctx.topic, w.records, { untilCount: true, timeoutMs: TIMEOUT_MS })));
      const seconds = Math.max(...reads);
      const bytes = w.consumers * w.records * cell.recordBytes;
      Object.assign(m, {
        'warmRead.consumers': w.consumers,
        'warmRead.bytes': bytes,
        'warmRead.seconds': round(seconds),
        'warmRead.mbPerSec': round(bytes / 1e6 / seconds),
        'warmRead.recordsPerSec': round((w.consumers * w.records) / seconds),
      });
    }
    if (w.endToEnd) {
      const e = await kcatEndToEnd(KCAT, target.bootstrap, e2eTopic, { records: w.endToEndRecords, recordBytes: cell.recordBytes, rate: w.endToEndRate, codec, acks, config: {}, timeoutMs: TIMEOUT_MS });
      if (e) {
        Object.assign(m, {
          'endToEnd.latency.usP50': round(e.p50Ms * 1000),
          'endToEnd.latency.usP99': round(e.p99Ms * 1000),
          'endToEnd.latency.usP999': round(e.p999Ms * 1000),
          'endToEnd.latency.usMax': round(e.maxMs * 1000),
        });
      }
    }
    return { metrics: m, notes };
  } finally {
    if (created.length) {
      const failed = await deleteTopics(target.servers, created).catch((e: unknown) => [(e as Error).message]);
      // e.g. a strata serve target, which has no DeleteTopics: the run goes on, the topics stay
      if (failed.length) process.stderr.write(`strata bench: could not delete topic(s) ${created.join(', ')} on the target (${failed.join('; ')}); delete them by hand\n`);
    }
  }
}

/** Every cell's repetitions; a failed repetition fails its cell with the reason, the rest go on. */
export async function runTargetCells(w: Workload, target: TargetInfo & { servers: BrokerAddress[] }, runTag: string,
  progress: { start(n: number): void; advance(n: number, line: string): void; log(line: string): void }, signal?: AbortSignal): Promise<CellResult[]> {
  const cells = targetCells(w, target.acks);
  const out: CellResult[] = [];
  progress.start(cells.length * w.repetitions);
  for (let ci = 0; ci < cells.length; ci++) {
    const cell = cells[ci]!;
    // stopped (SIGINT / SIGTERM): the cells that finished; the caller marks the run interrupted
    if (signal?.aborted) return out;
    const base: CellResult = { ...cell, status: 'ok', notes: [], repetitions: [], summary: {}, baselineRefs: {}, ratios: {}, transferImpl: TARGET_COMPONENT, logImpl: target.bootstrap };
    try {
      for (let r = 0; r < w.repetitions; r++) {
        const rep = await untilAborted(runTargetRepetition({ workload: w, cell, target, topic: `strata-bench-${runTag}-c${ci}-r${r}` }), signal);
        base.repetitions.push(rep.metrics);
        if (r === 0) base.notes.push(...rep.notes);
        progress.advance(1, `${cell.id} rep ${r + 1}/${w.repetitions}: ${Math.round(rep.metrics['produce.recordsPerSec'] ?? 0).toLocaleString('en-US')} rec/s`);
      }
    } catch (err) {
      if (err instanceof Interrupted) return out;
      out.push({ ...base, status: 'failed', reason: (err as Error).message, summary: summarizeRepetitions(base.repetitions) });
      progress.log(`failed ${cell.id}: ${(err as Error).message}`);
      continue;
    }
    out.push({ ...base, summary: summarizeRepetitions(base.repetitions) });
  }
  return out;
}
