/**
 * What the transfer and cache conformance suites share with the engine suite's runner: feature
 * modules registered under one title through injected test functions (vitest's by default), a
 * hang guard for operations that must settle, and temp dirs released after each test.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type ConformanceTestApi, vitestApi } from './context.js';

/** A test body gets a scope whose `cleanup` callbacks run when it ends, pass or fail. */
export interface PluginScope {
  dir(): string;
  cleanup(fn: () => unknown): void;
}

export interface PluginTest {
  name: string;
  body(scope: PluginScope): Promise<void>;
  timeoutMs?: number;
}

/** Module name -> its tests (an empty list: nothing to test for this plug-in, no group opened). */
export type PluginModules = readonly (readonly [string, readonly PluginTest[]])[];

export function selectModules<T>(all: Readonly<Record<string, T>>, names: readonly string[] | undefined, suite: string): [string, T][] {
  const picked = names ?? Object.keys(all);
  const unknown = picked.filter((n) => !(n in all));
  if (unknown.length > 0) throw new Error(`strata-log/conformance: unknown ${suite} module(s) ${unknown.join(', ')} (known: ${Object.keys(all).join(', ')})`);
  return picked.map((n) => [n, all[n]!]);
}

async function run(test: PluginTest): Promise<void> {
  const dirs: string[] = [];
  const cleanups: (() => unknown)[] = [];
  const scope: PluginScope = {
    dir: () => {
      const d = fs.mkdtempSync(join(os.tmpdir(), 'strata-plugin-conf-'));
      dirs.push(d);
      return d;
    },
    cleanup: (fn) => void cleanups.push(fn),
  };
  try {
    await test.body(scope);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => {});
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Registers every module's tests under `title`, grouped by module when the runner can. */
export async function registerPluginSuite(title: string, modules: PluginModules, api?: ConformanceTestApi): Promise<void> {
  const testApi = api ?? (await vitestApi());
  const register = (prefix: (module: string) => string) => {
    for (const [name, tests] of modules) {
      if (tests.length === 0) continue;
      const replay = () => {
        for (const t of tests) testApi.test(prefix(name) + t.name, () => run(t), t.timeoutMs);
      };
      if (testApi.describe) testApi.describe(name, replay);
      else replay();
    }
  };
  if (testApi.describe) testApi.describe(title, () => register(() => ''));
  else register((name) => `${title}: ${name}: `);
}

/** Generous: an operation not settled by then hangs. */
export const HANG_GUARD_MS = 20_000;

/** `promise`, or a rejection naming `what` when it has not settled within HANG_GUARD_MS. */
export async function withinGuard<T>(what: string, promise: Promise<T>, guardMs = HANG_GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${guardMs} ms (hung)`)), guardMs);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}
