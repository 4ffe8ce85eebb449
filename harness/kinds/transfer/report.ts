/** report.md of a transfer workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { reportHead, spreadText as range } from '../focused-report.js';

/** The targets strata's transfers are held to: ratios to the C loop of the same transfer. */
export const TRANSFER_TARGETS: { cell: string; metric: string; what: string; ok: (x: number) => boolean; target: string }[] = [
  { cell: 'strata-sendfile', metric: 'toLoop.mbPerSec', what: 'throughput', ok: (x) => x >= 0.9, target: '>= 0.9' },
  { cell: 'strata-sendfile', metric: 'toLoop.cpuSecondsPerGb', what: 'CPU s/GB', ok: (x) => x <= 1.2, target: '<= 1.2' },
  { cell: 'strata-buffered', metric: 'toLoop.mbPerSec', what: 'throughput', ok: (x) => x >= 0.9, target: '>= 0.9' },
  { cell: 'strata-buffered', metric: 'toLoop.cpuSecondsPerGb', what: 'CPU s/GB', ok: (x) => x <= 1.2, target: '<= 1.2' },
];

export function renderTransferReport(r: BenchResults): string {
  const lines = reportHead(r, "strata's transfers beside the C loops and iperf3");
  lines.push('', '| sender | MB/s | sender CPU s/GB | of which user | MB/s to its C loop | CPU/GB to its C loop |', '|---|---|---|---|---|---|');
  for (const c of r.cells) {
    const s = c.summary;
    lines.push(`| ${c.notes[0] ?? c.id} | ${range(s['ship.mbPerSec'], 0)} | ${range(s['ship.cpuSecondsPerGb'], 3)} | ${range(s['ship.cpuUserSecondsPerGb'], 3)} | ${range(s['toLoop.mbPerSec'], 2)} | ${range(s['toLoop.cpuSecondsPerGb'], 2)} |`);
  }
  lines.push('', 'Targets (medians of the per-repetition ratios, same run):', '');
  for (const t of TRANSFER_TARGETS) {
    const s = r.cells.find((c) => c.id === t.cell)?.summary[t.metric];
    lines.push(`- ${t.cell} / its C loop, ${t.what}: ${s ? `${s.median}x (target ${t.target}: ${t.ok(s.median) ? 'met' : '**not met**'})` : 'not measured'}`);
  }
  return lines.join('\n') + '\n';
}
