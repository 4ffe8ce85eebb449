/**
 * Creating directories, and which entries of a data dir are partition directories. Node 20's fs.mkdirSync(path, { recursive: true }) spins forever under
 * /proc (seen here with /proc/nope), so the recursion is done here, one level at a time, and every
 * failure names the directory.
 */
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { StrataError } from './errors.js';

export function ensureDir(path: string): void {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    try {
      if (!fs.statSync(at).isDirectory()) throw new StrataError('STORAGE_ERROR', `${at} exists and is not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StrataError('STORAGE_ERROR', `cannot create directory ${dir}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

/**
 * A data dir entry that may hold a partition: a directory, or a symbolic link to one (followed, as
 * Kafka follows it). Files (`.lock`, the checkpoints, the marker) never are.
 */
export function isPartitionDirEntry(dataDir: string, entry: fs.Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return fs.statSync(join(dataDir, entry.name)).isDirectory();
  } catch {
    return false; // a dangling link holds no log
  }
}
