/**
 * The log validates what it stores, whoever appends (Kafka's LogValidator runs in storage): a
 * batch whose CRC holds over a malformed record is refused by Log.append from the library, naming
 * the batch and the record, and nothing of the append is stored. Idempotent producers' sequences
 * are the log's to check, at placement: an embedder gets duplicates answered, gaps and fenced
 * epochs refused with Kafka's errors, and concurrent appends of one producer stay in order with
 * no lock around them.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { validateBatches } from '../../core/format/batch-cursor.js';
import { buildBatch, buildCompressedBatch } from '../../core/format/records.js';
import type { Log } from '../../core/log/log.js';
import { RecordValidationError } from '../../core/log/log-validator.js';
import { ProducerStateRejection } from '../../core/log/producer-state-manager.js';
import { composeByName } from '../../engines/compose.js';
import { gzipCodec } from '../../codecs/gzip.js';
import { crc32c } from '../../core/format/crc32c.js';
import { withBadOffsetDelta } from '../support/malformed-record.js';

const managers: LogManager[] = [];

async function openLog(config: Record<string, string> = {}): Promise<Log> {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-log-validator-'));
  const container = await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger, config });
  const manager = container.get<LogManager>(TOKENS.LogManager);
  managers.push(manager);
  return manager.getOrCreateLog('t', 0);
}

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
});

const records = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`) }));

describe('Log.append validates every record, for every caller', () => {
  it('refuses a batch whose CRC holds over a malformed record, naming the batch and the record; nothing is stored', async () => {
    const log = await openLog();
    const good = buildBatch(records(3, 'good'));
    const bad = withBadOffsetDelta(buildBatch(records(4, 'bad')), 2);
    expect(() => validateBatches(bad, 1 << 20)).not.toThrow(); // the CRC and the header are fine
    const refused = log.append(Buffer.concat([good, bad]));
    await expect(refused).rejects.toThrow(RecordValidationError);
    await expect(refused).rejects.toThrow(new RegExp(`^batch 1 \\(at byte ${good.length} of the append\\): record 2 at byte \\d+ of the records section has offset delta 5, expected 2$`));
    await expect(refused).rejects.toMatchObject({ reason: 'CORRUPT_MESSAGE', batchIndex: 1, position: good.length });
    expect(log.logEndOffset).toBe(0);
    // the log goes on: the next append gets offset 0
    expect((await log.append(good)).firstOffset).toBe(0);
    expect(log.logEndOffset).toBe(3);
  });

  it('refuses a legacy message set (magic 1) as Kafka refuses a down-conversion it will not do, naming the magic', async () => {
    const log = await openLog();
    const legacy = buildBatch(records(2, 'old'));
    legacy.writeInt8(1, 16); // the magic byte of a v1 message set where v2's sits
    const refused = log.append(legacy);
    await expect(refused).rejects.toThrow(/^batch 0 \(at byte 0 of the append\) has magic 1; only RecordBatch v2 \(magic 2\) is stored$/);
    await expect(refused).rejects.toMatchObject({ reason: 'UNSUPPORTED_FOR_MESSAGE_FORMAT' });
    expect(log.logEndOffset).toBe(0);
  });

  it('walks compressed batches too (after decompression)', async () => {
    const log = await openLog();
    // a gzip batch around a malformed section: build it uncompressed, break it, then compress the section
    const plain = withBadOffsetDelta(buildBatch(records(5, 'z')), 1);
    const section = plain.subarray(61);
    const compressed = await buildCompressedBatch(records(5, 'z'), gzipCodec);
    const rebuilt = await rebuildWithSection(compressed, section);
    await expect(log.append(rebuilt)).rejects.toThrow(/^batch 0 \(at byte 0 of the append\): record 1 at byte \d+ of the records section has offset delta 4, expected 1$/);
    expect(log.logEndOffset).toBe(0);
  });

  it('keeps the call order of appends whatever their validation takes', async () => {
    const log = await openLog();
    // a large gzip batch (decompressed off the event loop) called first, small plain ones after
    const big = await buildCompressedBatch(Array.from({ length: 2000 }, (_, i) => ({ value: Buffer.alloc(500, i) })), gzipCodec);
    const small = buildBatch(records(1, 's'));
    const infos = await Promise.all([log.append(big), log.append(small), log.append(Buffer.from(small))]);
    expect(infos.map((i) => i.firstOffset)).toEqual([0, 2000, 2001]);
  });

  it('Log.appendValidated takes only what the LogValidator made', async () => {
    const log = await openLog();
    const checkedCrcOnly = validateBatches(buildBatch(records(1, 'x')), 1 << 20);
    // @ts-expect-error a ValidatedBatches (CRCs checked, records not walked) is not ValidatedRecords
    const typeRefused = () => log.appendValidated(checkedCrcOnly);
    expect(typeof typeRefused).toBe('function');
    const validated = await log.validate(checkedCrcOnly.buffer);
    expect((await log.appendValidated(validated)).firstOffset).toBe(0);
  });
});

/** `compressed` (one gzip batch) with its records section replaced by gzip(`section`), CRC recomputed. */
async function rebuildWithSection(compressed: Buffer, section: Buffer): Promise<Buffer> {
  const body = await gzipCodec.compress(section);
  const out = Buffer.concat([compressed.subarray(0, 61), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

const idempotent = (producerId: number, producerEpoch: number, baseSequence: number, n = 1) => buildBatch(records(n, `p${producerId}-${baseSequence}`), { producerId, producerEpoch, baseSequence });

describe('producer state in the Log (an embedder, no broker)', () => {
  it('answers a retry with its original offsets and writes it once; refuses gaps and fenced epochs with Kafka errors', async () => {
    const log = await openLog();
    const first = idempotent(7, 0, 0, 2);
    expect(await log.append(Buffer.from(first))).toMatchObject({ firstOffset: 0, lastOffset: 1 });
    const retry = await log.append(Buffer.from(first));
    expect(retry).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: true, records: 0 });
    expect(log.logEndOffset).toBe(2);
    await expect(log.append(idempotent(7, 0, 5))).rejects.toMatchObject({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(await log.append(idempotent(7, 1, 0))).toMatchObject({ firstOffset: 2 }); // a new epoch starts at 0
    const fenced = log.append(idempotent(7, 0, 2));
    await expect(fenced).rejects.toThrow(ProducerStateRejection);
    await expect(fenced).rejects.toMatchObject({ error: 'INVALID_PRODUCER_EPOCH' });
    expect(log.logEndOffset).toBe(3);
  });

  it('keeps concurrent appends of one producer in order, retries answered, with no lock around them', async () => {
    const log = await openLog({ 'segment.bytes': '2048' });
    const batches = Array.from({ length: 60 }, (_, i) => idempotent(9, 0, i));
    // every original and, right behind it, its retry (another connection's resend): none awaited
    const calls = batches.flatMap((b) => [log.append(Buffer.from(b)), log.append(Buffer.from(b))]);
    const infos = await Promise.all(calls);
    for (let i = 0; i < 60; i++) {
      expect(infos[2 * i]).toMatchObject({ firstOffset: i, lastOffset: i });
      expect(infos[2 * i]!.duplicate).toBeUndefined();
      expect(infos[2 * i + 1]).toMatchObject({ firstOffset: i, lastOffset: i, duplicate: true });
    }
    expect(log.logEndOffset).toBe(60);
    expect(log.segmentCount).toBeGreaterThan(2);
    const read = await log.readBatches(0, 1 << 20);
    expect(read.map((b) => b.header.baseSequence)).toEqual(batches.map((_, i) => i));
  });
});
