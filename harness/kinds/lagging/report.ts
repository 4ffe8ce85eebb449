/** report.md of a lagging-consumer workload, drawn from its results.json alone. */
import type { BenchResults } from '../../results.js';
import { reportHead, spreadText } from '../focused-report.js';

/** What the issue holds strata's best engine to: its p99 with the reader within 2x its own without, and at most Kafka's. */
const P99_TO_ALONE_MAX = 2;

export function renderLaggingReport(r: BenchResults): string {
  const lines = reportHead(r, 'what a lagging consumer costs the producers');
  lines.push('', '| server | produce p99 alone, ms | p99 with the reader, ms | p99 ratio | p99.9 with the reader, ms | reader MB/s | server disk reads MB | p99 with the reader to Kafka\'s |', '|---|---|---|---|---|---|---|---|');
  for (const c of r.cells) {
    const s = c.summary;
    if (c.status !== 'ok') {
      lines.push(`| ${c.logImpl ?? c.id} | failed: ${c.reason ?? ''} | | | | | | |`);
      continue;
    }
    lines.push(`| ${c.logImpl} | ${spreadText(s['alone.produceP99Ms'], 0)} | ${spreadText(s['lagging.produceP99Ms'], 0)} | ${spreadText(s['lagging.p99ToAlone'], 2)} | ${spreadText(s['lagging.produceP999Ms'], 0)} | ${spreadText(s['lagging.readerMbPerSec'], 0)} | ${spreadText(s['lagging.serverDiskReadMb'], 0)} | ${spreadText(s['toKafka.lagging.produceP99Ms'], 2)} |`);
  }
  lines.push('', `Target: with strata's best engine, the producer's p99 with the lagging reader at most ${P99_TO_ALONE_MAX}x its p99 without it, and at most Kafka's in the same run.`, '');
  for (const c of r.cells.filter((x) => x.status === 'ok' && x.engine !== 'kafka')) {
    const ratio = c.summary['lagging.p99ToAlone']?.median;
    const toKafka = c.summary['toKafka.lagging.produceP99Ms']?.median;
    const met = ratio !== undefined && ratio <= P99_TO_ALONE_MAX && (toKafka === undefined || toKafka <= 1);
    lines.push(`- ${c.id}: p99 ratio ${ratio ?? 'n/a'}, to Kafka ${toKafka ?? 'n/a'}: ${met ? 'met' : '**not met**'}`);
  }
  return lines.join('\n') + '\n';
}
