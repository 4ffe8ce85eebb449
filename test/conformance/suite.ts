/**
 * The engine conformance suite (in the spirit of abstract-level's): every engine, built-in or
 * third-party, runs the same tests through the Log. Optional behaviour is gated by the engine's
 * `supports` manifest. A new engine is one file plus one test file calling runConformance().
 *
 *   import { runConformance } from 'strata/conformance';
 *   runConformance({ engine: myEngine, engineModule: '/abs/path/to/my-engine.js' });
 *
 * `engineModule` (a path or package name loadEngine understands) lets the crash test load the
 * engine in a child process; without it the crash test is skipped with a message.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import type { StorageEngine } from '../../core/engine.js';
import { validateBatch } from '../../core/format/record-batch.js';
import { buildBatch, type ProducerRecord } from '../../core/format/records.js';
import { Log, type LoadOptions } from '../../core/log/log.js';
import { silentLogger, type Logger } from '../../core/tokens.js';
import { crashRecordValue } from './crash-values.js';

export interface ConformanceOptions {
  engine: StorageEngine;
  /** How a child process loads the engine (name or module path), for the crash test. */
  engineModule?: string;
  /** SIGKILL cycles of the crash test (default 20). */
  crashCycles?: number;
}

const BASE_TS = 1_700_000_000_000;

function tempDir(): string {
  return fs.mkdtempSync(join(os.tmpdir(), 'strata-conf-'));
}

function records(n: number, from: number, valueBytes = 100): ProducerRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`key-${from + i}`),
    value: Buffer.alloc(valueBytes, (from + i) % 251),
    headers: [{ key: 'h', value: Buffer.from(String(from + i)) }],
    timestamp: BASE_TS + from + i,
  }));
}

class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  info = (m: string) => void this.lines.push(`INFO ${m}`);
  warn = (m: string) => void this.lines.push(`WARN ${m}`);
  error = (m: string) => void this.lines.push(`ERROR ${m}`);
}

async function readAll(log: Log, from = log.logStartOffset) {
  const out: { offset: number; key: string; value: Buffer }[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const batches = await log.readBatches(offset, 64 * 1024);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, key: r.key!.toString(), value: Buffer.from(r.value!) });
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

