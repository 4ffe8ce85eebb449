/**
 * Codec speed and strata's overhead over the compression libraries, side by side in one run.
 *
 * For each codec x payload profile (random, json, repetitive; seeded) x records-section size
 * (16 KiB, 1 MiB), the median time of:
 *   lib    the library called directly on the records section (sync or async, the same choice the
 *          codec makes for that size: codecs/sync-thresholds.ts)
 *   codec  strata's Codec.compress / Codec.decompress on the same bytes (adds the frame walk, the
 *          bounds checks and the sync/async dispatch)
 *   batch  buildCompressedBatchParts(records) (what Log.appendRecords does: header + the codec's
 *          output, written together by the engine's writev) / decodeBatch(batch): the whole batch
 *          path, which also
 *          encodes or decodes every record, writes or checks the header and CRC
 *   plain  buildBatch(records) / decodeBatchSync(batch) for the same records uncompressed: what the
 *          batch path costs without any codec
 * Two measurements of them, both in this one run:
 *  - mitata (measure(), ROUNDS interleaved rounds, median of the round medians) for MB/s (10^6 B/s
 *    of records section) of lib and codec; every 32nd call yields an event-loop turn (withLoopTurns);
 *  - a paired, interleaved sampler for the overheads: every iteration times one call of each of
 *    lib, codec, batch and plain back to back (rotating the order), so each strata call is compared
 *    with a library call made microseconds apart. On this shared 2-core machine (load average 8-9
 *    from other jobs) separate mitata windows drift by tens of percent against each other; pairing
 *    cancels that drift. Reported, as medians over the iterations of per-iteration ratios:
 *      codecOverhead = codec / lib - 1
 *      batchOverhead = (batch - plain) / lib - 1  (the batch path's cost beyond the uncompressed
 *                      batch path: codec, header, CRC over the compressed blob)
 *    and, for completeness, batch / lib - 1 (which includes encoding or decoding every record).
 *
 *   npm run bench:codecs        (or: npx tsx harness/micro/codecs.bench.ts)
 * writes results/codecs/codecs-bench.json and results/codecs/codecs-bench.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import zstd from '@mongodb-js/zstd';
import lz4 from 'lz4-napi';
import { measure } from 'mitata';
import snappy from 'snappy';
import { CodecRegistry } from '../../core/codec.js';
import { buildBatch, buildCompressedBatch, buildCompressedBatchParts, decodeBatch, decodeBatchSync, type ProducerRecord } from '../../core/format/records.js';
import { GZIP_LEVEL_DEFAULT } from '../../codecs/gzip.js';
import { builtinCodecs } from '../../codecs/index.js';
import { walkLz4Frames } from '../../codecs/lz4-frame.js';
import { lz4ExpectedOutputBytes } from '../../codecs/lz4.js';
import { SYNC_BYTES_MAX } from '../../codecs/sync-thresholds.js';
import { ZSTD_LEVEL_DEFAULT } from '../../codecs/zstd.js';
import { PAYLOAD_PROFILES, makeRecords, recordsSectionOf, withLoopTurns, type PayloadProfile } from './payloads.js';
import { median } from '../stats.js';

const SIZES = [16 * 1024, 1024 * 1024];
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
type CodecName = (typeof CODECS)[number];
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const OPTS = { min_cpu_time: Number(process.env.MIN_CPU_MS ?? 60) * 1e6, max_samples: 500 };
const TS = 1_700_000_000_000;
const PAIRED_BUDGET_MS = Number(process.env.PAIRED_MS ?? 400);
const PAIRED_ITERATIONS_MIN = 15;
const PAIRED_ITERATIONS_MAX = 5000;

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);
const registry = new CodecRegistry(builtinCodecs);

/** The library call the codec makes for this input, called directly. */
function libCompress(name: CodecName, section: Buffer): () => unknown {
  const sync = name !== 'zstd' && section.length <= SYNC_BYTES_MAX[name].compress;
  switch (name) {
    case 'gzip':
      return sync ? () => zlib.gzipSync(section, { level: GZIP_LEVEL_DEFAULT }) : () => gzipAsync(section, { level: GZIP_LEVEL_DEFAULT });
    case 'snappy':
      return sync ? () => snappy.compressSync(section, { copyOutputData: true }) : () => snappy.compress(section, { copyOutputData: true });
    case 'lz4': {
      const o = { blockChecksums: false, contentChecksum: false };
      return sync ? () => lz4.compressFrameSync(section, o) : () => lz4.compressFrame(section, o);
    }
    case 'zstd':
      return () => zstd.compress(section, ZSTD_LEVEL_DEFAULT);
  }
}

