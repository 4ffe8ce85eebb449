/**
 * Kafka's rule for an append larger than segment.bytes (UnifiedLog.append): refused with
 * RECORD_BATCH_TOO_LARGE naming the partition, the size and segment.bytes, nothing written; an
 * append of exactly segment.bytes still fits a segment of its own. Real Log over real files.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodecRegistry } from '../../core/codec.js';
import { builtinCodecs } from '../../codecs/index.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { StrataError } from '../../core/errors.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const SEGMENT_BYTES = 4096;
let root: string;
let log: Log | undefined;

beforeEach(() => {
  root = fs.mkdtempSync(join(os.tmpdir(), 'strata-too-large-'));
});
afterEach(async () => {
  await log?.close();
  log = undefined;
  fs.rmSync(root, { recursive: true, force: true });
});

async function open(): Promise<Log> {
  log = await Log.open(join(root, 'events-3'), logConfigFrom({ 'segment.bytes': String(SEGMENT_BYTES) }), { engine: pwriteEngine, codecs: new CodecRegistry(builtinCodecs), logger: silentLogger });
  return log;
}

function batchOf(bytes: number): Buffer {
  // one record whose value makes the whole batch exactly `bytes` long
  let valueBytes = bytes;
  for (let i = 0; i < 4; i++) {
    const batch = buildBatch([{ value: Buffer.alloc(valueBytes, 7) }]);
    if (batch.length === bytes) return batch;
    valueBytes += bytes - batch.length; // the varints' widths shift with the value's length
  }
  throw new Error(`no one-record batch of exactly ${bytes} bytes`);
}

describe('an append larger than segment.bytes', () => {
  it('is refused with the partition, its size and segment.bytes named, and nothing is written', async () => {
    const l = await open();
    await l.append(batchOf(500));
    const err = await l.append(batchOf(SEGMENT_BYTES + 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect((err as StrataError).code).toBe('RECORD_BATCH_TOO_LARGE');
    expect((err as Error).message).toContain('events-3');
    expect((err as Error).message).toContain(`${SEGMENT_BYTES + 1} bytes`);
    expect((err as Error).message).toContain(`segment.bytes (${SEGMENT_BYTES})`);
    expect(l.logEndOffset).toBe(1);
    expect(l.sizeBytes).toBe(500);
    expect(l.segmentCount).toBe(1);
    // the log goes on: the next append takes the next offset
    const next = await l.append(batchOf(600));
    expect(next.firstOffset).toBe(1);
    expect(l.sizeBytes).toBe(1100);
  });

  it('is refused when built by appendRecords too', async () => {
    const l = await open();
    const err = await l.appendRecords([{ value: Buffer.alloc(SEGMENT_BYTES, 1) }]).catch((e: unknown) => e);
    expect((err as StrataError).code).toBe('RECORD_BATCH_TOO_LARGE');
    expect(l.logEndOffset).toBe(0);
    expect(l.sizeBytes).toBe(0);
  });

  it('of exactly segment.bytes is accepted, in a segment of its own', async () => {
    const l = await open();
    await l.append(batchOf(200));
    const info = await l.append(batchOf(SEGMENT_BYTES));
    expect(info.firstOffset).toBe(1);
    expect(l.segmentBaseOffsets()).toEqual([0, 1]);
    const [batch] = await l.readBatches(1, SEGMENT_BYTES);
    expect(batch?.records[0]?.value?.length).toBeGreaterThan(SEGMENT_BYTES - 100);
  });
});
