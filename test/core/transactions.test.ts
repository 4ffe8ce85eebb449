/**
 * Transactions in the log, on a real file system: transaction markers (control batches) written by
 * appendEndTxnMarker and checked against the producer state, the open transactions and the last
 * stable offset, the `.txnindex` of each segment in Kafka's bytes (TransactionIndex / AbortedTxn),
 * rolled, truncated, deleted with its segment, rebuilt by recovery, checked by verify, and the
 * aborted transactions a read range overlaps.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { CodecRegistry } from '../../core/codec.js';
import { CONTROL_FLAG_MASK, CompressionType, TRANSACTIONAL_FLAG_MASK, compressionOf } from '../../core/format/record-batch.js';
import { builtinCodecs } from '../../codecs/index.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { verifyDataDir } from '../../core/log/log-verifier.js';
import { decodeSnapshot, encodeSnapshot, producerSnapshotPath } from '../../core/log/producer-snapshot-file.js';
import { ProducerStateRejection } from '../../core/log/producer-state-manager.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { wrapAppend } from '../support/wrap-append.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function partitionDir(): string {
  const root = fs.mkdtempSync(join(os.tmpdir(), 'strata-txn-'));
  dirs.push(root);
  return join(root, 'txn-0');
}

function openLog(dir: string, props: Record<string, string> = {}, recoveryPoint?: number): Promise<Log> {
  return Log.open(dir, logConfigFrom({ 'retention.ms': '-1', 'file.delete.delay.ms': '0', ...props }), { engine: pwriteEngine, logger: silentLogger }, recoveryPoint === undefined ? {} : { recoveryPoint });
}

/** A transactional batch of `count` records of a producer. */
function txnBatch(producerId: number, producerEpoch: number, baseSequence: number, count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`p${producerId}-s${baseSequence + i}`) }));
  return buildBatch(records, { producerId, producerEpoch, baseSequence, transactional: true });
}

/** Kafka's AbortedTxn entry, written field by field from the spec (not with strata's encoder). */
function kafkaAbortedTxn(producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number): Buffer {
  const b = Buffer.alloc(34);
  b.writeInt16BE(0, 0); // version
  b.writeBigInt64BE(BigInt(producerId), 2);
  b.writeBigInt64BE(BigInt(firstOffset), 10);
  b.writeBigInt64BE(BigInt(lastOffset), 18);
  b.writeBigInt64BE(BigInt(lastStableOffset), 26);
  return b;
}

const txnIndexPath = (dir: string, base: number): string => join(dir, `${String(base).padStart(20, '0')}.txnindex`);

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProducerStateRejection);
  return (err as ProducerStateRejection).error;
}

/** Producer 7's transaction at 0-2, a plain record at 3, producer 8's at 4-5, 7 aborts at 6, 8 commits at 7. */
async function writeTwoTransactions(log: Log): Promise<number[]> {
  const lso: number[] = [await log.lastStableOffset()];
  await log.append(txnBatch(7, 0, 0, 3));
  lso.push(await log.lastStableOffset());
  await log.appendRecords([{ value: Buffer.from('plain') }]);
  await log.append(txnBatch(8, 0, 0, 2));
  lso.push(await log.lastStableOffset());
  expect((await log.appendEndTxnMarker(7, 0, false, 5)).firstOffset).toBe(6);
  lso.push(await log.lastStableOffset());
  expect((await log.appendEndTxnMarker(8, 0, true, 5)).firstOffset).toBe(7);
  lso.push(await log.lastStableOffset());
  return lso;
}

