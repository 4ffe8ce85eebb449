/**
 * `strata dump FILE…`: Kafka's DumpLogSegments (`kafka-dump-log.sh`) for strata's files, with its
 * options and its output, line for line (cli/dump/): batches of a `.log` (records with
 * --deep-iteration, keys and values with --print-data-log), entries of a `.index` / `.timeindex`
 * checked against their `.log`, --index-sanity-check, --verify-index-only, the aborted
 * transactions of a `.txnindex`. Read-only. Unlike Kafka,
 * which prints problems and exits 0, strata exits non-zero after printing them. Like Kafka's, it
 * takes no lock: when a writer holds the data dir of a file (two levels up) it says so once on
 * stderr and reads anyway.
 */
import fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CodecRegistry } from '../../core/codec.js';
import { StrataError } from '../../core/errors.js';
import { readerLockNotice } from '../../core/file-lock.js';
import { FileTooLargeError, readRegularFileSync } from '../../core/regular-file.js';
import { builtinCodecs } from '../../codecs/index.js';
import { dumpOffsetIndex, dumpTimeIndex } from '../dump/dump-index.js';
import { dumpLog, type DumpOutput } from '../dump/dump-log.js';
import { decodeTransactionIndex } from '../../core/index/transaction-index.js';

interface DumpOptions {
  files?: string;
  deepIteration?: boolean;
  printDataLog?: boolean;
  indexSanityCheck?: boolean;
  verifyIndexOnly?: boolean;
}

/** Suffixes Kafka's DumpLogSegments reads that strata does not. */
const KAFKA_ONLY_SUFFIXES = ['.snapshot', '.checkpoint'];

export function register(program: Command): void {
  program
    .command('dump')
    .description("print a .log segment's batches, or a .index / .timeindex / .txnindex file's entries, as Kafka's DumpLogSegments does")
    .argument('[file...]', 'segment or index files')
    .option('--files <list>', 'comma-separated files (as kafka-dump-log --files)')
    .option('--deep-iteration', 'print every record, not only the batches')
    .option('--print-data-log', 'print keys and values too (implies --deep-iteration)')
    .option('--index-sanity-check', "only run the index check Kafka runs on broker start")
    .option('--verify-index-only', 'check index entries against the log without printing them')
    .action(async (positional: string[], opts: DumpOptions) => {
      const files = [...positional, ...(opts.files ? opts.files.split(',').filter((f) => f !== '') : [])];
      if (files.length === 0) throw new StrataError('INVALID_ARGUMENT', 'no file to dump (give files as arguments or --files a,b)');
      const codecs = new CodecRegistry(builtinCodecs);
      const err: string[] = [];
      const problems: string[] = [];
      const dataDirs = new Set(files.map((f) => dirname(dirname(resolve(f)))));
      for (const dir of dataDirs) {
        const notice = readerLockNotice(dir, 'dump');
        if (notice) process.stderr.write(`${notice}\n`);
      }
      for (const file of files) {
        process.stdout.write(`Dumping ${file}\n`);
        const r = await dumpOne(file, opts, codecs);
        if (r.out.length > 0) process.stdout.write(r.out.join('\n') + '\n');
        err.push(...r.err);
        if (r.problem) problems.push(r.problem);
      }
      if (err.length > 0) process.stderr.write(err.join('\n') + '\n');
      if (problems.length > 0) {
        throw new StrataError('CORRUPT_RECORD', problems.length === 1 ? problems[0]! : `${problems[0]} (and ${problems.length - 1} more problems)`);
      }
    });
}

async function dumpOne(file: string, opts: DumpOptions, codecs: CodecRegistry): Promise<DumpOutput> {
  const name = basename(file);
  const suffix = name.includes('.') ? name.slice(name.lastIndexOf('.')) : '';
  const isLog = suffix === '.log';
  const isIndex = suffix === '.index';
  const isTimeIndex = suffix === '.timeindex';
  if (suffix === '.txnindex') return dumpTxnIndex(file, readFileOrThrow(file));
  if (!isLog && !isIndex && !isTimeIndex) {
    if (KAFKA_ONLY_SUFFIXES.includes(suffix)) {
      return { out: [], err: [], problem: `${file}: strata dump reads .log, .index, .timeindex and .txnindex files (Kafka's DumpLogSegments also reads ${suffix} files)` };
    }
    return { out: [], err: [`Ignoring unknown file ${file}`] }; // Kafka's words
  }
  const bytes = readFileOrThrow(file);
  const base = baseOffsetOf(file);
  const indexOpts = { indexSanityOnly: opts.indexSanityCheck === true, verifyOnly: opts.verifyIndexOnly === true, codecs };
  if (isLog) {
    const printDataLog = opts.printDataLog === true;
    return dumpLog(file, bytes, base, { deepIteration: opts.deepIteration === true || printDataLog, printDataLog, codecs });
  }
  // like Kafka, an index is read with its segment's .log beside it
  const prefix = join(dirname(file), name.slice(0, name.indexOf('.')));
  const log = readFileOrThrow(`${prefix}.log`);
  if (isIndex) return dumpOffsetIndex(file, bytes, base, log, indexOpts);
  const offsetIndex = fs.existsSync(`${prefix}.index`) ? readFileOrThrow(`${prefix}.index`) : Buffer.alloc(0);
  return dumpTimeIndex(file, bytes, base, log, offsetIndex, indexOpts);
}

/** Kafka's dumpTxnIndex: one line per aborted transaction; a torn or unknown entry is a problem naming its position. */
function dumpTxnIndex(file: string, bytes: Buffer): DumpOutput {
  try {
    const out = decodeTransactionIndex(bytes, file).map(
      (t) => `version: ${t.version} producerId: ${t.producerId} firstOffset: ${t.firstOffset} lastOffset: ${t.lastOffset} lastStableOffset: ${t.lastStableOffset}`,
    );
    return { out, err: [] };
  } catch (err) {
    if (!(err instanceof StrataError)) throw err;
    return { out: [], err: [], problem: err.message };
  }
}

/** Kafka takes the base offset from the name up to its first '.'; so does strata. */
function baseOffsetOf(file: string): number {
  const head = basename(file).split('.')[0]!;
  if (!/^\d+$/.test(head) || !Number.isSafeInteger(Number(head))) {
    throw new StrataError('INVALID_ARGUMENT', `${file}: the file name does not start with a base offset (like 00000000000000000000.log)`);
  }
  return Number(head);
}

/** Bound on a file dump reads whole: a segment is at most segment.bytes, an int (Kafka's limit). */
const DUMP_FILE_BYTES_MAX = 2 ** 31 - 1;

function readFileOrThrow(file: string): Buffer {
  try {
    return readRegularFileSync(file, DUMP_FILE_BYTES_MAX);
  } catch (err) {
    if (err instanceof StrataError && !(err instanceof FileTooLargeError)) throw err;
    throw new StrataError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
}
