/**
 * `strata send` -> `strata receive` end to end through the built CLI (`npm run build`, then
 * `node bin/strata.js` in child processes): a
 * byte-identical copy (same offsets), a mid-log start, and corrupt, truncated or overlapping
 * streams rejected with the receiver's log still valid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { readInt64 } from '../../core/format/int64.js';
import { LAST_OFFSET_DELTA_OFFSET, validateBatch } from '../../core/format/record-batch.js';
import { batchPositions } from '../../core/format/batch-cursor.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { encodeEnd, encodeHeader } from '../../engines/transfer/ship/framing.js';
import { loadNative } from '../../native/index.js';
import { withBadOffsetDelta } from '../support/malformed-record.js';
import { makeLog } from './fixtures/make-log.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STRATA = join(ROOT, 'bin', 'strata.js');
const TOPIC = 'ship';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function strata(args: string[]): Promise<Run> {
  return finished(spawn(process.execPath, [STRATA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts `strata receive` on a free port; resolves once it listens. */
async function receiver(dataDir: string, extra: string[] = []): Promise<{ port: number; done: Promise<Run> }> {
  const child = spawn(process.execPath, [STRATA, 'receive', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--topic', TOPIC, '--config', 'segment.bytes=200000', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = finished(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void done.then((r) => reject(new Error(`receiver exited (${r.code}) before listening: ${r.stderr}`)));
  });
  return { port, done };
}

/** Every batch of the partition, in offset order, as stored: the .log files concatenated. */
function logBytes(dataDir: string): Buffer {
  const dir = join(dataDir, `${TOPIC}-0`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(files.map((f) => fs.readFileSync(join(dir, f))));
}

/** The bytes from the batch containing `offset` on. */
function fromOffset(bytes: Buffer, offset: number): Buffer {
  for (const { position } of batchPositions(bytes)) {
    if (readInt64(bytes, position) + bytes.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET) >= offset) return bytes.subarray(position);
  }
  return Buffer.alloc(0);
}

function batchesOf(bytes: Buffer): Buffer[] {
  return [...batchPositions(bytes)].map(({ position, sizeBytes }) => bytes.subarray(position, position + sizeBytes));
}

/** Opens the receiver's log as a broker would (recovery included) and checks every batch. */
async function checkLogValid(dataDir: string): Promise<{ start: number; end: number; batches: number }> {
  const bytes = logBytes(dataDir);
  let n = 0;
  for (let pos = 0; pos < bytes.length; n++) pos += validateBatch(bytes, pos);
  const log = await Log.open(join(dataDir, `${TOPIC}-0`), DEFAULT_LOG_CONFIG, { engine: pwriteEngine, logger: silentLogger });
  try {
    const all = await log.readBatches(log.logStartOffset, Number.MAX_SAFE_INTEGER);
    expect(all.length).toBe(n);
    return { start: log.logStartOffset, end: log.logEndOffset, batches: n };
  } finally {
    await log.close();
  }
}

let work: string;
let source: string;
let sourceBytes: Buffer;
let sourceEnd: number;

/** Newest modification time of the sources the CLI bundles. */
function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