export function runConformance(options: ConformanceOptions): void {
  const { engine } = options;
  const open: Log[] = [];
  const dirs: string[] = [];
  const openLog = async (dir: string, props: Record<string, string> = {}, logger: Logger = silentLogger, now?: () => number, load?: LoadOptions) => {
    const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1', ...props }), { engine, logger, now }, load);
    open.push(log);
    return log;
  };
  const newDir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  describe(`engine conformance: ${engine.name}`, () => {
    afterEach(async () => {
      for (const log of open.splice(0)) await log.close().catch(() => {});
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    it('round-trips keys, values, headers and timestamps with consecutive offsets', async () => {
      const log = await openLog(newDir());
      for (let i = 0; i < 10; i++) {
        const info = await log.appendRecords(records(7, i * 7));
        expect(info.firstOffset).toBe(i * 7);
        expect(info.lastOffset).toBe(i * 7 + 6);
      }
      expect(log.logEndOffset).toBe(70);
      const all = await readAll(log);
      expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 70 }, (_, i) => i));
      expect(all[33]!.key).toBe('key-33');
      expect(all[33]!.value.equals(Buffer.alloc(100, 33))).toBe(true);
      const [batch] = await log.readBatches(33, 1);
      expect(batch!.records[5]!.headers).toEqual([{ key: 'h', value: Buffer.from('33') }]);
      expect(batch!.records[5]!.timestamp).toBe(BASE_TS + 33);
    });

    it('assigns offsets to every batch of a multi-batch append, in place', async () => {
      const log = await openLog(newDir());
      await log.appendRecords(records(3, 0));
      const two = Buffer.concat([buildBatch(records(4, 0)), buildBatch(records(5, 0))]);
      const info = await log.append(two);
      expect(info).toMatchObject({ firstOffset: 3, lastOffset: 11, batches: 2, records: 9 });
      const batches = await log.readBatches(3, 1 << 20);
      expect(batches.map((b) => b.header.baseOffset)).toEqual([3, 7]);
    });

    it('returns file slices of whole batches that may cross segments, starting mid-segment', async () => {
      const log = await openLog(newDir(), { 'segment.bytes': '4096' });
      for (let i = 0; i < 40; i++) await log.appendRecords(records(2, i * 2, 300));
      expect(log.segmentCount).toBeGreaterThan(3);
      const info = await log.read(13, 5000);
      expect(info.firstBatchOffset).toBe(12);
      expect(info.slices.length).toBeGreaterThanOrEqual(2);
      let bytes = 0;
      for (const s of info.slices) {
        const data = fs.readFileSync(s.path).subarray(s.position, s.position + s.length);
        let p = 0;
        while (p < data.length) p += validateBatch(data, p); // whole, valid batches only
        bytes += s.length;
      }
      expect(bytes).toBe(info.bytes);
      expect(bytes).toBeLessThanOrEqual(5000);
      expect(info.nextOffset).toBeGreaterThan(13);
      const next = await log.read(info.nextOffset, 100);
      expect(next.firstBatchOffset).toBe(info.nextOffset); // reads continue where the last ended
      await expect(log.read(log.logEndOffset + 1, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
      expect((await log.read(log.logEndOffset, 100)).slices).toEqual([]);
    });

    it('rolls on segment.bytes, trimming the closed segment and its indexes', async () => {
      const dir = newDir();
      const log = await openLog(dir, { 'segment.bytes': '10000', 'index.interval.bytes': '1000', 'segment.index.bytes': '4096' });
      for (let i = 0; i < 60; i++) await log.appendRecords(records(4, i * 4, 200));
      const bases = log.segmentBaseOffsets();
      expect(bases.length).toBeGreaterThan(3);
      for (const base of bases.slice(0, -1)) {
        const prefix = join(dir, String(base).padStart(20, '0'));
        expect(fs.statSync(`${prefix}.log`).size).toBeLessThanOrEqual(10000);
        expect(fs.statSync(`${prefix}.index`).size % 8).toBe(0);
        expect(fs.statSync(`${prefix}.index`).size).toBeLessThan(4096); // trimmed, not preallocated
        expect(fs.statSync(`${prefix}.timeindex`).size % 12).toBe(0);
      }
      const active = join(dir, String(bases[bases.length - 1]).padStart(20, '0'));
      expect(fs.statSync(`${active}.index`).size).toBe(4096); // preallocated while active
      expect((await readAll(log)).length).toBe(240);
    });

    it('rolls on segment.ms, on a full index and on an offset gap', async () => {
      const log = await openLog(newDir(), { 'segment.ms': '1000', 'segment.index.bytes': '24', 'index.interval.bytes': '0' });
      await log.appendRecords(records(1, 0), { timestamp: BASE_TS });
      await log.appendRecords([{ value: Buffer.from('a'), timestamp: BASE_TS + 500 }]);
      expect(log.segmentCount).toBe(1);
      await log.appendRecords([{ value: Buffer.from('b'), timestamp: BASE_TS + 1501 }]);
      expect(log.segmentBaseOffsets()).toEqual([0, 2]); // segment.ms
      for (let i = 0; i < 4; i++) await log.appendRecords([{ value: Buffer.from('c'), timestamp: BASE_TS + 1502 + i }]);
      // a 24-byte time index holds 2 entries: full after offsets 3 and 4, so offset 5 rolls
      expect(log.segmentBaseOffsets()).toEqual([0, 2, 5]);
      const gapLog = await openLog(newDir());
      await gapLog.append(buildBatch(records(2, 0), { baseOffset: 0 }), { offsets: 'keep' });
      await gapLog.append(buildBatch(records(2, 0), { baseOffset: 1000 }), { offsets: 'keep' });
      expect(gapLog.segmentBaseOffsets()).toEqual([0, 1000]);
      await expect(gapLog.append(buildBatch(records(1, 0), { baseOffset: 5 }), { offsets: 'keep' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('writes offset index entries by Kafka\'s rule and finds offsets through them', async () => {
      const dir = newDir();
      const log = await openLog(dir, { 'index.interval.bytes': '4096' });
      const sizes: number[] = [];
      for (let i = 0; i < 50; i++) sizes.push((await log.appendRecords(records(3, i * 3, 400))).bytes);
      for (const target of [0, 1, 44, 77, 149]) {
        const [b] = await log.readBatches(target, 1);
        expect(b!.header.baseOffset).toBe(Math.floor(target / 3) * 3);
      }
      // an active segment's index reaches its file on roll or close (a flush syncs the data only)
      await log.close();
      // expected entries: after more than 4096 bytes since the last entry, the set's last offset
      // with its start position; never for the first append
      const expected: [number, number][] = [];
      let since = 0;
      let position = 0;
      sizes.forEach((size, i) => {
        if (since > 4096) {
          expected.push([i * 3 + 2, position]);
          since = 0;
        }
        since += size;
        position += size;
      });
      const index = fs.readFileSync(join(dir, '00000000000000000000.index'));
      const actual: [number, number][] = [];
      for (let p = 0; p + 8 <= index.length; p += 8) {
        const e: [number, number] = [index.readUInt32BE(p), index.readUInt32BE(p + 4)];
        if (e[0] === 0 && e[1] === 0) break; // preallocated tail
        actual.push(e);
      }
      expect(actual).toEqual(expected);
    });

    it('looks up offsets by timestamp through the time index', async () => {
      const log = await openLog(newDir(), { 'index.interval.bytes': '100' });
      for (let i = 0; i < 30; i++) await log.appendRecords(records(2, i * 2));
      expect(await log.offsetForTimestamp(BASE_TS + 25)).toEqual({ offset: 25, timestamp: BASE_TS + 25 });
      expect(await log.offsetForTimestamp(BASE_TS - 5)).toEqual({ offset: 0, timestamp: BASE_TS });
      expect(await log.offsetForTimestamp(BASE_TS + 1000)).toBeUndefined();
      expect(await log.offsetForTimestamp(-1)).toMatchObject({ offset: 60 });
      expect(await log.offsetForTimestamp(-2)).toMatchObject({ offset: 0 });
    });

    it('deletes whole closed segments by retention.bytes and retention.ms, never the active one', async () => {
      let now = BASE_TS + 100_000;
      const log = await openLog(newDir(), { 'segment.bytes': '3000', 'retention.bytes': '7000' }, silentLogger, () => now);
      for (let i = 0; i < 40; i++) await log.appendRecords(records(2, i * 2, 200));
      expect(log.sizeBytes).toBeLessThan(7000 + 3000);
      expect(log.logStartOffset).toBeGreaterThan(0);
      expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
      await expect(log.read(0, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
      const timeLog = await openLog(newDir(), { 'segment.bytes': '3000', 'retention.ms': '60000' }, silentLogger, () => now);
      for (let i = 0; i < 20; i++) await timeLog.appendRecords(records(2, i * 2, 200));
      const segmentsBefore = timeLog.segmentCount;
      now = BASE_TS + 10 * 60_000;
      expect(await timeLog.deleteOldSegments()).toBe(segmentsBefore - 1);
      expect(timeLog.segmentCount).toBe(1);
      expect(timeLog.logEndOffset).toBe(40);
    });

    it('rejects oversized and corrupt batches with clear errors and loses nothing', async () => {
      const log = await openLog(newDir(), { 'message.max.bytes': '2000' });
      await log.appendRecords(records(3, 0));
      await expect(log.appendRecords(records(1, 0, 5000))).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
      const bad = buildBatch(records(2, 0));
      bad[bad.length - 1] ^= 0xff;
      await expect(log.append(bad)).rejects.toThrow(/CRC mismatch/);
      const torn = buildBatch(records(2, 0)).subarray(0, 50);
      await expect(log.append(torn)).rejects.toThrow(/batch/);
      expect(log.logEndOffset).toBe(3);
      expect((await readAll(log)).length).toBe(3);
    });

    it('keeps everything across a clean close and reopen (clean-shutdown marker honoured)', async () => {
      const dir = newDir();
      let log = await openLog(dir, { 'segment.bytes': '5000' });
      for (let i = 0; i < 30; i++) await log.appendRecords(records(3, i * 3));
      const before = await readAll(log);
      expect(await log.close()).toBe(true); // healthy: the LogManager writes its marker
      const logger = new CapturingLogger();
      log = await openLog(dir, { 'segment.bytes': '5000' }, logger, undefined, { hadCleanShutdown: true });
      expect(logger.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
      expect(log.logEndOffset).toBe(90);
      expect(await readAll(log)).toEqual(before);
      expect((await log.appendRecords(records(1, 90))).firstOffset).toBe(90);
    });

    it('recovers a torn tail after an unclean shutdown, saying what was cut', async () => {
      const dir = newDir();
      const log = await openLog(dir);
      for (let i = 0; i < 20; i++) await log.appendRecords(records(2, i * 2));
      await log.flush();
      const file = join(dir, '00000000000000000000.log');
      const validBytes = log.sizeBytes;
      // a torn write, where the next append goes: at the end of the valid bytes. An engine may hold
      // zeroed space past them (mmap grows its file in steps), where a torn batch reads as whole
      // but fails its CRC, and the cut includes that space.
      const reserved = fs.statSync(file).size > validBytes;
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, buildBatch(records(5, 0)).subarray(0, 100), 0, 100, validBytes);
      fs.closeSync(fd);
      const logger = new CapturingLogger();
      const reopened = await openLog(dir, {}, logger); // no marker: recovery
      expect(logger.lines.join('\n')).toMatch(reserved ? new RegExp(`cut \\d+ bytes at position ${validBytes}: CRC mismatch`) : /cut 100 bytes at position \d+: .*(partial|past the end)/);
      expect(fs.statSync(file).size).toBe(validBytes);
      expect(reopened.logEndOffset).toBe(40);
      expect((await reopened.appendRecords(records(1, 40))).firstOffset).toBe(40);
      expect((await readAll(reopened)).length).toBe(41);
    });

    it('recovers from a corrupted batch by truncating at it', async () => {
      const dir = newDir();
      const log = await openLog(dir);
      const positions: number[] = [];
      for (let i = 0; i < 10; i++) {
        positions.push(log.sizeBytes);
        await log.appendRecords(records(2, i * 2));
      }
      await log.flush();
      const file = join(dir, '00000000000000000000.log');
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, positions[6]! + 80); // inside batch 6's records
      fs.closeSync(fd);
      const logger = new CapturingLogger();
      const reopened = await openLog(dir, {}, logger);
      expect(logger.lines.join('\n')).toMatch(new RegExp(`position ${positions[6]}: CRC mismatch`));
      expect(reopened.logEndOffset).toBe(12);
      expect((await readAll(reopened)).map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('gives concurrent appends consecutive offsets and acknowledges them in order', async () => {
      const log = await openLog(newDir(), { 'segment.bytes': '20000' });
      const acked: number[] = [];
      const infos = await Promise.all(
        Array.from({ length: 64 }, (_, i) => log.appendRecords(records(3, i * 3)).then((info) => (acked.push(info.firstOffset), info))),
      );
      expect(infos.map((i) => i.firstOffset).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i * 3));
      expect(acked).toEqual([...acked].sort((a, b) => a - b));
      expect((await readAll(log)).length).toBe(192);
    });

    it.skipIf(!engine.supports.preallocate)('preallocates the active segment and trims it on roll and close', async () => {
      const dir = newDir();
      const log = await openLog(dir, { preallocate: 'true', 'segment.bytes': '65536' });
      await log.appendRecords(records(10, 0));
      const file = join(dir, '00000000000000000000.log');
      expect(fs.statSync(file).size).toBe(65536);
      await log.flush();
      // an unclean reopen sees the reservation's zeros as the end of data, not as damage
      const logger = new CapturingLogger();
      const reopened = await openLog(dir, { preallocate: 'true', 'segment.bytes': '65536' }, logger);
      expect(logger.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
      expect(reopened.logEndOffset).toBe(10);
      await reopened.appendRecords(records(10, 10));
      await reopened.close();
      expect(fs.statSync(file).size).toBe(reopened.sizeBytes);
    });

    const crashCycles = options.crashCycles ?? 20;
    it.skipIf(!options.engineModule)(`keeps every durable append across ${crashCycles} SIGKILLs of a real writer`, async () => {
      const dir = newDir();
      // from source the writer is TypeScript run through tsx; from dist/ it is built JavaScript
      const built = fileURLToPath(new URL('./conformance-crash-writer.js', import.meta.url));
      const childScript = fs.existsSync(built) ? built : fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
      const loader = childScript.endsWith('.ts') ? ['--import', 'tsx'] : [];
      const acked = new Map<number, number>();
      let seed = 12345;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let cycle = 0; cycle < crashCycles; cycle++) {
        const child = spawn(process.execPath, [...loader, childScript, dir, options.engineModule!, '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        let ready!: () => void;
        const readyP = new Promise<void>((r) => (ready = r));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.startsWith('ready\n')) ready();
        });
        const exited = new Promise<void>((r) => child.on('exit', () => r()));
        await Promise.race([readyP, exited]);
        await new Promise((r) => setTimeout(r, 20 + random() * 150));
        child.kill('SIGKILL');
        await exited;
        // only complete lines count: a line is printed after its append was durable
        for (const line of out.split('\n').slice(1, -1)) {
          const [offset, id] = line.split(' ').map(Number);
          acked.set(offset!, id!);
        }
        const log = await Log.open(dir, logConfigFrom({ 'segment.bytes': String(256 * 1024), 'retention.ms': '-1' }), { engine, logger: silentLogger });
        try {
          const present = new Map<number, Buffer>();
          let offset = log.logStartOffset;
          while (offset < log.logEndOffset) {
            const batches = await log.readBatches(offset, 1 << 20); // decodeBatch validates every CRC
            for (const b of batches) for (const r of b.records) present.set(r.offset, Buffer.from(r.value!));
            offset = batches[batches.length - 1]!.header.baseOffset + batches[batches.length - 1]!.header.lastOffsetDelta + 1;
          }
          for (const [off, id] of acked) {
            const value = present.get(off);
            if (!value || !value.equals(crashRecordValue(id))) {
              throw new Error(`cycle ${cycle}: acknowledged offset ${off} (id ${id}) ${value ? 'reads back different bytes' : 'is missing'}`);
            }
          }
        } finally {
          await log.close();
        }
      }
      expect(acked.size).toBeGreaterThan(crashCycles);
    }, 180_000);
  });
}