describe('transactions in the log', () => {
  it("an abort writes Kafka's 34-byte entry to the segment's .txnindex, a commit none; the LSO stops at the oldest open transaction", async () => {
    const dir = partitionDir();
    const log = await openLog(dir);
    // before 7 begins, after it begins, with 8 open too, after 7 aborts (8 still open from 4), after 8 commits
    expect(await writeTwoTransactions(log)).toEqual([0, 0, 0, 4, 8]);
    expect(fs.readFileSync(txnIndexPath(dir, 0))).toEqual(kafkaAbortedTxn(7, 0, 6, 4));
    expect(log.collectAbortedTransactions(0, 8)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 6, lastStableOffset: 4 }]);
    expect(log.collectAbortedTransactions(6, 7)).toHaveLength(1);
    expect(log.collectAbortedTransactions(7, 8)).toEqual([]); // the range starts after the abort marker
    // the markers are Kafka's control batches: attributes bits 4 and 5, key (version, type), value (version, coordinator epoch)
    const [abort, commit] = await log.readBatches(6, 1 << 20);
    for (const b of [abort!, commit!]) {
      expect(b.header.attributes & (CONTROL_FLAG_MASK | TRANSACTIONAL_FLAG_MASK)).toBe(CONTROL_FLAG_MASK | TRANSACTIONAL_FLAG_MASK);
      expect(b.header.baseSequence).toBe(-1);
      expect(b.records).toHaveLength(1);
      expect(b.records[0]!.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 5]));
    }
    expect(abort!.records[0]!.key).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(commit!.records[0]!.key).toEqual(Buffer.from([0, 0, 0, 1]));
    await log.close();
    expect((await verifyDataDir(join(dir, '..'))).problem).toBeUndefined();
  });

  it("refuses what Kafka's ProducerAppendInfo refuses: a fenced epoch, a zombie coordinator, a plain write inside a transaction", async () => {
    const dir = partitionDir();
    const log = await openLog(dir);
    await log.append(txnBatch(9, 2, 0, 1));
    const plain = buildBatch([{ value: Buffer.from('x') }], { producerId: 9, producerEpoch: 2, baseSequence: 1 });
    expect(await rejection(log.append(plain))).toBe('INVALID_TXN_STATE');
    expect(await rejection(log.appendEndTxnMarker(9, 1, false, 3))).toBe('INVALID_PRODUCER_EPOCH');
    await log.appendEndTxnMarker(9, 2, false, 3);
    expect(await rejection(log.appendEndTxnMarker(9, 2, true, 2))).toBe('TRANSACTION_COORDINATOR_FENCED');
    // a marker for a producer with no open transaction is written, but ends nothing: no entry
    await log.appendEndTxnMarker(9, 2, false, 3);
    expect(fs.readFileSync(txnIndexPath(dir, 0))).toEqual(kafkaAbortedTxn(9, 0, 1, 2));
    expect(await log.lastStableOffset()).toBe(log.logEndOffset);
    await log.close();
  });

  it('keeps the entry with the segment of its marker across rolls, finds it from an earlier segment, truncates and deletes it with its segment', async () => {
    const dir = partitionDir();
    const log = await openLog(dir);
    await log.append(txnBatch(7, 0, 0, 2)); // 0-1
    await log.forceRoll(); // segment 2; the snapshot at 2 holds 7's open transaction
    expect(decodeSnapshot(fs.readFileSync(producerSnapshotPath(dir, 2)))).toMatchObject([{ producerId: 7, currentTxnFirstOffset: 0 }]);
    await log.appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]); // 2-3
    await log.appendEndTxnMarker(7, 0, false, 0); // 4
    expect(fs.existsSync(txnIndexPath(dir, 0))).toBe(false);
    expect(fs.readFileSync(txnIndexPath(dir, 2))).toEqual(kafkaAbortedTxn(7, 0, 4, 5));
    // a read of segment 0's range finds the abort whose marker is in the next segment
    expect(log.collectAbortedTransactions(0, 2)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 }]);
    await log.truncateTo(4);
    expect(fs.statSync(txnIndexPath(dir, 2)).size).toBe(0);
    expect(await log.lastStableOffset()).toBe(0); // the marker is gone: 7's transaction is open again
    await log.appendEndTxnMarker(7, 0, false, 0); // 4 again
    await log.forceRoll(); // segment 5
    await log.appendRecords([{ value: Buffer.from('c') }]);
    await log.deleteRecordsBefore(5);
    expect(fs.existsSync(txnIndexPath(dir, 2))).toBe(false);
    expect(log.collectAbortedTransactions(5, 6)).toEqual([]);
    await log.close();
  });

  it('recovery rebuilds the .txnindex of every recovered segment, from the log start or from a producer snapshot', async () => {
    const dir = partitionDir();
    let log = await openLog(dir);
    await log.append(txnBatch(7, 0, 0, 2)); // 0-1
    await log.append(txnBatch(8, 0, 0, 1)); // 2
    await log.forceRoll(); // segment 3, snapshot at 3: 7 open from 0, 8 from 2
    await log.appendEndTxnMarker(7, 0, false, 1); // 3: LSO 2 (8 still open)
    await log.append(txnBatch(8, 0, 1, 1)); // 4
    await log.appendEndTxnMarker(8, 0, false, 1); // 5
    await log.close();
    const expected = Buffer.concat([kafkaAbortedTxn(7, 0, 3, 2), kafkaAbortedTxn(8, 2, 5, 6)]);
    expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(expected);
    // every segment recovered (no recovery point): the walk starts at the log start
    fs.rmSync(txnIndexPath(dir, 3));
    log = await openLog(dir);
    expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(expected);
    await log.close();
    // only the last segment recovered: the walk starts at the snapshot at its base, which holds both open transactions
    fs.writeFileSync(txnIndexPath(dir, 3), Buffer.alloc(34 * 3, 0xff));
    log = await openLog(dir, {}, 3);
    expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(expected);
    expect(log.collectAbortedTransactions(0, 6)).toHaveLength(2);
    await log.close();
    // the snapshot is what the walk starts from: one saying 7's transaction began at 1 shows in the rebuilt entry
    const snapshot = decodeSnapshot(fs.readFileSync(producerSnapshotPath(dir, 3))).map((e) => (e.producerId === 7 ? { ...e, currentTxnFirstOffset: 1 } : e));
    fs.writeFileSync(producerSnapshotPath(dir, 3), encodeSnapshot(snapshot));
    fs.rmSync(txnIndexPath(dir, 3));
    log = await openLog(dir, {}, 3);
    expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(Buffer.concat([kafkaAbortedTxn(7, 1, 3, 2), kafkaAbortedTxn(8, 2, 5, 6)]));
    await log.close();
    // no snapshot at all: the trusted segment before the recovered one is read for the transactions it opens
    for (const name of fs.readdirSync(dir)) if (name.endsWith('.snapshot')) fs.rmSync(join(dir, name));
    fs.rmSync(txnIndexPath(dir, 3));
    log = await openLog(dir, {}, 3);
    expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(expected);
    await log.close();
  });

  it('compression.type rebuilds the data batches but leaves a marker uncompressed, as Kafka does; recovery still reads it', async () => {
    const dir = partitionDir();
    let log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1', 'compression.type': 'gzip' }), { engine: pwriteEngine, codecs: new CodecRegistry(builtinCodecs), logger: silentLogger });
    await log.append(txnBatch(7, 0, 0, 2));
    await log.appendEndTxnMarker(7, 0, false, 1);
    const batches = await log.readBatches(0, 1 << 20);
    expect(batches.map((b) => compressionOf(b.header.attributes))).toEqual([CompressionType.gzip, CompressionType.none]);
    await log.close();
    fs.rmSync(txnIndexPath(dir, 0));
    log = await openLog(dir); // recovered: the marker is read to rebuild the index
    expect(fs.readFileSync(txnIndexPath(dir, 0))).toEqual(kafkaAbortedTxn(7, 0, 2, 3));
    await log.close();
  });

  it('a marker not yet acknowledged keeps the LSO at its transaction: the data is not stable before its abort is', async () => {
    const dir = partitionDir();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let hold = false;
    const engine = wrapAppend(pwriteEngine, (append) => (chunks, bytes) => {
      const written = append(chunks, bytes);
      return hold ? held.then(() => written) : written;
    });
    const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1' }), { engine, logger: silentLogger });
    await log.append(txnBatch(7, 0, 0, 2)); // 0-1
    hold = true;
    const marker = log.appendEndTxnMarker(7, 0, false, 1); // 2, written but not acknowledged
    await new Promise((r) => setImmediate(r));
    expect(log.logEndOffset).toBe(2);
    expect(await log.lastStableOffset()).toBe(0);
    release();
    await marker;
    expect(await log.lastStableOffset()).toBe(3);
    await log.close();
  });

  it('verify names a .txnindex that is torn or points at no marker', async () => {
    const dir = partitionDir();
    const log = await openLog(dir);
    await writeTwoTransactions(log);
    await log.close();
    const path = txnIndexPath(dir, 0);
    const good = fs.readFileSync(path);
    fs.writeFileSync(path, good.subarray(0, 30));
    expect((await verifyDataDir(join(dir, '..'))).problem).toMatch(/00000000000000000000\.txnindex: size 30 is not a multiple of 34/);
    fs.writeFileSync(path, kafkaAbortedTxn(7, 0, 5, 6)); // offset 5 is in a data batch of two records
    expect((await verifyDataDir(join(dir, '..'))).problem).toMatch(/\.txnindex: entry 0 .*marker offset 5 is no one-record batch/);
  });
});

