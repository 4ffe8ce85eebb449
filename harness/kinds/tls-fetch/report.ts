/** report.md of a tls-fetch workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { reportHead, spreadText } from '../focused-report.js';

const RATIO_WORDS: Record<string, string> = {
  toKafka: "Kafka's listener of the same security",
  toPlaintext: 'the same server plaintext, buffered (the cost of encryption alone)',
  toSendfile: 'strata plaintext, sendfile',
};

export function renderTlsFetchReport(r: BenchResults): string {
  const lines = reportHead(r, 'Fetch over TLS and plaintext, strata beside Kafka');
  lines.push('', '| path | MB/s (client and server) | server CPU s/GB |', '|---|---|---|');
  for (const c of r.cells) lines.push(`| ${c.notes[0] ?? c.id} | ${spreadText(c.summary['fetch.mbPerSec'], 0)} | ${spreadText(c.summary['server.cpuSecondsPerGb'], 3)} |`);
  lines.push('', 'Ratios (medians of the per-repetition ratios, same run):', '');
  for (const c of r.cells) {
    for (const prefix of Object.keys(RATIO_WORDS)) {
      const mb = c.summary[`${prefix}.mbPerSec`];
      const cpu = c.summary[`${prefix}.cpuSecondsPerGb`];
      if (mb && cpu) lines.push(`- ${c.id} / ${RATIO_WORDS[prefix]}: throughput ${mb.median}x, server CPU ${cpu.median}x`);
    }
  }
  return lines.join('\n') + '\n';
}
