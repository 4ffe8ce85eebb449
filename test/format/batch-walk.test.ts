/**
 * One batch walker: the streaming splitter the harness's consumers run, dump and the segment scan
 * reporting a damaged batch the same way (they share core/format's framing check), and the cursor
 * refusing to step over a batch nobody checked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpLog } from '../../cli/dump/dump-log.js';
import { CodecRegistry } from '../../core/codec.js';
import { BatchCursor, batchPositions } from '../../core/format/batch-cursor.js';
import { BatchStreamSplitter } from '../../core/format/batch-stream.js';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES, lastOffsetOf, readBatchHeader } from '../../core/format/record-batch.js';
import { buildBatch } from '../../core/format/records.js';
import { scanBatchHeaders } from '../../core/log/file-records.js';
import { PwriteSegmentFile } from '../../engines/pwrite-file.js';

function batches(count: number): Buffer {
  let base = 0;
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const records = Array.from({ length: 1 + (i % 4) }, (_, r) => ({ key: null, value: Buffer.alloc(10 + ((i * 37 + r) % 300), i) }));
    parts.push(buildBatch(records, { baseOffset: base, timestamp: 1_700_000_000_000 + i }));
    base += records.length;
  }
  return Buffer.concat(parts);
}

/** Splits `stream` in chunks of random sizes and returns what the splitter saw. */
function split(Splitter: typeof BatchStreamSplitter, stream: Buffer, seed: number): { starts: number[]; ends: number; errors: string[] } {
  const seen = { starts: [] as number[], ends: 0, errors: [] as string[] };
  const splitter = new Splitter({ batchStart: (o) => seen.starts.push(o), batchEnd: () => seen.ends++, error: (m) => seen.errors.push(m) });
  let state = seed;
  for (let at = 0; at < stream.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 97);
    splitter.push(stream.subarray(at, at + size));
    at += size;
  }
  return seen;
}

describe('BatchStreamSplitter', () => {
  const stream = batches(40);
  const expected = [...batchPositions(stream)].map(({ position }) => readBatchHeader(stream, position).baseOffset);

  it('finds the batches the cursor finds, however the stream is cut', () => {
    expect(expected).toHaveLength(40);
    for (const seed of [1, 2, 3]) expect(split(BatchStreamSplitter, stream, seed)).toEqual({ starts: expected, ends: 40, errors: [] });
  });

  it('runs from its source alone, as the harness consumers run it in worker threads', () => {
    const Isolated = new Function(`return (${String(BatchStreamSplitter)});`)() as typeof BatchStreamSplitter;
    expect(split(Isolated, stream, 7)).toEqual({ starts: expected, ends: 40, errors: [] });
  });

  it('names a length no batch can have, with its stream byte', () => {
    const damaged = Buffer.from(stream);
    const second = [...batchPositions(stream)][1]!.position;
    damaged.writeInt32BE(3, second + BATCH_LENGTH_OFFSET);
    expect(split(BatchStreamSplitter, damaged.subarray(0, second + LOG_OVERHEAD_BYTES), 5).errors).toEqual([`bad batch length 3 at stream byte ${second}`]);
  });
});

describe('a damaged batch walked by dump and by the segment scan', () => {
  it('is the same error, naming the file and the position', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-batch-walk-'));
    try {
      const bytes = batches(6);
      const third = [...batchPositions(bytes)][2]!.position;
      bytes.writeInt32BE(0x40000000, third + BATCH_LENGTH_OFFSET); // a flipped bit: the length runs past the end
      const file = path.join(dir, '00000000000000000000.log');
      fs.writeFileSync(file, bytes);
      const dumped = await dumpLog(file, bytes, 0, { deepIteration: false, printDataLog: false, codecs: new CodecRegistry() });
      const segment = await PwriteSegmentFile.open(file, { preallocateBytes: 0 });
      let scanned: Error | undefined;
      try {
        for await (const batch of scanBatchHeaders(segment, 0, bytes.length)) void batch;
      } catch (err) {
        scanned = err as Error;
      } finally {
        await segment.close();
      }
      expect(dumped.problem).toMatch(new RegExp(`^${file}: batch length \\d+ at position ${third} runs past the end`));
      expect(scanned?.message).toBe(dumped.problem);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('BatchCursor', () => {
  it('refuses to step over a batch that does not fit what it holds', () => {
    const bytes = batches(2);
    const cursor = new BatchCursor(bytes, 0, bytes.length - 1);
    cursor.advance();
    expect(() => cursor.advance()).toThrow(/assertion failed: batch at position \d+ of \d+ bytes stepped over unchecked/);
  });

  it('counts positions from its origin in what it reports', () => {
    const bytes = batches(1);
    const cursor = new BatchCursor(bytes.subarray(0, 30), 0, 30, 4096);
    expect(cursor.framingProblem()?.message).toMatch(/at position 4096 runs past the end \(30 bytes remain\)/);
    expect(new BatchCursor(bytes).lastOffset()).toBe(lastOffsetOf(readBatchHeader(bytes)));
  });
});
