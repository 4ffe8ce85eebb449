/** Shared by the Kafka peer tests: strata-written topics, the strata CLI, kcat, output parsing. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { CODEC_NAMES, type CodecName } from '../../../core/codec.js';
import type { ProducerRecord } from '../../../core/format/records.js';
import { openLogManager } from '../../../engines/compose.js';

export const CODECS: readonly CodecName[] = CODEC_NAMES;
const BIN = resolve(import.meta.dirname, '../../../bin/strata.js');

export interface WrittenRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headerKeys: string[];
}

export interface WriteOptions {
  batches?: number;
  recordsPerBatch?: number;
  /** Keys, null values, headers, a LogAppendTime batch, producer ids and sequences. */
  rich?: boolean;
  config?: Record<string, string>;
}

/**
 * Writes `topic`-0 under dataDir with strata's Log.appendRecords, compressing with `codec`, and
 * returns what it wrote. Timestamps are recent (Kafka's 7-day retention would delete old ones on
 * a broker) and not all increasing, so the time index keeps the running maximum.
 */
export async function writeStrataTopic(dataDir: string, topic: string, codec: CodecName, opts: WriteOptions = {}): Promise<WrittenRecord[]> {
  const config = { 'segment.bytes': '2500', 'index.interval.bytes': '200', ...opts.config };
  const manager = await openLogManager({ dataDir, config });
  const written: WrittenRecord[] = [];
  try {
    const log = await manager.getOrCreateLog(topic, 0);
    const base = Date.now() - 60_000;
    let offset = 0;
    for (let b = 0; b < (opts.batches ?? 12); b++) {
      const records: ProducerRecord[] = [];
      const n = opts.recordsPerBatch ?? 20;
      const logAppendTime = opts.rich === true && b === 3;
      for (let i = 0; i < n; i++, offset++) {
        const rich = opts.rich === true;
        const key = rich && offset % 3 !== 0 ? `key-${offset}` : null;
        // part repetitive, part noise: compressed batches stay large enough to roll segments
        const noise = createHash('sha1').update(`${topic}/${offset}`).digest('hex').slice(0, 12 + (offset % 20));
        const value = rich && offset % 17 === 5 ? null : `${codec}/${topic}/${offset} ${'abcd'.repeat(1 + (offset % 5))} ${noise}`;
        const headers = rich && offset % 4 === 0 ? [{ key: 'trace', value: Buffer.from(String(offset)) }, { key: 'empty', value: null }] : [];
        // a dip every fifth batch: the time index must not go backwards
        const timestamp = base + offset * 10 - (b % 5 === 4 ? 500 : 0);
        records.push({ key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), headers, timestamp });
        written.push({ offset, timestamp, key, value, headerKeys: headers.map((h) => h.key) });
      }
      const producer = opts.rich === true && b % 2 === 1 ? { producerId: 4000 + b, producerEpoch: 2, baseSequence: 10 * b } : {};
      const info = await log.appendRecords(records, { codec, ...producer, ...(logAppendTime ? { timestampType: 'LogAppendTime' as const } : {}) });
      if (logAppendTime) {
        // the broker stamps a LogAppendTime batch; every record reads back with the batch's time
        const stamped = await log.readBatches(info.firstOffset, 1 << 20);
        for (const w of written.slice(-n)) w.timestamp = stamped[0]!.header.maxTimestamp;
      }
    }
  } finally {
    await manager.close();
  }
  return written;
}

/** The segment, index and time index files of a partition directory, in offset order. */
export function segmentFiles(partitionDir: string): { log: string[]; index: string[]; timeIndex: string[] } {
  const names = fs.readdirSync(partitionDir).sort();
  const pick = (suffix: string) => names.filter((n) => /^\d{20}\./.test(n) && n.endsWith(suffix)).map((n) => join(partitionDir, n));
  return { log: pick('.log'), index: pick('.index'), timeIndex: pick('.timeindex') };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real strata CLI (bin/strata.js, built by `npm install` / tsup). */
export function strataCli(args: readonly string[], input?: string): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A long-running strata CLI command (serve): resolves once `ready` matches its output. */
export function startStrata(args: readonly string[], ready: RegExp, timeoutMs = 60_000): Promise<{ stop(): Promise<void>; output(): string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strata ${args.join(' ')} not ready after ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      output += c.toString('utf8');
      if (ready.test(output)) {
        clearTimeout(timer);
        resolveStart({
          output: () => output,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
          }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strata ${args.join(' ')} exited ${code} before it was ready: ${output}`));
    });
  });
}

/** kcat, bounded in time; the tests need it installed (.ci/run installs it). */
export function kcat(args: readonly string[], input?: string): RunResult {
  const r = spawnSync('kcat', args, { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`kcat ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Consumes a whole partition with kcat (-e: exit at the end) as `offset<TAB>key<TAB>value` lines. */
export function kcatConsume(bootstrap: string, topic: string): { offset: number; key: string | null; value: string | null; timestamp: number }[] {
  const r = kcat(['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o\t%T\t%k\t%s\n']);
  if (r.code !== 0) throw new Error(`kcat -C ${topic} exited ${r.code}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => {
    const [offset, ts, key, value] = l.split('\t');
    return { offset: Number(offset), timestamp: Number(ts), key: key === 'NULL' ? null : key!, value: value === 'NULL' ? null : value! };
  });
}

/** Kafka's stderr without log4j lines (`[2026-… WARN …`) and the JVM's own notices. */
export function withoutLogLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/^\[\d{4}-\d\d-\d\d /.test(l) && !l.startsWith('OpenJDK 64-Bit Server VM warning'));
}

/** `name: value` pairs of a DumpLogSegments line, in order (the payload runs to the line's end). */
export function parseDumpLine(line: string): [string, string][] {
  const payloadAt = line.indexOf(' payload: ');
  const head = payloadAt >= 0 ? line.slice(0, payloadAt) : line;
  const pairs: [string, string][] = [];
  const re = /(\w+): (\[[^\]]*\]|\S+)/g;
  for (let m = re.exec(head); m; m = re.exec(head)) pairs.push([m[1]!, m[2]!]);
  if (payloadAt >= 0) pairs.push(['payload', line.slice(payloadAt + ' payload: '.length)]);
  return pairs;
}
