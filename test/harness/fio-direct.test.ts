/** The fio baseline of an O_DIRECT engine's cell does what the engine does: direct writes of whole blocks, reserved ahead. */
import { expect, test } from 'vitest';
import { directEngine } from '../../engines/direct/direct.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fioArgsFor, fioJobKey, fioJobsFor } from '../../harness/baselines/fio.js';

test('a directIo engine gets --direct=1 writes of whole 4 KiB blocks with fallocate; a page-cache engine does not', () => {
  const direct = fioJobsFor(directEngine, 10_000, 64 << 20, 5).write;
  expect(direct.blockBytes % 4096).toBe(0);
  expect(fioArgsFor(direct, '/d')).toEqual(expect.arrayContaining(['--direct=1', '--fdatasync=1', '--fallocate=native']));
  const buffered = fioJobsFor(fsyncGroupEngine, 10_000, 64 << 20, 5).write;
  expect(fioArgsFor(buffered, '/d')).not.toContain('--direct=1');
  expect(fioArgsFor(buffered, '/d')).toContain('--fallocate=none');
  expect(fioJobKey(direct)).not.toBe(fioJobKey({ ...direct, direct: false }));
});
