/**
 * The suite's gates work both ways: real engines whose `supports` manifest lies (claims a feature
 * it lacks, or hides one it has) fail the feature's module. The suite runs here through injected
 * test functions that collect its tests (no describe: names are prefixed), which are then run by
 * hand and must throw.
 */
import { describe, expect, test } from 'vitest';
import type { EngineSupports, StorageEngine } from '../../core/engine.js';
import { directEngine } from '../../engines/direct/direct.js';
import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { mmapEngine } from '../../engines/mmap.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { loadNative } from '../../native/index.js';
import { runConformance, type ConformanceTestApi } from './suite.js';

interface Collected {
  name: string;
  fn: () => Promise<void>;
}

async function collect(engine: StorageEngine, module: string, engineModule?: string): Promise<Collected[]> {
  const tests: Collected[] = [];
  const api: ConformanceTestApi = { test: (name, fn) => void tests.push({ name, fn }) };
  await runConformance({ engine, engineModule, modules: [module], test: api });
  return tests;
}

const claiming = (engine: StorageEngine, supports: Partial<EngineSupports>, name = `${engine.name}-lying`): StorageEngine => ({
  ...engine,
  name,
  supports: { ...engine.supports, ...supports },
});

/** pwrite that ignores preallocateBytes. */
const pwriteWithoutReservation: StorageEngine = { ...pwriteEngine, name: 'pwrite-no-reservation', open: (path, options) => pwriteEngine.open(path, { ...options, preallocateBytes: 0 }) };

const lies: [string, StorageEngine, string, RegExp, string?][] = [
  ['fsync-per-write claiming groupCommit', claiming(fsyncPerWriteEngine, { groupCommit: true }), 'group-commit', /no sync was shared/],
  ['fsync-group hiding groupCommit', claiming(fsyncGroupEngine, { groupCommit: false }), 'group-commit', /shares syncs but does not claim groupCommit/],
  ['pwrite claiming durableAppend', claiming(pwriteEngine, { durableAppend: true }), 'durable-append', /resolved with no sync/],
  ['fsync-per-write hiding durableAppend', claiming(fsyncPerWriteEngine, { durableAppend: false }), 'durable-append', /syncs on append but does not claim durableAppend/],
  ['pwrite hiding preallocate', claiming(pwriteEngine, { preallocate: false }), 'preallocate', /reserved 65536 bytes but does not claim preallocate/],
  ['pwrite claiming preallocate it ignores', pwriteWithoutReservation, 'preallocate', /claims preallocate but did not reserve/],
  ['pwrite claiming groupCommit without durableAppend', claiming(pwriteEngine, { groupCommit: true }), 'manifest', /claims groupCommit without durableAppend/],
  ['pwrite claiming native', claiming(pwriteEngine, { native: true }), 'native', /claims native but worked without the addon/, 'pwrite'],
  ...(loadNative() ? [['mmap hiding native', claiming(mmapEngine, { native: false }), 'native', /does not claim native but failed without the addon/, 'mmap'] as [string, StorageEngine, string, RegExp, string]] : []),
  ['pwrite claiming directIo', claiming(pwriteEngine, { directIo: true }), 'segment-file', /claims directIo but its descriptor \d+ is not O_DIRECT/],
  ...(loadNative() ? [['direct hiding directIo', claiming(directEngine, { directIo: false }), 'segment-file', /is O_DIRECT but it does not claim directIo/] as [string, StorageEngine, string, RegExp]] : []),
];

describe('a manifest that lies fails its module', () => {
  for (const [what, engine, module, failure, engineModule] of lies) {
    test(what, async () => {
      const tests = await collect(engine, module, engineModule);
      expect(tests.length).toBeGreaterThan(0);
      const results = await Promise.allSettled(tests.map((t) => t.fn()));
      const messages = results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : 'passed'));
      expect(messages.some((m) => failure.test(m)), `${tests.map((t) => t.name).join('; ')} -> ${messages.join('; ')}`).toBe(true);
    });
  }
});

test('without describe, each test name carries the engine and the module', async () => {
  const tests = await collect(pwriteEngine, 'round-trip');
  expect(tests.map((t) => t.name)).toEqual(['engine conformance: pwrite: round-trip: round-trips keys, values, headers and timestamps with consecutive offsets']);
  await tests[0]!.fn(); // and an honest engine passes it
});

test('an unknown module name is refused, naming the known ones', async () => {
  await expect(runConformance({ engine: pwriteEngine, modules: ['round-trp'], test: { test: () => {} } })).rejects.toThrow(/unknown module\(s\) round-trp \(known: manifest, segment-file/);
});
