/**
 * Loading a partition directory (LogLoader) and what a read returns from damaged files: the plan
 * without an engine, a clean-shutdown marker that must not let a damaged tail through, a stray
 * segment past the log end, a lowered message.max.bytes, and flipped bits outside the CRC.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { createContainer } from '../../core/container.js';
import { CorruptRecordError } from '../../core/errors.js';
import { planLoad } from '../../core/log/log-loader.js';
import type { LogManager } from '../../core/log/log-manager.js';
import { Log } from '../../core/log/log.js';
import { TOKENS, type Logger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { builtinCodecs } from '../../codecs/index.js';

class Lines implements Logger {
  lines: string[] = [];
  info = (m: string) => this.lines.push(`INFO ${m}`);
  warn = (m: string) => this.lines.push(`WARN ${m}`);
  error = (m: string) => this.lines.push(`ERROR ${m}`);
}

const value = (i: number) => Buffer.from(`value-${i}`.padEnd(100, '.'));

function manager(dataDir: string, logger: Logger, props: Record<string, string> = {}): LogManager {
  return createContainer({ dataDir, engine: pwriteEngine, codecs: builtinCodecs, logger, config: logConfigFrom({ 'retention.ms': '-1', ...props }) }).get<LogManager>(TOKENS.LogManager);
}

/** `batches` batches of 10 records through a LogManager, closed cleanly (the marker written). */
async function cleanLog(batches: number, props: Record<string, string> = {}): Promise<{ dataDir: string; segment: string }> {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-loader-'));
  const m = manager(dataDir, new Lines(), props);
  const log = await m.getOrCreateLog('t', 0);
  for (let b = 0; b < batches; b++) await log.appendRecords(Array.from({ length: 10 }, (_, i) => ({ value: value(b * 10 + i) })));
  await m.close();
  expect(fs.existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
  return { dataDir, segment: join(dataDir, 't-0', '00000000000000000000.log') };
}

async function readValues(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const batches = await log.readBatches(offset, 1 << 20);
    for (const b of batches) for (const r of b.records) if (r.offset >= offset) out.push(r.value!.toString());
    const last = batches[batches.length - 1]!;
    offset = last.header.baseOffset + last.header.lastOffsetDelta + 1;
  }
  return out;
}

describe('planLoad (no engine)', () => {
  it('sorts segments, names leftovers, and recovers from the segment holding the recovery point', () => {
    const names = ['00000000000000000200.log', '00000000000000000000.log', '00000000000000000100.log', '00000000000000000100.index', 'x.log.deleted', 'y.swap', 'partition.metadata', '00000000000000000100.snapshot'];
    expect(planLoad(names, { recoveryPoint: 150 })).toEqual({ baseOffsets: [0, 100, 200], leftovers: ['x.log.deleted', 'y.swap'], recover: [false, true, true] });
    expect(planLoad(names, { recoveryPoint: 0 }).recover).toEqual([true, true, true]);
    expect(planLoad(names, { hadCleanShutdown: true }).recover).toEqual([false, false, false]);
  });
});

describe('a clean-shutdown marker does not vouch for a damaged tail (issue 13.1)', () => {
  for (const batches of [1, 30]) {
    it(`${batches} batch(es), a few bytes cut off the last segment: recovered on open, later appends readable and kept`, async () => {
      const { dataDir, segment } = await cleanLog(batches);
      fs.truncateSync(segment, fs.statSync(segment).size - 7);
      const lines = new Lines();
      let m = manager(dataDir, lines);
      let log = await m.getOrCreateLog('t', 0);
      expect(lines.lines.some((l) => l.startsWith('WARN') && l.includes('failed its check on open'))).toBe(true);
      const kept = (batches - 1) * 10;
      expect(log.logEndOffset).toBe(kept);
      const appended = await log.appendRecords([{ value: Buffer.from('after') }]);
      expect(appended.firstOffset).toBe(kept);
      await m.close();
      // an unclean reopen (no marker) keeps the acknowledged append
      fs.rmSync(join(dataDir, '.kafka_cleanshutdown'));
      m = manager(dataDir, new Lines());
      log = await m.getOrCreateLog('t', 0);
      const values = await readValues(log);
      expect(values).toHaveLength(kept + 1);
      expect(values.at(-1)).toBe('after');
      await m.close();
    });
  }

  it('a lowered message.max.bytes keeps the larger batches already stored (Kafka applies no size limit on load)', async () => {
    const { dataDir } = await cleanLog(5);
    const m = manager(dataDir, new Lines(), { 'message.max.bytes': '500' });
    const log = await m.getOrCreateLog('t', 0);
    expect(log.logEndOffset).toBe(50);
    expect(await readValues(log)).toHaveLength(50);
    await m.close();
  });
});

