/**
 * mitata micro-benchmarks of the format hot paths: RecordBatch v2 encode and decode (16 KiB batches
 * of 100-byte records), batch validation (CRC-32C) and sparse index lookups.
 * Usage: npx tsx harness/micro/format.bench.ts   (npm run bench:micro)
 */
import { bench, do_not_optimize, group, run, summary } from 'mitata';
import { OffsetIndex } from '../../core/index/offset-index.js';
import { TimeIndex } from '../../core/index/time-index.js';
import { validateBatch } from '../../core/format/record-batch.js';
import { buildBatch, decodeBatchSync } from '../../core/format/records.js';

const value = Buffer.alloc(100, 'v');
const records = Array.from({ length: 130 }, (_, i) => ({ key: Buffer.from(`k${i}`), value }));
const batch = buildBatch(records, { timestamp: 1_700_000_000_000 });

group(`RecordBatch v2, ${records.length} x 100 B records (${batch.length} B)`, () => {
  summary(() => {
    bench('encode (buildBatch)', () => do_not_optimize(buildBatch(records, { timestamp: 1_700_000_000_000 })));
    bench('validate (size, magic, CRC-32C)', () => do_not_optimize(validateBatch(batch, 0)));
    bench('decode (validate + records)', () => do_not_optimize(decodeBatchSync(batch)));
  });
});

// a full 1 GiB segment's worth of entries at index.interval.bytes 4096: 262,144 entries
const entries = 262_144;
const offsetIndex = new OffsetIndex('/dev/null', 0, entries * 8);
const timeIndex = new TimeIndex('/dev/null', 0, entries * 12);
for (let i = 1; i <= entries; i++) {
  offsetIndex.append(i * 32, i * 4096);
  timeIndex.maybeAppend(1_700_000_000_000 + i, i * 32);
}
let probe = 0;
group(`index lookups over ${entries.toLocaleString('en-US')} entries`, () => {
  bench('OffsetIndex.lookup', () => do_not_optimize(offsetIndex.lookup((probe = (probe * 1103515245 + 12345) % 8_388_608))));
  bench('TimeIndex.lookup', () => do_not_optimize(timeIndex.lookup(1_700_000_000_000 + ((probe = (probe * 1103515245 + 12345) % 262_144)))));
});

await run();