describe('transactions across a SIGKILL', () => {
  it('a writer killed mid-transaction: reopened, the open transaction holds the LSO and the abort is in the rebuilt .txnindex', { timeout: 60_000 }, async () => {
    const dir = partitionDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./txn-crash-writer.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let out = '';
    const ready = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      void exited.then(() => reject(new Error(`the writer exited before it was ready: ${out}`)));
    });
    child.kill('SIGKILL');
    await exited;
    const expected = JSON.parse(ready.slice('ready '.length)) as { abortedFirst: number; openFirst: number; abortMarker: number; end: number };
    expect(expected).toEqual({ abortedFirst: 0, openFirst: 3, abortMarker: 6, end: 10 });
    // nothing closed: no snapshot at the log end, and the segment's index files as the kill left them
    expect(fs.existsSync(producerSnapshotPath(dir, expected.end))).toBe(false);
    const log = await openLog(dir);
    try {
      expect(log.logEndOffset).toBe(expected.end);
      // producer 2's transaction, open from 3, restored from the snapshot at 3 and the batches after it
      expect(await log.lastStableOffset()).toBe(expected.openFirst);
      expect(fs.readFileSync(txnIndexPath(dir, 3))).toEqual(kafkaAbortedTxn(1, 0, 6, 3));
      expect(log.collectAbortedTransactions(0, expected.end)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 3 }]);
      // the open transaction goes on after the restart, and its abort completes it
      await log.append(txnBatch(2, 0, 3, 1));
      await log.appendEndTxnMarker(2, 0, false, 4);
      expect(await log.lastStableOffset()).toBe(log.logEndOffset);
      expect(log.collectAbortedTransactions(0, log.logEndOffset)).toEqual([
        { producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 3 },
        { producerId: 2, firstOffset: 3, lastOffset: 11, lastStableOffset: 12 },
      ]);
    } finally {
      await log.close();
    }
  });
});
