/**
 * Codecs through the real CLI (built bin/strata.js, child processes): produce with --codec, consume
 * back, `strata dump` naming the codec like Kafka's DumpLogSegments (`compresscodec: lz4`, Kafka's
 * CompressionType names), `strata verify`; an unknown codec name is refused with the known ones.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeRecords } from '../../harness/micro/payloads.js';

const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function strata(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(dist)) throw new Error('dist/ missing: run `npm run build` (npm install does it) before the CLI tests');
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-codecs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// JSON log lines: one record per line, as `strata produce` reads them
const lines = makeRecords('json', 400 * 1024).map((r) => r.value!.toString('utf8'));

describe.each(['gzip', 'snappy', 'lz4', 'zstd'])('%s', (codec) => {
  test('produce --codec, consume, dump and verify', () => {
    const topic = `t-${codec}`;
    const p = strata(['produce', '--data-dir', dir, '--topic', topic, '--codec', codec, '--batch-records', '500'], `${lines.join('\n')}\n`);
    expect(p.stderr).toBe('');
    const batches = Math.ceil(lines.length / 500);
    expect(p.stdout).toBe(`wrote ${lines.length} records in ${batches} batches to ${topic}-0 (offsets 0..${lines.length - 1})\n`);

    const c = strata(['consume', '--data-dir', dir, '--topic', topic]);
    expect(c.code).toBe(0);
    expect(c.stdout.split('\n').slice(0, -1)).toEqual(lines);
    const from = strata(['consume', '--data-dir', dir, '--topic', topic, '--from', '777', '--count', '3']);
    expect(from.stdout.split('\n').slice(0, -1)).toEqual(lines.slice(777, 780));

    const logFile = join(dir, `${topic}-0`, '00000000000000000000.log');
    const d = strata(['dump', logFile]);
    expect(d.code).toBe(0);
    const batchLines = d.stdout.split('\n').filter((l) => l.startsWith('baseOffset:'));
    expect(batchLines.length).toBe(batches);
    for (const line of batchLines) expect(line).toMatch(new RegExp(` compresscodec: ${codec} crc: \\d+ isvalid: true$`));
    // compressed on disk: the log file is smaller than the text it holds
    expect(fs.statSync(logFile).size).toBeLessThan(lines.join('\n').length);
  }, 60_000);
});

test('verify walks every compressed log and finds it valid', () => {
  const v = strata(['verify', '--data-dir', dir]);
  expect(v.stderr).toBe('');
  expect(v.code).toBe(0);
  expect(v.stdout).toMatch(/^ok: 4 partitions, /);
});

test('an unknown codec is refused, naming the known ones', () => {
  const p = strata(['produce', '--data-dir', dir, '--topic', 'bad', '--codec', 'brotli'], 'x\n');
  expect(p.code).not.toBe(0);
  expect(p.stderr).toBe('strata: unknown codec "brotli" (known: none, gzip, snappy, lz4, zstd)\n');
});
