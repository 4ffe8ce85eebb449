/**
 * The engine conformance suite (in the spirit of abstract-level's): every engine, built-in or
 * third-party, runs the same feature modules (test/conformance/modules/), some through the Log and
 * some on the engine's SegmentFile itself. Each `supports` flag is tested both ways: a feature the
 * engine claims must work, and one it does not claim must really be absent (or refused cleanly).
 * A new engine is one file plus one test file calling runConformance().
 *
 * The suite takes the test functions it needs, so it runs under any test runner whose
 * `test(name, fn, timeoutMs?)` awaits a promise; it asserts with node:assert. Without `test`, it
 * uses vitest's, which must then be installed (an optional peer dependency of strata):
 *
 *   // vitest (default)
 *   import { runConformance } from 'strata-log/conformance';
 *   await runConformance({ engine: myEngine, engineModule: '/abs/path/to/my-engine.js' });
 *
 *   // any other runner, e.g. node:test (its test takes options before the function)
 *   import { describe, test } from 'node:test';
 *   await runConformance({ engine: myEngine, engineModule: '/abs/path/to/my-engine.js',
 *     test: { describe, test: (name, fn, timeoutMs) => test(name, { timeout: timeoutMs }, fn) } });
 *
 * runConformance is async (it may have to import vitest): await it at the top level of the test
 * file, so every test is registered while the runner collects the file. `engineModule` (a path or
 * package name loadEngine understands) lets the crash and native tests load the engine in a child
 * process; without it those two are skipped with a message on stderr.
 */
import { type ConformanceOptions, type ConformanceTestApi, suiteFor, type Suite, vitestApi } from './context.js';
import { badInput } from './modules/bad-input.js';
import { closeInFlight } from './modules/close-in-flight.js';
import { crash } from './modules/crash.js';
import { durableAppend } from './modules/durable-append.js';
import { groupCommit } from './modules/group-commit.js';
import { indexEntries } from './modules/index-entries.js';
import { manifest } from './modules/manifest.js';
import { native } from './modules/native.js';
import { offsets } from './modules/offsets.js';
import { ordering } from './modules/ordering.js';
import { preallocate } from './modules/preallocate.js';
import { recovery } from './modules/recovery.js';
import { restart } from './modules/restart.js';
import { retention } from './modules/retention.js';
import { roll } from './modules/roll.js';
import { roundTrip } from './modules/round-trip.js';
import { segmentFile } from './modules/segment-file.js';
import { timeLookup } from './modules/time-lookup.js';

export type { ConformanceOptions, ConformanceTestApi } from './context.js';

/** The feature modules by name, in the order they run (`modules` in the options picks some). */
export const MODULES: Readonly<Record<string, (suite: Suite) => void>> = {
  manifest,
  'segment-file': segmentFile,
  'durable-append': durableAppend,
  'group-commit': groupCommit,
  preallocate,
  native,
  'round-trip': roundTrip,
  offsets,
  roll,
  'index-entries': indexEntries,
  'time-lookup': timeLookup,
  retention,
  'bad-input': badInput,
  restart,
  recovery,
  ordering,
  'close-in-flight': closeInFlight,
  crash,
};

function selectedModules(options: ConformanceOptions): [string, (suite: Suite) => void][] {
  const names = options.modules ?? Object.keys(MODULES);
  const unknown = names.filter((n) => !(n in MODULES));
  if (unknown.length > 0) throw new Error(`strata-log/conformance: unknown module(s) ${unknown.join(', ')} (known: ${Object.keys(MODULES).join(', ')})`);
  return names.map((n) => [n, MODULES[n]!]);
}

/**
 * Registers the suite's tests for `options.engine` with the given (or vitest's) test functions. A
 * module that has nothing to test for this engine (group commit on a page-cache engine) registers
 * no group, since runners refuse empty ones.
 */
export async function runConformance(options: ConformanceOptions): Promise<void> {
  const modules = selectedModules(options);
  const api = options.test ?? (await vitestApi());
  const title = `engine conformance: ${options.engine.name}`;
  const register = (prefix: (module: string) => string) => {
    for (const [name, module] of modules) {
      // collect the module's tests first, so an empty module opens no group
      const tests: Parameters<ConformanceTestApi['test']>[] = [];
      module(suiteFor({ test: (...args) => void tests.push(args) }, options, prefix(name)));
      if (tests.length === 0) continue;
      const replay = () => {
        for (const args of tests) api.test(...args);
      };
      if (api.describe) api.describe(name, replay);
      else replay();
    }
  };
  if (api.describe) api.describe(title, () => register(() => ''));
  else register((name) => `${title}: ${name}`);
}
