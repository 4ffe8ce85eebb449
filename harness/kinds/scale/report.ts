/** report.md of a scale workload, drawn from its results.json alone. */
import type { BenchResults, CellResult } from '../../results.js';
import { fmt, type Spread } from '../../stats.js';
import type { ScaleDetails } from './workload.js';

const range = (s: Spread | undefined, digits: number, scale = 1): string =>
  s ? `${fmt(s.median / scale, digits)} [${fmt(s.min / scale, digits)}-${fmt(s.max / scale, digits)}]` : 'n/a';

/** Columns of the per-target table: metric key, heading, decimals, divisor. */
const COLUMNS: [string, string, number, number][] = [
  ['create.seconds', 'CreateTopics answered, s', 2, 1], ['create.onDisk.seconds', 'every log on disk and listed, s', 2, 1],
  ['idle.rssBytesPerPartition', 'idle RSS per partition, KB', 1, 1000], ['idle.descriptors', 'idle descriptors', 0, 1], ['produce.descriptors', 'descriptors after produce', 0, 1],
  ['produce.recordsPerSec', 'produce records/s', 0, 1], ['toFirstSize.produce.recordsPerSec', 'x first size', 2, 1], ['server.cpuSecondsPerGb', 'server CPU s/GB', 2, 1],
  ['client.busyCores', 'kcat cores', 2, 1], ['server.busyCores', 'server cores', 2, 1], ['shutdown.seconds', 'SIGTERM to exit, s', 2, 1],
  ['startup.clean.seconds', 'startup after clean stop, s', 2, 1], ['startup.afterKill.seconds', 'startup after SIGKILL, s', 2, 1],
];

const RATIOS = ['produce.recordsPerSec', 'server.cpuSecondsPerGb', 'create.onDisk.seconds', 'idle.rssBytesPerPartition', 'idle.descriptors', 'shutdown.seconds', 'startup.clean.seconds', 'startup.afterKill.seconds'];

function targetTable(cells: CellResult[]): string[] {
  const lines = [`| partitions | ${COLUMNS.map((c) => c[1]).join(' | ')} |`, `|---|${COLUMNS.map(() => '---').join('|')}|`];
  for (const c of cells) {
    const n = c.id.slice(1, c.id.indexOf('/'));
    if (c.status !== 'ok') lines.push(`| ${fmt(Number(n))} | ${c.status}: ${c.reason?.replace(/\|/g, '/').slice(0, 300)} |`);
    else lines.push(`| ${fmt(Number(n))} | ${COLUMNS.map(([k, , digits, scale]) => range(c.summary[k], digits, scale)).join(' | ')} |`);
  }
  return lines;
}

export function renderScaleReport(r: BenchResults): string {
  const d = r.details as unknown as ScaleDetails;
  const lines = [`# ${r.workload.name}: partitions on one node`, '', r.workload.description, ''];
  lines.push(`Command: \`${d.command}\`; ${r.workload.repetitions} repetition(s), median [min-max]; git ${r.fingerprint.git?.commit.slice(0, 12) ?? '-'}${r.fingerprint.git?.dirty ? ' (dirty tree)' : ''}.`, '');
  lines.push(`- Producer: ${d.client}; ${fmt(d.sizes.produceRecords)} records of ${d.sizes.recordBytes} B timed after ${fmt(d.sizes.warmupRecords)} not timed. "kcat cores" at 0.9 or more: the client, not the server, was the limit.`);
  lines.push(`- Idle: ${d.sizes.idleSeconds} s after the create; RSS (VmRSS) and descriptors (/proc/PID/fd) of the server process, per partition over the same node before the create.`);
  lines.push(`- Startup: from the spawn until Metadata lists every partition with a leader (polled every 50 ms). Budget per size and target: ${d.sizes.budgetSeconds} s. Open files limit (soft/hard) the servers inherit: ${d.openFilesLimit}.`);
  for (const n of r.baselines.notes) lines.push(`- ${n}`);
  for (const t of d.targets) {
    const stop = d.stoppedAt[t];
    lines.push('', `## ${t}`, '', stop ? `Stopped at ${fmt(stop.partitions)} partitions (${stop.phase}): ${stop.reason.slice(0, 500)}` : `Reached every size (largest ${fmt(d.partitions.at(-1)!)}).`, '');
    const cells = r.cells.filter((c) => c.id.endsWith(`/${t}`));
    lines.push(...targetTable(cells), '');
    for (const c of cells.filter((x) => x.status === 'ok')) lines.push(`- ${c.notes.join('; ')}`);
  }
  if (d.targets.includes('kafka') && d.targets.includes('strata')) {
    lines.push('', '## strata / Kafka, same size and repetition', '', `| partitions | ${RATIOS.join(' | ')} |`, `|---|${RATIOS.map(() => '---').join('|')}|`);
    for (const c of r.cells.filter((x) => x.id.endsWith('/strata') && x.status === 'ok')) {
      if (!c.summary[`toKafka.${RATIOS[0]}`]) continue;
      lines.push(`| ${fmt(Number(c.id.slice(1, c.id.indexOf('/'))))} | ${RATIOS.map((k) => range(c.summary[`toKafka.${k}`], 2)).join(' | ')} |`);
    }
    const beyond = r.cells.filter((x) => x.id.endsWith('/strata') && x.summary['toKafkaLargest.produce.recordsPerSec']);
    if (beyond.length) lines.push('', `strata produce records/s over Kafka's at the largest size Kafka reached: ${beyond.map((c) => `${c.id.split('/')[0]} ${range(c.summary['toKafkaLargest.produce.recordsPerSec'], 2)}`).join(', ')}.`);
  }
  return lines.join('\n') + '\n';
}
