/**
 * `strata bench`: its options here; the action, which brings the whole harness (charts, schemas,
 * workloads) in, is loaded only when the command runs, so `strata serve` and the other commands do
 * not carry it (~60 MB of RSS for a server otherwise).
 */
import type { Command } from 'commander';
import type { BenchCliOptions } from './bench-run.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark matrix (engines x transfers x codecs x ...) with fio/iperf3 baselines')
    .option('--workload <file>', 'workload file (YAML or JSON); default harness/workloads/default.yaml')
    .option('--replay <results.json>', 're-run exactly the configuration of a previous results file')
    .option('--quick', 'small matrix in under a minute (harness/workloads/quick.yaml, or the given workload shrunk)')
    .option('--engine <list>', 'engines, comma-separated (overrides the workload)')
    .option('--transfer <list>', 'transfers, comma-separated')
    .option('--cache <list>', 'caches, comma-separated')
    .option('--codec <list>', 'codecs, comma-separated')
    .option('--record-bytes <list>', 'record sizes, comma-separated')
    .option('--batch-records <list>', 'records per batch, comma-separated')
    .option('--config <key=values>', 'Kafka log config axis, e.g. flush.messages=1,1000 (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--records <n>', 'records per repetition')
    .option('--repetitions <n>', 'repetitions per cell')
    .option('--producers <n>', 'producers')
    .option('--consumers <n>', 'consumers (0 = none)')
    .option('--partitions <n>', 'partitions')
    .option('--producer-rate <n>', 'records/s over all producers (0 = max rate)')
    .option('--data-dir <dir>', 'directory on the disk under test (default: the temp dir; with --replay, the replayed run\'s)')
    .option('--out <dir>', 'output folder (default bench-results/<workload>-<time>)')
    .option('--no-baselines', 'skip fio and iperf3')
    .option('--baseline-seconds <n>', 'seconds per fio job (at most) and per iperf3 run')
    .option('--no-charts', 'skip the SVG charts')
    .option('--progress <kind>', 'bar, plain or none (default: bar on a terminal, plain otherwise)')
    .option('--receiver <host:port>', 'a `strata receive --topic strata-bench` on another host: each cell also ships its log there')
    .option('--iperf-server <host:port>', 'iperf3 server on the receiver host (two-host runs, or a broker host with --target)')
    .option('--target <url>', 'run the workload against a Kafka-protocol cluster, kafka://HOST:PORT[,HOST:PORT...] (Kafka, Redpanda, strata serve) instead of the core Log here')
    .option('--acks <list>', 'with --target: producer acks per cell, comma-separated from 0, 1, all (default 1)')
    .option('--replication-factor <n>', "with --target: replication factor of the topics the run creates (default: the cluster's)")
    .action(async (opts: BenchCliOptions) => {
      const { runBenchCommand } = await import('./bench-run.js');
      await runBenchCommand(opts);
    });
}
