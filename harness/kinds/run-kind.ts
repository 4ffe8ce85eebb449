/**
 * `strata bench --workload FILE` for a workload whose `kind` is not matrix: runs the kind, checks
 * its results against the one results schema and writes results.json beside the kind's report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError } from '../../core/errors.js';
import type { BenchResults } from '../results.js';
import { validateResults } from '../schema.js';
import type { KindRun } from './kind.js';

/** Loaded when their workload runs: the Kafka peer (its jars, its pom) only for vs-kafka. */
const KINDS: Record<string, (run: KindRun) => Promise<BenchResults>> = {
  'vs-kafka': async (run) => (await import('./vs-kafka/workload.js')).runVsKafkaKind(run),
  transfer: async (run) => (await import('./transfer/workload.js')).runTransferKind(run),
  engines: async (run) => (await import('./engines/workload.js')).runEnginesKind(run),
  'lagging-consumer': async (run) => (await import('./lagging/workload.js')).runLaggingKind(run),
  scale: async (run) => (await import('./scale/workload.js')).runScaleKind(run),
  broker: async (run) => (await import('./broker/workload.js')).runBrokerKind(run),
  'tls-fetch': async (run) => (await import('./tls-fetch/workload.js')).runTlsFetchKind(run),
};

export async function runWorkloadKind(run: KindRun): Promise<BenchResults> {
  const kind = run.workload.kind;
  const runner = kind === undefined ? undefined : KINDS[kind];
  if (!runner) throw new StrataError('INVALID_ARGUMENT', `workload ${run.workloadFile ?? run.workload.name}: kind ${String(kind)} is not run by harness/kinds (known: ${Object.keys(KINDS).join(', ')})`);
  await mkdir(run.outDir, { recursive: true });
  const results = await runner(run);
  const file = join(run.outDir, 'results.json');
  // what a kind writes is what compare reads: checked before it is written, not after
  validateResults(results, `${file} (kind ${kind})`);
  await writeFile(file, JSON.stringify(results, null, 2) + '\n');
  return results;
}
