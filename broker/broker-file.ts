/**
 * The broker's own JSON files in the data dir (topics, producer id blocks, committed offsets) are
 * read as every file there is: a regular file only, never through a symbolic link, and no larger
 * than BROKER_FILE_BYTES_MAX (a link to /dev/zero or a huge stray file must not take the process's
 * memory). A missing file is `undefined`: the broker starts without it.
 */
import { StrataError } from '../core/errors.js';
import { entryKind, readRegularFileSync } from '../core/regular-file.js';

/** Far above what 100k topics or groups write, far below what would hurt a broker's memory. */
export const BROKER_FILE_BYTES_MAX = 256 * 1024 * 1024;

export function readBrokerJsonFile(file: string): unknown {
  if (entryKind(file) === 'missing') return undefined;
  // NotRegularFileError / FileTooLargeError name the file and go up as they are
  const text = readRegularFileSync(file, BROKER_FILE_BYTES_MAX).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StrataError('STORAGE_ERROR', `${file} is not valid JSON: ${(err as Error).message}`);
  }
}
