/**
 * A segment's aborted-transaction index (Kafka's TransactionIndex and AbortedTxn): one 34-byte
 * entry per transaction whose ABORT marker was written to this segment, in the order of those
 * markers, so a read_committed reader can drop the aborted records of the range it reads.
 *
 *   version int16 (0), producerId int64, firstOffset int64, lastOffset int64 (the marker's offset),
 *   lastStableOffset int64 (the LSO once the abort was written)
 *
 * Unlike the sparse indexes the file is not preallocated: it is created by its first entry (a
 * segment without aborts has none, as in Kafka) and written through at each append; it is synced on
 * flush. Entries are held in memory too: a segment holds few aborted transactions.
 */
import fs from 'node:fs';
import { StrataError, assertionFailed } from '../errors.js';
import { readInt64, writeInt64 } from '../format/int64.js';
import { openRegularFileSync } from '../regular-file.js';
import { readIndexFile } from './index-file.js';

export const ABORTED_TXN_BYTES = 34;
export const ABORTED_TXN_VERSION = 0;
/** Bound on a `.txnindex` read whole: Kafka addresses its entries with an int position. */
export const TXN_INDEX_BYTES_MAX = 2 ** 31 - 1;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const buf = Buffer.alloc(ABORTED_TXN_BYTES);
  buf.writeInt16BE(ABORTED_TXN_VERSION, 0);
  writeInt64(buf, 2, txn.producerId);
  writeInt64(buf, 10, txn.firstOffset);
  writeInt64(buf, 18, txn.lastOffset);
  writeInt64(buf, 26, txn.lastStableOffset);
  return buf;
}

/** The entries of a `.txnindex` file's bytes; a bad size or version names the file and position. */
export function decodeTransactionIndex(bytes: Buffer, path: string): (AbortedTxn & { version: number })[] {
  // Kafka reads whole entries only (a torn tail is not one); strata says so
  if (bytes.length % ABORTED_TXN_BYTES !== 0) {
    throw new StrataError('CORRUPT_RECORD', `${path}: size ${bytes.length} is not a multiple of ${ABORTED_TXN_BYTES} (a torn entry at position ${bytes.length - (bytes.length % ABORTED_TXN_BYTES)})`);
  }
  const entries: (AbortedTxn & { version: number })[] = [];
  for (let at = 0; at < bytes.length; at += ABORTED_TXN_BYTES) {
    const version = bytes.readInt16BE(at);
    if (version > ABORTED_TXN_VERSION) throw new StrataError('CORRUPT_RECORD', `${path}: entry at position ${at} has version ${version}; the current version is ${ABORTED_TXN_VERSION}`);
    try {
      entries.push({ version, producerId: readInt64(bytes, at + 2), firstOffset: readInt64(bytes, at + 10), lastOffset: readInt64(bytes, at + 18), lastStableOffset: readInt64(bytes, at + 26) });
    } catch (err) {
      throw new StrataError('CORRUPT_RECORD', `${path}: entry at position ${at}: ${(err as Error).message}`);
    }
  }
  return entries;
}

/** What collectAbortedTxns found in one segment, and whether the search may stop there. */
export interface TxnIndexSearchResult {
  abortedTransactions: AbortedTxn[];
  /** An entry's LSO reached the upper bound: no later segment holds an abort for this range. */
  isComplete: boolean;
}

export class TransactionIndex {
  private entries: AbortedTxn[];

  constructor(
    readonly path: string,
    readonly startOffset: number,
    load: boolean,
  ) {
    const bytes = load ? readIndexFile(path, TXN_INDEX_BYTES_MAX) : undefined;
    this.entries = bytes ? decodeTransactionIndex(bytes, path) : [];
    // not loaded (a new segment, or one recovery rebuilds): a file of that name is a leftover (a
    // delete cut short by a crash) whose entries must not be read as this segment's later
    if (!load) fs.rmSync(path, { force: true });
  }

  get allAbortedTxns(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Appends an entry (Kafka's append: last offsets strictly increase) and writes it through. */
  append(txn: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    if (last && last.lastOffset >= txn.lastOffset) {
      assertionFailed(`${this.path}: the last offset of an aborted transaction must increase, but ${txn.lastOffset} is not greater than ${last.lastOffset}`);
    }
    if (!(txn.firstOffset <= txn.lastOffset && txn.lastOffset >= this.startOffset)) assertionFailed(`${this.path}: aborted transaction ${JSON.stringify(txn)} lies outside the segment from ${this.startOffset}`);
    const fd = openRegularFileSync(this.path, fs.constants.O_WRONLY | fs.constants.O_CREAT | (this.entries.length === 0 ? fs.constants.O_TRUNC : fs.constants.O_APPEND));
    try {
      fs.writeSync(fd, encodeAbortedTxn(txn));
    } finally {
      fs.closeSync(fd);
    }
    this.entries.push(txn);
  }

  /**
   * Aborted transactions overlapping [fetchOffset, upperBoundOffset) (Kafka's collectAbortedTxns);
   * complete once an entry's LSO is at or past the upper bound.
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): TxnIndexSearchResult {
    const abortedTransactions: AbortedTxn[] = [];
    for (const txn of this.entries) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) abortedTransactions.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }

  /** Drops the entries whose marker is at or past `offset` (a truncation). */
  truncateTo(offset: number): void {
    const keep = this.entries.findIndex((t) => t.lastOffset >= offset);
    if (keep < 0) return;
    this.entries = this.entries.slice(0, keep);
    // through a descriptor of the regular file itself: a link swapped in is refused, not followed
    const fd = openRegularFileSync(this.path, fs.constants.O_WRONLY);
    try {
      fs.ftruncateSync(fd, keep * ABORTED_TXN_BYTES);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Every entry goes (recovery rebuilds them from the log); so does the file, until an entry comes. */
  reset(): void {
    this.entries = [];
    fs.rmSync(this.path, { force: true });
  }

  /** Kafka's sanityCheck: every entry's marker lies in this segment. */
  sanityCheck(): void {
    for (const txn of this.entries) {
      if (txn.lastOffset < this.startOffset) throw new StrataError('CORRUPT_RECORD', `${this.path}: last offset ${txn.lastOffset} of an aborted transaction is below the segment's start offset ${this.startOffset}`);
    }
  }

  /** Makes the entries durable (they are written through at append). */
  flush(): void {
    if (this.entries.length === 0 || !fs.existsSync(this.path)) return;
    const fd = openRegularFileSync(this.path, fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
