/**
 * One engine's power-cut test file: `describePowerCuts('fsync-group', { ack: 'flush' })`. Builds
 * crashfs and bundles the writer once per file, runs POWER_CUTS cycles (runPowerCuts) and expects
 * every acknowledged append back; prints the counts and the time.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../engines/index.js';
import { loadNative } from '../../native/index.js';
import { buildCrashFs, crashFsSkipReason } from './crashfs.js';
import { bundle, POWER_CUTS, runPowerCuts, type PowerCutOptions, type PowerCutResult } from './power-cut.js';

export type PowerCutCase = Omit<PowerCutOptions, 'engine' | 'cuts' | 'writer' | 'baseDir'>;

/** Builds crashfs and the writer bundle; returns the writer script and a cleanup. */
export async function preparePowerCuts(): Promise<{ writer: string; baseDir: string; cleanup: () => void }> {
  buildCrashFs();
  const outdir = await bundle('test/crashfs/power-cut-writer.ts', 'power-cut-writer');
  const baseDir = fs.mkdtempSync(join(tmpdir(), 'strata-power-cut-'));
  return {
    writer: join(outdir, 'power-cut-writer.js'),
    baseDir,
    cleanup: () => {
      fs.rmSync(outdir, { recursive: true, force: true });
      fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

export function summary(engine: string, label: string, r: PowerCutResult): string {
  const t = r.totals;
  return (
    `power cuts, ${engine} (${label}): ${r.cuts} cuts, ${r.acknowledged} appends acknowledged durable, ${r.lost} lost, ` +
    `${(r.elapsedMs / 1000).toFixed(1)} s (${Math.round(r.elapsedMs / Math.max(1, r.cuts))} ms a cycle); crashfs saw ` +
    `${t.fsyncs ?? 0} fsyncs, ${t.fdatasyncs ?? 0} fdatasyncs, ${t.dsync_writes ?? 0} O_DSYNC writes, ${t.dirsyncs ?? 0} directory fsyncs, ` +
    `dropped ${t.dropped_bytes ?? 0} bytes, let ${t.torn_bytes ?? 0} torn bytes through, undid ${t.undone_ops ?? 0} name changes; ms per phase ${JSON.stringify(r.phasesMs)}`
  );
}

export function describePowerCuts(engine: string, c: PowerCutCase, label = c.config?.join(' ') ?? `ack after ${c.ack}`, cuts = POWER_CUTS): void {
  const needsAddon = (defaultRegistry().find('engine', engine)?.supports as { native?: boolean } | undefined)?.native === true;
  const skip = crashFsSkipReason() ?? (needsAddon && !loadNative() ? 'native addon not built' : undefined);
  describe.skipIf(skip)(`power cuts on crashfs: ${engine} (${label})`, () => {
    let prepared: Awaited<ReturnType<typeof preparePowerCuts>>;
    beforeAll(async () => {
      prepared = await preparePowerCuts();
    });
    afterAll(() => prepared?.cleanup());

    it(`loses no acknowledged append across ${cuts} power cuts; every log valid after recovery`, async () => {
      const r = await runPowerCuts({ engine, ...c, cuts, writer: prepared.writer, baseDir: prepared.baseDir });
      console.log(summary(engine, label, r));
      expect(r.losses).toEqual([]);
      expect(r.lost).toBe(0);
      expect(r.cuts).toBe(cuts);
      // the writer got going in (nearly) every cycle, and the syncs really went through crashfs
      expect(r.acknowledged).toBeGreaterThan(cuts);
      expect((r.totals.fsyncs ?? 0) + (r.totals.fdatasyncs ?? 0) + (r.totals.dsync_writes ?? 0)).toBeGreaterThan(cuts);
    }, 900_000);
  });
}
