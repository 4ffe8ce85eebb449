/** The real CLI (built bin/strata.js) in child processes: produce, consume, dump, verify, bad input. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function strata(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('strata CLI', () => {
  let dir: string;
  beforeAll(() => {
    if (!fs.existsSync(dist)) throw new Error('dist/ missing: run `npm run build` (npm install does it) before the CLI tests');
    dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-'));
  });

  it('produces stdin lines, consumes them back, dumps and verifies the files', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `value-${i}`);
    const p = strata(['produce', '--data-dir', dir, '--topic', 'events', '--batch-records', '100', '--config', 'segment.bytes=6000'], lines.join('\n') + '\n');
    expect(p.stderr).not.toMatch(/strata: /);
    expect(p.stdout).toBe('wrote 1000 records in 10 batches to events-0 (offsets 0..999)\n');
    const c = strata(['consume', '--data-dir', dir, '--topic', 'events', '--from', '250', '--count', '5']);
    expect(c.stdout).toBe(['value-250', 'value-251', 'value-252', 'value-253', 'value-254', ''].join('\n'));
    expect(strata(['consume', '--data-dir', dir, '--topic', 'events']).stdout.trim().split('\n')).toEqual(lines);
    const files = fs.readdirSync(join(dir, 'events-0'));
    expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(1);
    const d = strata(['dump', join(dir, 'events-0', '00000000000000000000.log')]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^baseOffset: 0 lastOffset: 99 count: 100 .* position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/m);
    const v = strata(['verify', '--data-dir', dir]);
    expect(v).toMatchObject({ code: 0 });
    expect(v.stdout).toMatch(/^ok: 1 partitions, \d+ segments, 10 batches, 1000 records/);
  });

  it('dumps index and time index entries', () => {
    const d2 = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-'));
    strata(['produce', '--data-dir', d2, '--topic', 'ix', '--batch-records', '50', '--config', 'index.interval.bytes=100'], Array.from({ length: 500 }, (_, i) => `v${i}`).join('\n'));
    const idx = strata(['dump', join(d2, 'ix-0', '00000000000000000000.index')]);
    expect(idx.stdout).toMatch(/^offset: 99 position: \d+$/m);
    const tix = strata(['dump', join(d2, 'ix-0', '00000000000000000000.timeindex')]);
    expect(tix.stdout).toMatch(/^timestamp: \d+ offset: \d+$/m);
  });

  it('dumps a .txnindex as Kafka does, and names a torn one', () => {
    const d4 = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-'));
    fs.mkdirSync(join(d4, 't-0'));
    const file = join(d4, 't-0', '00000000000000000000.txnindex');
    const entry = Buffer.alloc(34);
    entry.writeBigInt64BE(7n, 2);
    entry.writeBigInt64BE(3n, 10);
    entry.writeBigInt64BE(9n, 18);
    entry.writeBigInt64BE(10n, 26);
    fs.writeFileSync(file, entry);
    const ok = strata(['dump', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`Dumping ${file}\nversion: 0 producerId: 7 firstOffset: 3 lastOffset: 9 lastStableOffset: 10\n`);
    fs.writeFileSync(file, Buffer.concat([entry, entry.subarray(0, 20)]));
    const torn = strata(['dump', file]);
    expect(torn.code).not.toBe(0);
    expect(torn.stderr).toMatch(/00000000000000000000\.txnindex: size 54 is not a multiple of 34 \(a torn entry at position 34\)/);
  });

  it('verify names the first bad batch and exits non-zero', () => {
    const d3 = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-'));
    strata(['produce', '--data-dir', d3, '--topic', 'bad', '--batch-records', '10'], Array.from({ length: 100 }, (_, i) => `v${i}`).join('\n'));
    const file = join(d3, 'bad-0', '00000000000000000000.log');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const v = strata(['verify', '--data-dir', d3]);
    expect(v.code).not.toBe(0);
    expect(v.stderr).toMatch(/^strata: invalid: .*00000000000000000000\.log: CRC mismatch in batch at position \d+/);
    const d = strata(['dump', file]);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toMatch(/CRC mismatch/);
  });

  it('rejects bad input with one clear line and keeps what was written', () => {
    const cases: [string[], string, RegExp][] = [
      [['produce', '--data-dir', dir, '--topic', '../escape'], 'x\n', /^strata: topic name "\.\.\/escape" has characters outside/],
      [['produce', '--data-dir', dir, '--topic', 'events', '--engine', 'no-such-engine'], 'x\n', /^strata: unknown engine "no-such-engine"/],
      [['produce', '--data-dir', dir, '--topic', 'events', '--config', 'message.max.bytes=500'], `${'y'.repeat(2000)}\n`, /^strata: record batch of \d+ bytes exceeds message.max.bytes \(500\)/],
      [['produce', '--data-dir', dir, '--topic', 'events', '--config', 'segment.bytez=1'], 'x\n', /^strata: unknown config key "segment.bytez"/],
      [['produce', '--data-dir', '/proc/strata-nope', '--topic', 'events'], 'x\n', /^strata: data dir \/proc\/strata-nope is not a usable directory/],
      [['consume', '--data-dir', dir, '--topic', 'missing'], '', /^strata: no partition missing-0/],
      [['dump', join(dir, 'nope.log')], '', /^strata: cannot read/],
    ];
    for (const [args, input, message] of cases) {
      const r = strata(args, input);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(strata(['consume', '--data-dir', dir, '--topic', 'events']).stdout.trim().split('\n')).toHaveLength(1000);
  });

  it('loads a third-party engine from a module path outside the repo', () => {
    const modDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-engine-'));
    const target = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const mod = join(modDir, 'my-engine.mjs');
    fs.writeFileSync(mod, `import { pwriteEngine } from ${JSON.stringify(target)};\nexport default { ...pwriteEngine, name: 'my-engine' };\n`);
    const d4 = fs.mkdtempSync(join(os.tmpdir(), 'strata-cli-'));
    const r = strata(['produce', '--data-dir', d4, '--topic', 'ext', '--engine', mod], 'a\nb\n');
    expect(r.stdout).toBe('wrote 2 records in 1 batches to ext-0 (offsets 0..1)\n');
    const bad = join(modDir, 'not-an-engine.mjs');
    fs.writeFileSync(bad, 'export default 42;\n');
    expect(strata(['produce', '--data-dir', d4, '--topic', 'ext', '--engine', bad], 'a\n').stderr).toMatch(/exports no storage engine/);
  });
});