describe('stray files (issue 13.3)', () => {
  it('an empty segment file past the log end is removed, with a line naming it: the log end stays', async () => {
    const { dataDir } = await cleanLog(30);
    const stray = join(dataDir, 't-0', '00000000000000009000.log');
    fs.writeFileSync(stray, '');
    fs.rmSync(join(dataDir, '.kafka_cleanshutdown'));
    const lines = new Lines();
    const m = manager(dataDir, lines);
    const log = await m.getOrCreateLog('t', 0);
    expect(log.logEndOffset).toBe(300);
    expect(fs.existsSync(stray)).toBe(false);
    expect(lines.lines.some((l) => l.includes('00000000000000009000.log is empty') && l.includes('past the log end 300'))).toBe(true);
    expect((await log.appendRecords([{ value: Buffer.from('next') }])).firstOffset).toBe(300);
    await m.close();
  });
});

describe('reads check what they return (issue 13.2)', () => {
  /** A cleanly closed log with an index entry per batch, one byte flipped at `at(bytes)`, reopened. */
  async function flipped(file: 'log' | 'index', at: (bytes: Buffer) => number): Promise<{ log: Log; close: () => Promise<void>; lines: Lines }> {
    const { dataDir, segment } = await cleanLog(30, { 'index.interval.bytes': '1' });
    const path = file === 'log' ? segment : segment.replace(/\.log$/, '.index');
    const bytes = fs.readFileSync(path);
    bytes[at(bytes)] ^= 0x40;
    fs.writeFileSync(path, bytes);
    const lines = new Lines();
    const m = manager(dataDir, lines, { 'index.interval.bytes': '1' });
    const log = await m.getOrCreateLog('t', 0);
    return { log, close: () => m.close(), lines };
  }

  const expectRightOrError = async (log: Log) => {
    // every offset read either gives the batch that holds it or an error naming the file: never
    // other records, never a silent empty result below the log end
    for (let offset = 0; offset < log.logEndOffset; offset += 7) {
      let batches;
      try {
        batches = await log.readBatches(offset, 1);
      } catch (err) {
        expect(err).toBeInstanceOf(CorruptRecordError);
        expect((err as Error).message).toMatch(/00000000000000000000\.log/);
        continue;
      }
      expect(batches.length).toBeGreaterThan(0);
      const h = batches[0]!.header;
      expect(h.baseOffset).toBeLessThanOrEqual(offset);
      expect(h.baseOffset + h.lastOffsetDelta).toBeGreaterThanOrEqual(offset);
    }
  };

  it('a flipped bit in a middle batch base offset (outside the CRC)', async () => {
    // byte 6 of the 11th batch: its base offset's low bits
    const { log, close } = await flipped('log', (bytes) => {
      let position = 0;
      for (let i = 0; i < 10; i++) position += 12 + bytes.readInt32BE(position + 8);
      return position + 6;
    });
    await expectRightOrError(log);
    await close();
  });

  it('a flipped bit in a batch length (outside the CRC)', async () => {
    const { log, close } = await flipped('log', (bytes) => Math.floor(bytes.length / 2) - (Math.floor(bytes.length / 2) % 4) + 10);
    await expectRightOrError(log);
    await close();
  });

  it('a flipped bit in an offset index entry: the read falls back to a scan and returns the right batch', async () => {
    const { log, close, lines } = await flipped('index', () => 8 * 8 + 6); // the position of entry 8
    await expectRightOrError(log);
    // the index is wrong, not the data: every offset is still readable
    expect(await readValues(log)).toHaveLength(300);
    expect(lines.lines.join('\n')).toMatch(/index failed its sanity check|no batch holding it starts|failed its check on open/);
    await close();
  });
});