function libDecompress(name: CodecName, blob: Buffer, outputBytes: number): () => unknown {
  switch (name) {
    case 'gzip':
      return outputBytes <= SYNC_BYTES_MAX.gzip.decompress ? () => zlib.gunzipSync(blob) : () => gunzipAsync(blob);
    case 'snappy':
      return outputBytes <= SYNC_BYTES_MAX.snappy.decompress
        ? () => snappy.uncompressSync(blob, { asBuffer: true, copyOutputData: true })
        : () => snappy.uncompress(blob, { asBuffer: true, copyOutputData: true });
    case 'lz4':
      // the codec decides on its estimate from the frame headers, not the true size
      return lz4ExpectedOutputBytes(walkLz4Frames(blob, Number.MAX_SAFE_INTEGER), blob.length) <= SYNC_BYTES_MAX.lz4.decompress
        ? () => lz4.decompressFrameSync(blob)
        : () => lz4.decompressFrame(blob);
    case 'zstd':
      return () => zstd.decompress(blob);
  }
}

interface Case {
  key: string;
  codec: CodecName;
  profile: PayloadProfile;
  bytes: number;
  ratio: number;
  fns: Record<string, () => unknown>;
}

const cases: Case[] = [];
for (const profile of PAYLOAD_PROFILES) {
  for (const target of SIZES) {
    const records: ProducerRecord[] = makeRecords(profile, target);
    const section = recordsSectionOf(records);
    const plainBatch = buildBatch(records, { timestamp: TS });
    for (const name of CODECS) {
      const codec = registry.byNameOrThrow(name);
      const blob = await codec.compress(section);
      const batch = await buildCompressedBatch(records, codec, { timestamp: TS });
      // sanity: what is timed is correct
      if (!(await codec.decompress(blob, 8 * section.length)).equals(section)) throw new Error(`${name} round trip failed`);
      if ((await decodeBatch(batch, 0, { codecs: registry })).records.length !== records.length) throw new Error(`${name} batch round trip failed`);
      cases.push({
        key: `${name}/${profile}/${target}`,
        codec: name,
        profile,
        bytes: section.length,
        ratio: section.length / blob.length,
        fns: {
          'compress.lib': libCompress(name, section),
          'compress.codec': () => codec.compress(section),
          'compress.batch': () => buildCompressedBatchParts(records, codec, { timestamp: TS }),
          'compress.plain': () => buildBatch(records, { timestamp: TS }),
          'decompress.lib': libDecompress(name, blob, section.length),
          'decompress.codec': () => codec.decompress(blob, 4 * 1048588),
          'decompress.batch': () => decodeBatch(batch, 0, { codecs: registry }),
          'decompress.plain': () => decodeBatchSync(plainBatch, 0),
        },
      });
    }
  }
}

const samples = new Map<string, number[]>();
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    for (const what of ['compress.lib', 'compress.codec', 'decompress.lib', 'decompress.codec']) {
      const stats = await measure(withLoopTurns(c.fns[what]!), OPTS);
      const key = `${c.key}/${what}`;
      samples.set(key, [...(samples.get(key) ?? []), stats.p50]);
    }
  }
  process.stderr.write(`mitata round ${round + 1}/${ROUNDS} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

/** Times one call of each fn per iteration, back to back, rotating the order; ns per call. */
async function paired(fns: Record<string, () => unknown>): Promise<Record<string, number[]>> {
  const names = Object.keys(fns);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < 3; i++) for (const n of names) await fns[n]!(); // warm up
  const t0 = Date.now();
  for (let i = 0; (i < PAIRED_ITERATIONS_MIN || Date.now() - t0 < PAIRED_BUDGET_MS) && i < PAIRED_ITERATIONS_MAX; i++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length]!;
      const start = process.hrtime.bigint();
      await fns[n]!();
      out[n]!.push(Number(process.hrtime.bigint() - start));
    }
    await new Promise((resolve) => setImmediate(resolve)); // untimed: lets napi finalizers run
  }
  return out;
}
const pairedSamples = new Map<string, Record<string, number[]>>();
for (const c of cases) {
  for (const op of ['compress', 'decompress']) {
    pairedSamples.set(
      `${c.key}/${op}`,
      await paired({ lib: c.fns[`${op}.lib`]!, codec: c.fns[`${op}.codec`]!, batch: c.fns[`${op}.batch`]!, plain: c.fns[`${op}.plain`]! }),
    );
  }
}
process.stderr.write(`paired sampling done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);

