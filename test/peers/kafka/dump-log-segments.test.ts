/**
 * Kafka's own DumpLogSegments (Apache Kafka 4.1.1, from the jars) reads strata's .log, .index and
 * .timeindex files written with every codec, without an error, and shows the batches, offsets,
 * timestamps, keys and values strata wrote; `strata dump` with the same options prints the same
 * lines, field for field. No broker: the tool reads files.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_MAIN, KAFKA_VERSION, runKafkaTool } from '../../../harness/peers/kafka/kafka-peer.js';
import { CODECS, parseDumpLine, segmentFiles, strataCli, withoutLogLines, writeStrataTopic, type WrittenRecord } from './helpers.js';

const MODES: Record<string, { args: string[]; files: 'all' | 'indexes' }> = {
  'deep iteration with data': { args: ['--deep-iteration', '--print-data-log'], files: 'all' },
  'shallow (batches only)': { args: [], files: 'all' },
  'index sanity check': { args: ['--index-sanity-check'], files: 'indexes' },
  'verify index only': { args: ['--verify-index-only'], files: 'indexes' },
};

describe(`Kafka ${KAFKA_VERSION} DumpLogSegments and strata dump on strata's files`, { timeout: 300_000 }, () => {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-dls-'));
  const written = new Map<string, WrittenRecord[]>();
  const files = { all: [] as string[], indexes: [] as string[] };

  beforeAll(async () => {
    for (const codec of CODECS) {
      written.set(codec, await writeStrataTopic(dataDir, `dump-${codec}`, codec, { rich: true }));
      const f = segmentFiles(join(dataDir, `dump-${codec}-0`));
      expect(f.log.length).toBeGreaterThan(1); // several segments: base offsets other than 0 too
      files.all.push(...f.log, ...f.index, ...f.timeIndex);
      files.indexes.push(...f.index, ...f.timeIndex);
    }
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  for (const [mode, { args, files: which }] of Object.entries(MODES)) {
    it(`${mode}: Kafka reads every file without an error and strata dump prints the same lines`, async () => {
      const list = files[which].join(',');
      const kafka = await runKafkaTool(KAFKA_MAIN.dumpLog, [...args, '--files', list]);
      expect(kafka.code, kafka.stderr).toBe(0);
      expect(withoutLogLines(kafka.stderr)).toEqual([]); // no mismatch, no invalid bytes, no exception
      const strata = strataCli(['dump', ...args, '--files', list]);
      expect(strata.code, strata.stderr).toBe(0);
      expect(strata.stderr).toBe('');
      const kafkaLines = kafka.stdout.trimEnd().split('\n');
      const strataLines = strata.stdout.trimEnd().split('\n');
      expect(strataLines.length).toBe(kafkaLines.length);
      for (let i = 0; i < kafkaLines.length; i++) {
        // field by field first (a readable failure), then the whole line
        expect(parseDumpLine(strataLines[i]!), `line ${i + 1}`).toEqual(parseDumpLine(kafkaLines[i]!));
        expect(strataLines[i]).toBe(kafkaLines[i]);
      }
      if (which === 'indexes' && args.includes('--index-sanity-check')) {
        // an index with no entry is reported empty before any check (a segment of one batch has none)
        const passed = kafkaLines.filter((l) => l.endsWith('passed sanity check.')).length;
        expect(passed + kafkaLines.filter((l) => l.endsWith(' is empty.')).length).toBe(files.indexes.length);
        expect(passed).toBeGreaterThan(files.indexes.length / 2);
      }
    });
  }

  it("Kafka's deep iteration shows exactly the offsets, timestamps, keys, headers and values strata wrote", async () => {
    for (const codec of CODECS) {
      const f = segmentFiles(join(dataDir, `dump-${codec}-0`));
      const kafka = await runKafkaTool(KAFKA_MAIN.dumpLog, ['--deep-iteration', '--print-data-log', '--files', f.log.join(',')]);
      expect(kafka.code).toBe(0);
      const lines = kafka.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('baseOffset:')).every((l) => l.includes(`compresscodec: ${codec} `) && l.endsWith('isvalid: true'))).toBe(true);
      const records = lines.filter((l) => l.startsWith('| offset:')).map((l) => Object.fromEntries(parseDumpLine(l.slice(2))));
      const expected = written.get(codec)!;
      expect(records.map((r) => Number(r.offset))).toEqual(expected.map((w) => w.offset));
      expect(records.map((r) => Number(r.CreateTime ?? r.LogAppendTime))).toEqual(expected.map((w) => w.timestamp));
      expect(records.map((r) => r.key ?? null)).toEqual(expected.map((w) => w.key));
      expect(records.map((r) => r.payload ?? null)).toEqual(expected.map((w) => w.value));
      expect(records.map((r) => r.headerKeys)).toEqual(expected.map((w) => `[${w.headerKeys.join(',')}]`));
      // producer ids and sequences: the odd batches carry them, record sequences count up
      expect(lines.some((l) => /producerId: 400\d producerEpoch: 2 /.test(l))).toBe(true);
      expect(lines.some((l) => l.includes('LogAppendTime: '))).toBe(true);
    }
  });

  it('a broken index: Kafka and strata report the same mismatch; strata exits non-zero', async () => {
    const copy = fs.mkdtempSync(join(os.tmpdir(), 'strata-dls-bad-'));
    try {
      await writeStrataTopic(copy, 'broken', 'none', { config: { 'segment.bytes': '1000000' } });
      const index = segmentFiles(join(copy, 'broken-0')).index[0]!;
      const bytes = fs.readFileSync(index);
      expect(bytes.length).toBeGreaterThanOrEqual(16);
      bytes.writeUInt32BE(bytes.readUInt32BE(8) - 1, 8); // the second entry names an offset inside its batch
      fs.writeFileSync(index, bytes);
      const kafka = await runKafkaTool(KAFKA_MAIN.dumpLog, ['--verify-index-only', '--files', index]);
      const strata = strataCli(['dump', '--verify-index-only', '--files', index]);
      const kafkaErr = withoutLogLines(kafka.stderr);
      expect(kafkaErr[0]).toBe(`Mismatches in :${index}`);
      expect(kafkaErr).toHaveLength(2);
      expect(strata.stderr.split('\n').slice(0, 2)).toEqual(kafkaErr);
      expect(strata.code).toBe(1);
      expect(strata.stderr).toMatch(/index entries do not match/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
