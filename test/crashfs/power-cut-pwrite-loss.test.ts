/**
 * The power-cut test can fail: plain pwrite (no flush.messages, no flush) acknowledges an append
 * once the kernel has its bytes, so a power cut loses acknowledged appends, which a SIGKILL never
 * shows (the page cache survives the process). The log must still be valid after recovery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashFsSkipReason } from './crashfs.js';
import { runPowerCuts } from './power-cut.js';
import { preparePowerCuts, summary } from './power-cut-suite.js';

/** Cycles allowed to show the loss; the first one nearly always does. */
const CUTS_MAX = 20;

describe.skipIf(crashFsSkipReason())('power cuts on crashfs: plain pwrite loses acknowledged appends', () => {
  let prepared: Awaited<ReturnType<typeof preparePowerCuts>>;
  beforeAll(async () => {
    prepared = await preparePowerCuts();
  });
  afterAll(() => prepared?.cleanup());

  it('acknowledged but unflushed appends are gone after a power cut; the recovered log is valid', async () => {
    const r = await runPowerCuts({ engine: 'pwrite', ack: 'append', cuts: CUTS_MAX, stopAtLoss: true, writer: prepared.writer, baseDir: prepared.baseDir });
    console.log(summary('pwrite', 'no flush', r));
    expect(r.acknowledged).toBeGreaterThan(0);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.losses[0]).toMatch(/acknowledged offset \d+ \(id \d+\) (is missing|reads back different bytes)/);
  }, 300_000);
});
