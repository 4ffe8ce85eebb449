/**
 * The Node versions strata says it supports are the ones it checks and the ones the suite runs on:
 * package.json's engines.node is bin/node-version.js's range, the CLI runs on the machine's node
 * and on Node 24 (test/peers/node24), and says what to do on a version outside the range.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { node24 } from '../peers/node24/node24.js';
// @ts-expect-error: a plain .js module without types (it runs before anything is built)
import { ENGINES_NODE, supportedNode } from '../../bin/node-version.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

describe('supported Node versions', () => {
  test('engines.node is the range the CLI enforces', () => {
    expect(pkg.engines.node).toBe(ENGINES_NODE);
    for (const v of ['20.19.0', '20.20.2', '22.12.0', '22.22.1', '24.0.0', '24.21.0', '25.1.0']) expect(supportedNode(v), v).toBe(true);
    for (const v of ['18.20.4', '20.18.3', '21.7.3', '22.11.0', '23.11.1']) expect(supportedNode(v), v).toBe(false);
  });

  test('the machine node and Node 24 are both in the range and run the CLI', async () => {
    expect(supportedNode(process.versions.node)).toBe(true);
    const bin = node24();
    const { stdout: v } = await run(bin, ['--version']);
    expect(v.trim()).toMatch(/^v24\./);
    for (const node of [process.execPath, bin]) {
      const { stdout } = await run(node, [join(root, 'bin/strata.js'), '--version'], { timeout: 60_000 });
      expect(stdout.trim()).toBe(pkg.version);
    }
  });

  test('the native addon built on the machine node loads on Node 24 (Node-API)', async () => {
    const addon = join(root, 'native/build/Release/strata_native.node');
    const { stdout } = await run(node24(), ['-e', `process.stdout.write(String(Object.keys(require(${JSON.stringify(addon)})).length))`]);
    expect(Number(stdout)).toBeGreaterThan(0);
  });
});
