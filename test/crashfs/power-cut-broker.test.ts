/**
 * `strata serve` on crashfs: acks=-1 survives power cuts with a durable engine and with pwrite
 * under flush.messages=1; acks=-1 on plain pwrite does not (as in Kafka, acks=all waits for no
 * flush on a single node), which shows the test can fail.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCrashFs, crashFsSkipReason } from './crashfs.js';
import { bundle } from './power-cut.js';
import { runBrokerPowerCuts, type BrokerCutResult } from './broker-power-cut.js';

/** Power cuts per case (a cycle restarts the server, 1-3 s here): 20 unless STRATA_BROKER_POWER_CUTS says otherwise. */
const CUTS = Number(process.env.STRATA_BROKER_POWER_CUTS ?? 20);
const skip = crashFsSkipReason() ?? (spawnSync('kcat', ['-V']).status !== 0 ? 'kcat missing' : undefined);
let cli: string;
let outdir: string;
const bases: string[] = [];

beforeAll(async () => {
  if (skip) return;
  buildCrashFs();
  outdir = await bundle('cli/main.ts', 'power-cut-cli');
  cli = join(outdir, 'main.js');
});
afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  for (const b of bases) fs.rmSync(b, { recursive: true, force: true });
});

function baseDir(): string {
  const b = fs.mkdtempSync(join(tmpdir(), 'strata-broker-cut-'));
  bases.push(b);
  return b;
}

function summary(label: string, r: BrokerCutResult): string {
  return `broker power cuts, ${label}: ${r.cuts} cuts, ${r.acknowledged} records acknowledged, ${r.lost} lost, ${(r.elapsedMs / 1000).toFixed(1)} s; ms per phase ${JSON.stringify(r.phasesMs)}`;
}

describe.skipIf(skip)('strata serve on crashfs: power cuts', () => {
  for (const [engine, config] of [['fsync-group', []], ['pwrite', ['flush.messages=1']]] as const) {
    const label = `${engine}${config.length ? ` ${config.join(' ')}` : ''}`;
    it(`acks=-1 with ${label}: every acknowledged record is there after ${CUTS} power cuts and restarts`, async () => {
      const r = await runBrokerPowerCuts({ engine, acks: -1, cuts: CUTS, cli, baseDir: baseDir(), config });
      console.log(summary(`${label} acks=-1`, r));
      expect(r.losses).toEqual([]);
      expect(r.cuts).toBe(CUTS);
      expect(r.acknowledged).toBeGreaterThan(CUTS);
    }, 900_000);
  }

  it('acks=-1 with plain pwrite loses acknowledged records to a power cut (no flush before the answer, as in Kafka)', async () => {
    const r = await runBrokerPowerCuts({ engine: 'pwrite', acks: -1, cuts: 10, cli, baseDir: baseDir(), stopAtLoss: true });
    console.log(summary('pwrite acks=-1', r));
    expect(r.acknowledged).toBeGreaterThan(0);
    expect(r.lost).toBeGreaterThan(0);
  }, 300_000);
});