const ns = (c: Case, what: string): number => median(samples.get(`${c.key}/${what}`)!);
const mbps = (bytes: number, nanos: number): number => (bytes / nanos) * 1e3;

const rows = cases.map((c) => {
  const row: Record<string, unknown> = { codec: c.codec, profile: c.profile, sectionBytes: c.bytes, ratio: c.ratio };
  for (const op of ['compress', 'decompress']) {
    const p = pairedSamples.get(`${c.key}/${op}`)!;
    const perIteration = (f: (i: number) => number) => median(p.lib!.map((_, i) => f(i)));
    Object.assign(row, {
      [`${op}LibMBps`]: mbps(c.bytes, ns(c, `${op}.lib`)),
      [`${op}CodecMBps`]: mbps(c.bytes, ns(c, `${op}.codec`)),
      [`${op}CodecOverhead`]: perIteration((i) => p.codec![i]! / p.lib![i]!) - 1,
      [`${op}BatchOverhead`]: perIteration((i) => (p.batch![i]! - p.plain![i]!) / p.lib![i]!) - 1,
      [`${op}BatchTotalOverhead`]: perIteration((i) => p.batch![i]! / p.lib![i]!) - 1,
      [`${op}PairedMedianUs`]: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, median(v) / 1e3])),
      [`${op}PairedIterations`]: p.lib!.length,
      [`${op}MitataRoundsNs`]: { lib: samples.get(`${c.key}/${op}.lib`), codec: samples.get(`${c.key}/${op}.codec`) },
    });
  }
  return row;
});

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const f0 = (x: number) => x.toFixed(0);
const kib = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const n = (x: unknown) => x as number;
const lines = [
  `Codec benchmark: ${new Date().toISOString()}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load average ${os.loadavg()[0]!.toFixed(2)} at the end. MB/s: mitata, median of ${ROUNDS} interleaved rounds. Overheads: paired interleaved sampling, median of per-iteration ratios.`,
  '',
  '| codec | profile | section | ratio | compress MB/s lib / codec | codec ovh | batch ovh | batch total | decompress MB/s lib / codec | codec ovh | batch ovh | batch total |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.codec} | ${r.profile} | ${kib(n(r.sectionBytes))} | ${n(r.ratio).toFixed(2)} | ${f0(n(r.compressLibMBps))} / ${f0(n(r.compressCodecMBps))} | ${pct(n(r.compressCodecOverhead))} | ${pct(n(r.compressBatchOverhead))} | ${pct(n(r.compressBatchTotalOverhead))} | ${f0(n(r.decompressLibMBps))} / ${f0(n(r.decompressCodecMBps))} | ${pct(n(r.decompressCodecOverhead))} | ${pct(n(r.decompressBatchOverhead))} | ${pct(n(r.decompressBatchTotalOverhead))} |`,
  ),
  '',
  'codec ovh = Codec call / library call - 1. batch ovh = (buildCompressedBatchParts - buildBatch) / library - 1 (compress),',
  '(decodeBatch - decodeBatchSync of the same records uncompressed) / library - 1 (decompress). batch total = batch path / library - 1,',
  'which includes encoding or decoding every record. Times and iteration counts: results/codecs/codecs-bench.json.',
];
mkdirSync('results/codecs', { recursive: true });
writeFileSync('results/codecs/codecs-bench.json', JSON.stringify({ when: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), rounds: ROUNDS, options: OPTS, pairedBudgetMs: PAIRED_BUDGET_MS, syncBytesMax: SYNC_BYTES_MAX, rows }, null, 2));
writeFileSync('results/codecs/codecs-bench.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
