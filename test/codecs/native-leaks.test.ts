/**
 * Decoding must not leak native memory. snappy 7.4.3's async `uncompress` and lz4-napi 2.10.0's frame
 * decoder keep every output buffer (RSS grew by the full output per call and stayed after gc: issue
 * 13's "raw-snappy produces leak ~18 MB each"); the codecs use only calls that free theirs. Each
 * codec runs in its own child process so one leak cannot hide behind another's heap; the bound is
 * generous (a quarter of what was decoded) so allocator noise never trips it, while a leak of the
 * output (100%) always does.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BYTES = 4 * 1024 * 1024;
/**
 * Enough decodes that a leak (every output kept) stands far above what the allocator keeps of freed
 * memory: on Node 24 that retention varied from 4 to 110 MiB between runs of 60 decodes of 4 MiB,
 * whatever the count, while a leak grows with every decode.
 */
const COUNT = 240;

describe('decoding leaks no native memory', () => {
  for (const codec of ['snappy', 'lz4', 'zstd', 'gzip']) {
    it(`${codec}: ${COUNT} decodes of ${BYTES} bytes`, () => {
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/codecs/leak-child.ts', codec, String(BYTES), String(COUNT)], { encoding: 'utf8', timeout: 120_000 });
      const r = JSON.parse(out) as { rssBeforeBytes: number; rssAfterBytes: number };
      const grownBytes = r.rssAfterBytes - r.rssBeforeBytes;
      process.stdout.write(`${codec}: RSS ${(r.rssBeforeBytes / 2 ** 20).toFixed(0)} -> ${(r.rssAfterBytes / 2 ** 20).toFixed(0)} MiB after ${COUNT} x ${BYTES / 2 ** 20} MiB decoded\n`);
      expect(grownBytes).toBeLessThan((BYTES * COUNT) / 4);
    }, 130_000);
  }
});