beforeAll(async () => {
  // dist/ comes from `npm run build` (npm install / npm ci run it). It is not rebuilt here: tsup
  // empties dist/ first, which would break other test files running the CLI at the same time.
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new Error('dist/ missing: run `npm run build` before the shipping CLI tests');
  const newest = Math.max(...['cli', 'core', 'engines', 'codecs', 'native'].map((d) => newestSourceMs(join(ROOT, d))));
  if (newest > fs.statSync(main).mtimeMs) throw new Error('dist/ is older than the sources: run `npm run build` before the shipping CLI tests');
  work = await mkdtemp(join(tmpdir(), 'strata-ship-'));
  source = join(work, 'source');
  // 400 batches of 10 records across ~10 segments of 100 kB
  const made = await makeLog(source, TOPIC, 0, 400, 10, 200, 100_000);
  expect(made.segments).toBeGreaterThanOrEqual(8);
  sourceEnd = made.logEndOffset;
  sourceBytes = logBytes(source);
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('strata send | strata receive', () => {
  test.each(loadNative() ? ['sendfile', 'buffered'] : ['buffered'])('a whole partition arrives byte-identical with the same offsets (%s)', async (transfer) => {
    const dest = join(work, `copy-${transfer}`);
    const r = await receiver(dest);
    const sent = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--to', `127.0.0.1:${r.port}`, '--transfer', transfer]);
    const received = await r.done;
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`with ${transfer} in`));
    expect(received.code).toBe(0);
    expect(received.stdout).toMatch(new RegExp(`received ${TOPIC}-0: 400 batches, ${sourceBytes.length} bytes, offsets 0..${sourceEnd - 1}`));
    expect(logBytes(dest).equals(sourceBytes)).toBe(true);
    expect(await checkLogValid(dest)).toEqual({ start: 0, end: sourceEnd, batches: 400 });
  }, 60_000);

  test('a mid-log --from ships from the batch holding that offset; the copy starts there', async () => {
    const dest = join(work, 'mid');
    const r = await receiver(dest);
    const sent = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--from', '1234', '--to', `127.0.0.1:${r.port}`]);
    const received = await r.done;
    expect(sent.code, sent.stderr).toBe(0);
    expect(received.code, received.stderr).toBe(0);
    const expected = fromOffset(sourceBytes, 1234);
    expect(readInt64(expected, 0)).toBe(1230); // batches of 10 records: 1234 lives in 1230..1239
    expect(logBytes(dest).equals(expected)).toBe(true);
    expect(await checkLogValid(dest)).toEqual({ start: 1230, end: sourceEnd, batches: 400 - 123 });

    // shipping the same range again would overlap what the copy holds: rejected, copy unchanged
    const again = await receiver(dest);
    const resend = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--from', '1300', '--to', `127.0.0.1:${again.port}`]);
    const rejected = await again.done;
    expect(resend.code).toBe(1);
    expect(resend.stderr).toMatch(/receiver rejected the stream: cannot append .* \(log end offset 4000\): batch base offset 1300 is below the log end offset 4000/);
    expect(rejected.code).toBe(1);
    expect(logBytes(dest).equals(expected)).toBe(true);
  }, 60_000);

  /** Sends raw bytes as a misbehaving sender would, then closes. */
  async function rawSend(port: number, bytes: Buffer): Promise<void> {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('data', () => {});
    await new Promise<void>((resolve) => s.once('connect', resolve));
    await new Promise<void>((resolve) => s.end(bytes, resolve));
    await new Promise<void>((resolve) => s.once('close', resolve));
  }

  test('a corrupt batch is rejected naming it; the receiver keeps only the whole valid batches before it', async () => {
    const dest = join(work, 'corrupt');
    const r = await receiver(dest);
    const batches = batchesOf(sourceBytes);
    const good = batches.slice(0, 25);
    const bad = Buffer.from(batches[25]!);
    bad[bad.length - 5] ^= 0x01; // one bit in the last record's value
    const header = encodeHeader({ topic: TOPIC, partition: 0, startOffset: 0 });
    const rest = batches.slice(26, 40);
    const total = [...good, bad, ...rest].reduce((n, b) => n + b.length, 0);
    await rawSend(r.port, Buffer.concat([header, ...good, bad, ...rest, encodeEnd({ bytes: total, nextOffset: 400 })]));
    const received = await r.done;
    expect(received.code).toBe(1);
    const at = header.length + good.reduce((n, b) => n + b.length, 0);
    expect(received.stderr).toMatch(new RegExp(`corrupt batch at stream byte ${at}: CRC mismatch`));
    expect(received.stderr).toMatch(/the log keeps the 25 whole valid batches before it \(offsets 0\.\.249\)/);
    expect(logBytes(dest).equals(Buffer.concat(good))).toBe(true);
    expect(await checkLogValid(dest)).toEqual({ start: 0, end: 250, batches: 25 });
  }, 60_000);

  test('a batch whose CRC holds over a malformed record is refused naming the batch and the record; the valid batches before it stay', async () => {
    const dest = join(work, 'malformed');
    const r = await receiver(dest);
    const batches = batchesOf(sourceBytes);
    const good = batches.slice(0, 25);
    const bad = withBadOffsetDelta(batches[25]!, 3); // CRC recomputed: only the record walk can tell
    const header = encodeHeader({ topic: TOPIC, partition: 0, startOffset: 0 });
    const total = [...good, bad].reduce((n, b) => n + b.length, 0);
    await rawSend(r.port, Buffer.concat([header, ...good, bad, encodeEnd({ bytes: total, nextOffset: 260 })]));
    const received = await r.done;
    expect(received.code).toBe(1);
    const at = good.reduce((n, b) => n + b.length, 0);
    expect(received.stderr).toMatch(new RegExp(`batch 25 \\(at byte ${at} of the stream's batches from offset 0\\): record 3 at byte \\d+ of the records section has offset delta 6, expected 3`));
    expect(received.stderr).toMatch(/the log keeps the 25 whole valid batches before it \(offsets 0\.\.249\)/);
    expect(logBytes(dest).equals(Buffer.concat(good))).toBe(true);
    expect(await checkLogValid(dest)).toEqual({ start: 0, end: 250, batches: 25 });
  }, 60_000);

  test('a truncated stream (sender gone mid-batch) is rejected; only whole batches were appended', async () => {
    const dest = join(work, 'truncated');
    const r = await receiver(dest);
    const batches = batchesOf(sourceBytes);
    const header = encodeHeader({ topic: TOPIC, partition: 0, startOffset: 0 });
    await rawSend(r.port, Buffer.concat([header, ...batches.slice(0, 7), batches[7]!.subarray(0, 100)]));
    const received = await r.done;
    expect(received.code).toBe(1);
    expect(received.stderr).toMatch(/shipping stream truncated: it ended after \d+ bytes, inside a batch or the end marker/);
    expect(logBytes(dest).equals(Buffer.concat(batches.slice(0, 7)))).toBe(true);
    expect(await checkLogValid(dest)).toEqual({ start: 0, end: 70, batches: 7 });
  }, 60_000);

  test('bad arguments are named before anything is sent', async () => {
    const r = await receiver(join(work, 'args'), ['--partition', '0']);
    const badFrom = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--from', '99999', '--to', `127.0.0.1:${r.port}`]);
    expect(badFrom.code).toBe(1);
    expect(badFrom.stderr).toMatch(/start offset 99999 is outside ship-0's offsets \[0, 4000\]/);
    const wrongTopic = await strata(['send', '--data-dir', source, '--topic', 'nope', '--to', `127.0.0.1:${r.port}`]);
    expect(wrongTopic.stderr).toMatch(/no log for nope-0/);
    const badTo = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--to', 'localhost']);
    expect(badTo.stderr).toMatch(/--to "localhost" is not HOST:PORT/);
    const badTransfer = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--to', `127.0.0.1:${r.port}`, '--transfer', 'carrier-pigeon']);
    expect(badTransfer.stderr).toMatch(/unknown transfer "carrier-pigeon" \(known: buffered, sendfile\)/);
    // the receiver is still waiting: a foreign stream is refused by name
    const s = net.connect(r.port, '127.0.0.1');
    s.on('error', () => {});
    s.end('GET / HTTP/1.1\r\n\r\n');
    const refused = await r.done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a strata shipping stream/);

    // a receiver set up for another partition refuses the stream, and the sender says why
    const other = await receiver(join(work, 'other'), ['--partition', '1']);
    const mismatch = await strata(['send', '--data-dir', source, '--topic', TOPIC, '--to', `127.0.0.1:${other.port}`]);
    const otherDone = await other.done;
    expect(otherDone.code).toBe(1);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/the receiver rejected the stream: the stream carries ship-0, but this receiver writes ship-1; nothing was appended/);
    expect(fs.existsSync(join(work, 'other', `${TOPIC}-1`))).toBe(false);
  }, 90_000);
});
