/**
 * A power cut soon after a clean shutdown: the close trims the preallocated segment and writes
 * the clean-shutdown marker; the next open trusts the files and appends. Everything acknowledged
 * after that reopen must survive the next power cut.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logConfigFrom } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { loadNative } from '../../native/index.js';
import { CrashFs } from './crashfs.js';
import { crashFsFixture } from './fixture.js';

const fx = crashFsFixture('strata-clean-cut-');
const { skip, base } = fx;

const records = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`record-${from + i}`) }));

async function readValues(log: Log): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = await log.readBatches(offset, 1 << 20);
    for (const b of batches) for (const r of b.records) out.push(r.value!.toString());
    offset = batches.at(-1)!.header.baseOffset + batches.at(-1)!.header.lastOffsetDelta + 1;
  }
  return out;
}

const cases: { engine: string; config: Record<string, string>; flush: boolean }[] = [
  { engine: 'fsync-group', config: { preallocate: 'true' }, flush: false },
  { engine: 'pwrite', config: { preallocate: 'true', 'flush.messages': '1' }, flush: false },
  { engine: 'mmap', config: {}, flush: true },
];

describe.skipIf(skip)('a power cut after a clean shutdown', () => {
  for (const c of cases) {
    it.skipIf(c.engine === 'mmap' && !loadNative())(`${c.engine} ${JSON.stringify(c.config)}: keeps what was acknowledged after the reopen`, async () => {
      fx.mounted = await CrashFs.mount(join(base, `${c.engine}-b`), join(base, `${c.engine}-m`));
      const dir = join(fx.mounted.mountpoint, 'p-0');
      const engine = await loadEngine(c.engine);
      const config = logConfigFrom({ 'segment.bytes': String(1 << 20), ...c.config });
      let log = await Log.open(dir, config, { engine, logger: silentLogger });
      await log.appendRecords(records(10, 0));
      if (c.flush) await log.flush();
      await log.close(); // clean: trimmed, marker written
      fx.mounted.cut();
      fx.mounted = await fx.mounted.remount();
      log = await Log.open(dir, config, { engine, logger: silentLogger });
      expect(log.logEndOffset).toBe(10);
      await log.appendRecords(records(10, 10));
      if (c.flush) await log.flush();
      fx.mounted.cut();
      await log.close().catch(() => undefined); // everything fails after the cut; descriptors close
      fx.mounted = await fx.mounted.remount();
      log = await Log.open(dir, config, { engine, logger: silentLogger });
      try {
        expect(await readValues(log)).toEqual(records(20, 0).map((r) => r.value.toString()));
      } finally {
        await log.close();
      }
    });
  }
});
