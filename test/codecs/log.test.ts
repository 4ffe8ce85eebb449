/**
 * Compressed batches through the Log: appendRecords with each codec, raw appends of batches kafkajs
 * compressed, read back (decoded through the registry) before and after a reopen, with offsets
 * assigned by the log inside compressed batches; a log whose message.max.bytes is small refuses to
 * decode a batch that expands past 4x of it on read. (retention.ms -1: the records carry 2023
 * timestamps, which the default 7-day retention would delete.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { compressionOf } from '../../core/format/record-batch.js';
import { buildCompressedBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { COMPRESSED, mixedRecords, registry } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-codecs-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const codecs = registry();
const open = (props: Record<string, string> = {}) =>
  Log.open(join(dir, 't-0'), logConfigFrom({ 'segment.bytes': String(128 * 1024), 'retention.ms': '-1', ...props }), { engine: pwriteEngine, codecs, logger: silentLogger });

describe.each(COMPRESSED)('%s', (name) => {
  test('appendRecords and append of prebuilt batches read back identically, across a reopen and segment rolls', async () => {
    let log = await open();
    const expected: Array<{ value: string | null; codec: string }> = [];
    for (let i = 0; i < 12; i++) {
      const records = mixedRecords(i % 2 ? 'json' : 'random', 16 * 1024 + i * 9000, i);
      if (i % 3 === 0) {
        // a batch built elsewhere (offsets 0..n-1) gets the log's offsets assigned in place
        await log.append(await buildCompressedBatch(records, codecs.byNameOrThrow(name), { baseOffset: 0 }));
      } else {
        await log.appendRecords(records, { codec: name });
      }
      for (const r of records) expected.push({ value: r.value?.toString('base64') ?? null, codec: name });
    }
    const check = async () => {
      const batches = await log.readBatches(0, 64 * 1024 * 1024);
      const got = batches.flatMap((b) => b.records.map((r) => ({ offset: r.offset, value: r.value?.toString('base64') ?? null, codec: compressionOf(b.header.attributes) })));
      expect(got.length).toBe(expected.length);
      got.forEach((g, i) => {
        expect(g.offset).toBe(i);
        expect(g.value).toBe(expected[i]!.value);
        expect(g.codec).toBe(codecs.byNameOrThrow(name).type);
      });
    };
    await check();
    expect(log.segmentCount).toBeGreaterThan(1);
    await log.close();
    log = await open();
    await check();
    // reading from the middle starts at the batch containing the offset
    const mid = Math.floor(expected.length / 2);
    const fromMid = await log.readBatches(mid, 1);
    expect(fromMid[0]!.records.some((r) => r.offset === mid)).toBe(true);
    await log.close();
  });

  test('a batch expanding past 4 x message.max.bytes is refused on append, and on read where the limit shrank since, with the limit named', async () => {
    // 1 MiB of zero-filled values compresses far below message.max.bytes but expands past 256 KiB
    const records = Array.from({ length: 16 }, () => ({ key: null, value: Buffer.alloc(64 * 1024) }));
    const batch = await buildCompressedBatch(records, codecs.byNameOrThrow(name));
    expect(batch.length).toBeLessThan(64 * 1024);
    const small = await open({ 'message.max.bytes': String(64 * 1024) });
    // the log's validator walks the records as every reader would, so readers never meet it
    await expect(small.append(Buffer.from(batch))).rejects.toThrow(new RegExp(`batch 0 .*${name} records decompress to more than 262144 bytes`));
    expect(small.logEndOffset).toBe(0);
    await small.close();
    // stored under the default limit (4 MiB), then read with a limit it exceeds
    const roomy = await open();
    await roomy.append(batch);
    await roomy.close();
    const log = await open({ 'message.max.bytes': String(64 * 1024) });
    await expect(log.readBatches(0, 1024 * 1024)).rejects.toThrow(new RegExp(`cannot decompress ${name} batch at offset 0: ${name}: .*limit of 262144`));
    await log.close();
  });
});
