/** Kafka's file names: segment files named by base offset, 20 digits zero-padded. */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const DELETED_SUFFIX = '.deleted';

export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string; txnIndex: string } {
  const prefix = join(dir, filenamePrefixFromOffset(baseOffset));
  return { log: prefix + LOG_SUFFIX, index: prefix + INDEX_SUFFIX, timeIndex: prefix + TIME_INDEX_SUFFIX, txnIndex: prefix + TXN_INDEX_SUFFIX };
}

/** The base offset of a `NNNN….log` file name, or undefined for anything else. */
export function parseSegmentLogName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
