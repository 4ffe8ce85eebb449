/** results.csv and report.md from a results file. Figures: median [min-max] of the repetitions. */
import { ceilingWarnings } from './ceilings.js';
import type { BenchResults, CellResult } from './results.js';
import { spread, type Spread } from './stats.js';

function fmtNum(x: number): string {
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(x);
}

function fmt(s: Spread | undefined, scale = 1): string {
  if (!s) return '–';
  const f = (v: number) => fmtNum(Math.round((v / scale) * 100) / 100);
  return s.min === s.max ? f(s.median) : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;
}

function fmtRatio(r: number | undefined): string {
  return r === undefined ? '–' : `${r}×`;
}

function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(results: BenchResults): string {
  const metricKeys = new Set<string>();
  for (const c of results.cells) for (const k of Object.keys(c.summary)) metricKeys.add(k);
  const metrics = [...metricKeys].sort();
  const ratioKeys = ['produceToFioWrite', 'warmReadToIperf', 'produceToLoopWrite', 'appendP50ToLoopDsyncP50', 'warmReadToLoopNet'] as const;
  const header = ['id', 'engine', 'transfer', 'cache', 'codec', 'recordBytes', 'batchRecords', 'config', 'status', 'reason', 'repetitions', ...ratioKeys.map((k) => `ratio.${k}`)];
  for (const m of metrics) header.push(`${m}.median`, `${m}.min`, `${m}.max`);
  const lines = [header.join(',')];
  for (const c of results.cells) {
    const row: (string | number | undefined)[] = [
      c.id, c.engine, c.transfer, c.cache, c.codec, c.recordBytes, c.batchRecords,
      Object.entries(c.config).map(([k, v]) => `${k}=${v}`).join(';'), c.status, c.reason, c.repetitions.length,
      ...ratioKeys.map((k) => c.ratios[k]),
    ];
    for (const m of metrics) {
      const s = c.summary[m];
      row.push(s?.median, s?.min, s?.max);
    }
    lines.push(row.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

function table(header: string[], rows: string[][]): string {
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

const MB = 1e6;

/** What a cell id like `pwrite/buffered/none/none/r1024/b100` means, printed above the tables. */
export const CELL_LEGEND =
  'Cell ids read `engine/transfer/cache/codec/r<record bytes>/b<records per batch>[/config key=value...]`: ' +
  'e.g. `pwrite/buffered/none/lz4/r1024/b100` is the pwrite engine, the buffered transfer to consumers, no read cache, ' +
  'lz4 batch compression, 1024-byte records, 100 records per batch (docs/harness.md). ' +
  '"vs fio" / "vs iperf3" / "vs C loop" columns are strata\'s median over that baseline\'s figure (1× = the hardware limit the same system calls reach).';

/** The C loop a consume cell is set against: the one of its own transfer. */
function loopNetName(c: CellResult): string {
  return c.baselineRefs.loopNet?.includes('/sendfile/') ? 'C sendfile loop' : 'C pread+write loop';
}

/** The ok cell with the largest (or smallest) median of `metric`, with that median. */
function best(cells: readonly CellResult[], metric: string, pick: 'max' | 'min'): { cell: CellResult; value: number } | undefined {
  let out: { cell: CellResult; value: number } | undefined;
  for (const cell of cells) {
    const value = cell.summary[metric]?.median;
    if (value === undefined) continue;
    if (!out || (pick === 'max' ? value > out.value : value < out.value)) out = { cell, value };
  }
  return out;
}

/** How far a figure's repetitions may stray from their median before the report says so. */
export const SPREAD_MAX = 0.2;
const HEADLINE_METRICS = ['produce.recordsPerSec', 'produce.appendLatency.usP50', 'warmRead.mbPerSec'];

/** The cells whose headline figures spread wider than ±SPREAD_MAX around their median: not yet a figure. */
function spreadLines(ok: readonly CellResult[]): string[] {
  const wide: string[] = [];
  for (const c of ok) {
    for (const m of HEADLINE_METRICS) {
      const sp = c.summary[m];
      if (!sp || sp.median <= 0) continue;
      const stray = Math.max(sp.median - sp.min, sp.max - sp.median) / sp.median;
      if (stray > SPREAD_MAX) wide.push(`\`${c.id}\` ${m} ±${Math.round(stray * 100)}%`);
    }
  }
  if (!wide.length) return [];
  return [`- min-max wider than ±${SPREAD_MAX * 100}% of the median (a noisy machine or too short a repetition; re-run before quoting): ${wide.join(', ')}`];
}

/** sendfile beside buffered over the same engines and codecs: MB/s and the measured process's CPU per GB. */
function transferLines(ok: readonly CellResult[]): string[] {
  const med = (cells: readonly CellResult[], m: string) => {
    const v = cells.map((c) => c.summary[m]?.median).filter((x): x is number => x !== undefined);
    return v.length ? spread(v).median : undefined;
  };
  const of = (t: string) => ok.filter((c) => c.transfer === t && c.summary['warmRead.mbPerSec']);
  const [zc, buf] = [of('sendfile'), of('buffered')];
  const [zcMb, bufMb, zcCpu, bufCpu] = [med(zc, 'warmRead.mbPerSec'), med(buf, 'warmRead.mbPerSec'), med(zc, 'warmRead.cpuSecondsPerGb'), med(buf, 'warmRead.cpuSecondsPerGb')];
  if (zcMb === undefined || bufMb === undefined || zcCpu === undefined || bufCpu === undefined) return [];
  return [`- sendfile vs buffered (medians over their cells): ${fmtNum(zcMb)} vs ${fmtNum(bufMb)} MB/s, ${zcCpu} vs ${bufCpu} CPU s/GB of the measured process`];
}

/** The few lines a reader wants first: counts, then the best cell per figure, with its ratios to the baselines. */
function summaryLines(results: BenchResults): string[] {
  const ok = results.cells.filter((c) => c.status === 'ok');
  const count = (status: CellResult['status']) => results.cells.filter((c) => c.status === status).length;
  const lines = [`- ${results.cells.length} cells: ${ok.length} ok, ${count('skipped')} skipped, ${count('failed')} failed`];
  for (const w of ceilingWarnings(results.ceilings)) lines.push(`- **${w}**`);
  const ratios = (pairs: [string, number | undefined][]) => {
    const known = pairs.filter(([, r]) => r !== undefined).map(([name, r]) => `${r}× ${name}`);
    return known.length ? ` (${known.join(', ')})` : '';
  };
  lines.push(...spreadLines(ok), ...transferLines(ok));
  const produce = best(ok, 'produce.recordsPerSec', 'max');
  if (produce) {
    const c = produce.cell;
    lines.push(`- fastest produce: \`${c.id}\`, ${fmt(c.summary['produce.recordsPerSec'])} records/s, ${fmt(c.summary['produce.mbPerSec'])} MB/s${ratios([['fio write', c.ratios.produceToFioWrite], ['C write loop', c.ratios.produceToLoopWrite]])}`);
  }
  const append = best(ok, 'produce.appendLatency.usP99', 'min');
  if (append) lines.push(`- lowest append p99: \`${append.cell.id}\`, ${fmt(append.cell.summary['produce.appendLatency.usP99'])} us`);
  const warm = best(ok, 'warmRead.mbPerSec', 'max');
  if (warm) {
    const c = warm.cell;
    lines.push(`- fastest warm read: \`${c.id}\`, ${fmt(c.summary['warmRead.mbPerSec'])} MB/s${ratios([[loopNetName(c), c.ratios.warmReadToLoopNet], ['iperf3', c.ratios.warmReadToIperf]])}`);
  }
  const cold = best(ok, 'coldRead.mbPerSec', 'max');
  if (cold) lines.push(`- fastest cold read: \`${cold.cell.id}\`, ${fmt(cold.cell.summary['coldRead.mbPerSec'])} MB/s`);
  const e2e = best(ok, 'endToEnd.latency.usP99', 'min');
  if (e2e) lines.push(`- lowest end-to-end p99: \`${e2e.cell.id}\`, ${fmt(e2e.cell.summary['endToEnd.latency.usP99'])} us`);
  return lines;
}

/** report.md: what was run, a summary, the results, then the environment and the baselines they are set against. */
export function renderReport(results: BenchResults, charts: string[] = []): string {
  const w = results.workload;
  const parts: string[] = [];
  parts.push(`# strata bench: ${w.name}${results.quick ? ' (quick)' : ''}`);
  const stopped = results.interrupted;
  if (stopped) {
    parts.push(`**Interrupted by ${stopped.signal}**: ${results.cells.length} of ${stopped.cellsPlanned} cells finished and are below` +
      `${stopped.stoppedCell ? `; ${stopped.stoppedCell} was in progress and was abandoned` : ''}; the other cells did not run.`);
  }
  if (w.description) parts.push(w.description);
  parts.push(
    `Figures are the median [min–max] of ${w.repetitions} repetition(s); MB = 10^6 bytes; latencies in microseconds. ` +
      `${w.records.toLocaleString('en-US')} records of ${w.matrix.recordBytes.join('/')} bytes per repetition` +
      `${w.durationSeconds > 0 ? ` (or ${w.durationSeconds} s)` : ''}, ${w.producers} producer(s), ${w.consumers} consumer(s), ${w.partitions} partition(s), ` +
      `${w.producerRate > 0 ? `fixed rate ${w.producerRate.toLocaleString('en-US')} records/s (latency from intended send time)` : 'max rate'}, payload ${w.payload}, seed ${w.seed}. ` +
      `Run took ${results.durationSeconds} s.`,
  );
  parts.push('## Summary', summaryLines(results).join('\n'));
  parts.push(CELL_LEGEND);
  parts.push(...ceilingSections(results));
  parts.push(...resultSections(results));
  parts.push(...environmentSections(results));
  parts.push(...baselineSections(results));
  const notes = [...new Set(results.cells.flatMap((c) => c.notes))];
  if (notes.length) parts.push('## Notes', ...notes.map((n) => `- ${n}`));
  if (charts.length) {
    parts.push('## Charts');
    for (const c of charts) parts.push(`![${c}](${c})`);
  }
  return parts.join('\n\n') + '\n';
}

/** The cells' figures, a few columns per table so that each reads on a normal screen. */
function resultSections(results: BenchResults): string[] {
  const ok = results.cells.filter((c) => c.status === 'ok');
  const s = (c: CellResult, k: string) => c.summary[k];
  const parts: string[] = [];
  if (ok.length) {
    parts.push('## Produce');
    parts.push(table(
      ['cell', 'records/s', 'MB/s', 'disk MB/s', 'disk MB/s vs fio write', 'disk MB/s vs C write loop (same write size)', 'bytes ratio', 'CPU s/GB'],
      ok.map((c) => [c.id, fmt(s(c, 'produce.recordsPerSec')), fmt(s(c, 'produce.mbPerSec')), fmt(s(c, 'produce.diskMbPerSec')), fmtRatio(c.ratios.produceToFioWrite), fmtRatio(c.ratios.produceToLoopWrite),
        fmt(s(c, 'produce.compressionRatio')), fmt(s(c, 'produce.cpuSecondsPerGb'))]),
    ));
    parts.push('## Append latency (us)');
    parts.push(table(
      ['cell', 'append p50', 'append p50 vs C O_DSYNC write p50', 'append p99', 'append p99.9', 'append max', 'produce p99', 'flush p50'],
      ok.map((c) => [c.id, fmt(s(c, 'produce.appendLatency.usP50')), fmtRatio(c.ratios.appendP50ToLoopDsyncP50), fmt(s(c, 'produce.appendLatency.usP99')), fmt(s(c, 'produce.appendLatency.usP999')), fmt(s(c, 'produce.appendLatency.usMax')),
        fmt(s(c, 'produce.produceLatency.usP99')), fmt(s(c, 'produce.flushLatency.usP50'))]),
    ));
    const warm = ok.filter((c) => s(c, 'warmRead.mbPerSec'));
    if (warm.length) {
      parts.push('## Consume (transfer to consumers in other processes, over TCP; CPU is the measured process\'s)');
      parts.push(table(
        ['cell', 'transfer', 'warm MB/s', 'vs C loop of the same transfer', 'that C loop', 'vs iperf3', 'warm records/s', 'warm CPU s/GB (user + sys)', 'consumers\' CPU s (apart)'],
        warm.map((c) => [c.id, c.transferImpl ?? c.transfer, fmt(s(c, 'warmRead.mbPerSec')), fmtRatio(c.ratios.warmReadToLoopNet), c.baselineRefs.loopNet ? loopNetName(c) : '–', fmtRatio(c.ratios.warmReadToIperf),
          fmt(s(c, 'warmRead.recordsPerSec')), `${fmt(s(c, 'warmRead.cpuSecondsPerGb'))} (${fmt(s(c, 'warmRead.cpuUserSecondsPerGb'))} + ${fmt(s(c, 'warmRead.cpuSystemSecondsPerGb'))})`, fmt(s(c, 'warmRead.clientCpuS'))]),
      ));
      const cold = warm.filter((c) => s(c, 'coldRead.mbPerSec'));
      if (cold.length) {
        parts.push('## Cold reads (from the disk)');
        // a transfer over TCP is not divided by a file read: fio's and the C loop's cold reads are in the baselines
        parts.push(table(['cell', 'cold MB/s (over TCP)', 'cold CPU s/GB', 'resident before cold'],
          cold.map((c) => [c.id, fmt(s(c, 'coldRead.mbPerSec')), fmt(s(c, 'coldRead.cpuSecondsPerGb')),
            s(c, 'coldRead.residentBytesBefore') ? `${fmt(s(c, 'coldRead.residentBytesBefore'), MB)} MB` : '–'])));
      }
    }
    if (ok.some((c) => s(c, 'ship.mbPerSec'))) {
      parts.push(`## Log shipping to the receiver ${results.receiver ?? ''} (strata receive, its append included)`);
      parts.push(table(['cell', 'transfer', 'MB/s', 'records/s', 'seconds', 'vs iperf3', 'sender CPU s/GB'],
        ok.filter((c) => s(c, 'ship.mbPerSec')).map((c) => [c.id, c.transferImpl ?? c.transfer, fmt(s(c, 'ship.mbPerSec')), fmt(s(c, 'ship.recordsPerSec')), fmt(s(c, 'ship.seconds')), fmtRatio(c.ratios.shipToIperf), fmt(s(c, 'ship.cpuSecondsPerGb'))])));
    }
    if (ok.some((c) => s(c, 'endToEnd.latency.usP50'))) {
      parts.push('## End-to-end latency (append start to receipt by consumer 0)');
      parts.push(table(['cell', 'p50', 'p90', 'p99', 'p99.9', 'max'], ok.filter((c) => s(c, 'endToEnd.latency.usP50')).map((c) => [c.id,
        fmt(s(c, 'endToEnd.latency.usP50')), fmt(s(c, 'endToEnd.latency.usP90')), fmt(s(c, 'endToEnd.latency.usP99')), fmt(s(c, 'endToEnd.latency.usP999')), fmt(s(c, 'endToEnd.latency.usMax'))])));
    }
    parts.push('## Resources during produce');
    parts.push(table(['cell', 'CPU user s', 'CPU sys s', 'peak RSS MB', 'segment MB', 'resident after produce MB'],
      ok.map((c) => [c.id, fmt(s(c, 'produce.cpuUserS')), fmt(s(c, 'produce.cpuSystemS')), fmt(s(c, 'produce.peakRssBytes'), MB), fmt(s(c, 'produce.segmentBytes'), MB), fmt(s(c, 'produce.residentBytesAfterProduce'), MB)])));
    parts.push(table(['cell', 'minor faults', 'major faults', 'voluntary ctx switches', 'involuntary ctx switches'],
      ok.map((c) => [c.id, fmt(s(c, 'produce.pageFaultsMinor')), fmt(s(c, 'produce.pageFaultsMajor')), fmt(s(c, 'produce.ctxSwitchesVoluntary')), fmt(s(c, 'produce.ctxSwitchesInvoluntary'))])));
  }
  const notOk = results.cells.filter((c) => c.status !== 'ok');
  if (notOk.length) {
    parts.push('## Skipped or failed cells');
    parts.push(table(['cell', 'status', 'reason'], notOk.map((c) => [c.id, c.status, (c.reason ?? '').replace(/\|/g, '\\|')])));
  }
  return parts;
}

/** The ceiling rows: how far the harness itself goes, beside what it measured. */
function ceilingSections(results: BenchResults): string[] {
  const c = results.ceilings;
  if (!c) return [];
  const rows = c.produce.map((p) => [p.id, 'produce over the null engine (no I/O)', `${fmt(p.recordsPerSec)} records/s`, p.fastestCell ? `\`${p.fastestCell}\`` : '–',
    p.ratio === null ? '–' : `${p.ratio}×`, `≥ ${p.required}×`, p.holds === null ? '–' : p.holds ? 'holds: the engines were the limit' : '**short: the harness was the limit**']);
  const verdict = (holds: boolean | null, limit: string) => (holds === null ? '–' : holds ? `holds: the ${limit} were the limit` : '**short: the harness was the limit**');
  for (const x of c.consume ?? []) {
    rows.push([x.id, `the harness's consumer vs the C loop's own sink (${fmt(x.loopMbPerSec)} MB/s)`, `${fmt(x.harnessMbPerSec)} MB/s`, '–', x.ratio === null ? '–' : `${x.ratio}×`, `≥ ${x.required}×`, verdict(x.holds, 'transfers')]);
  }
  return ['## Ceilings (is the harness the limit?)', table(['ceiling', 'what', 'figure', 'fastest cell', 'ceiling / reference', 'needed', 'verdict'], rows)];
}

function environmentSections(results: BenchResults): string[] {
  const fp = results.fingerprint;
  const parts = ['## Environment', table(['what', 'value'], [
    ['kernel', fp.kernel],
    ['CPU', `${fp.cpuModel} × ${fp.cpuCount}`],
    ['memory', `${(fp.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ['data dir', `${fp.dataDir} (${fp.fileSystem.type} on ${fp.fileSystem.source}, ${fp.fileSystem.mountOptions})`],
    ['block device', fp.blockDevice ? `${fp.blockDevice.name}: scheduler ${fp.blockDevice.scheduler}, write cache ${fp.blockDevice.writeCache}, rotational ${fp.blockDevice.rotational}` : 'unknown'],
    ['Node', fp.node],
    ['git', fp.git ? `${fp.git.commit.slice(0, 12)}${fp.git.dirty ? ' (dirty)' : ''}` : 'unknown'],
    ['workload hash', fp.workloadHash],
    ['fio / iperf3', `${fp.tools.fio ?? 'missing'} / ${fp.tools.iperf3 ?? 'missing'}`],
    ['C loop baseline', Object.keys(results.baselines.loop ?? {}).length ? 'strata_baseline (native/src/syscall_baseline.c)' : 'not run'],
  ])];
  const t = results.target;
  if (t) {
    parts.push('## Target');
    parts.push(`Every cell ran against the Kafka-protocol cluster below, through kcat (librdkafka) producers and consumers on this host; the figures are the cluster's and the network's, with the clients' cost on this host included. The environment above is this host's, not the brokers'.`);
    parts.push(table(['what', 'value'], [
      ['url', t.url],
      ['cluster id', t.clusterId ?? 'none given'],
      ['brokers (from Metadata)', t.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}${b.rack ? ` rack ${b.rack}` : ''}`).join(', ')],
      ['controller', String(t.controllerId)],
      ['topic replication factor', t.replicationFactor === null ? "the cluster's default" : String(t.replicationFactor)],
      ['acks', t.acks.join(', ')],
    ]));
    parts.push(['Workload fields that do not apply to a target:', '', ...t.notApplied.map((n) => `- ${n}`)].join('\n'));
  }
  return parts;
}

function baselineSections(results: BenchResults): string[] {
  const parts = ['## Baselines (same run, same directory, same network path)'];
  const fioRows = Object.entries(results.baselines.fio).map(([key, f]) => [key, `${f.mbPerSec.toFixed(1)}`, Math.round(f.iops).toLocaleString('en-US'), `${f.latencyUsP50}/${f.latencyUsP99}/${f.latencyUsP999}`, f.syncUsP50 !== undefined ? `${f.syncUsP50}/${f.syncUsP99}/${f.syncUsP999}` : '–', `\`${f.command}\``]);
  if (fioRows.length) parts.push(table(['fio job', 'MB/s', 'IOPS', 'lat p50/p99/p99.9 us', 'fdatasync p50/p99/p99.9 us', 'command'], fioRows));
  const iperfRows = results.baselines.iperf3.map((i) => [i.zeroCopy ? 'iperf3 -Z (sendfile)' : 'iperf3', i.mbPerSec.toFixed(0), i.gbitPerSec.toFixed(2), `${i.senderCpuPercent.toFixed(0)}% / ${i.receiverCpuPercent.toFixed(0)}%`, `\`${i.command}\``]);
  if (iperfRows.length) parts.push(table(['network', 'MB/s', 'Gbit/s', 'CPU sender / receiver', 'command'], iperfRows));
  const loopRows = Object.entries(results.baselines.loop ?? {}).map(([key, l]) => [key, l.mbPerSec.toFixed(1), Math.round(l.iops).toLocaleString('en-US'), `${l.latencyUsP50}/${l.latencyUsP99}/${l.latencyUsP999}`, `${(l.cpuUserSeconds + l.cpuSystemSeconds).toFixed(3)}`, `\`${l.command}\``]);
  if (loopRows.length) parts.push(table(['C loop job (same system calls, nothing else)', 'MB/s', 'calls/s', 'call p50/p99/p99.9 us', 'CPU s', 'command'], loopRows));
  for (const n of results.baselines.notes) parts.push(`- ${n}`);
  return parts;
}
