/**
 * franz-go v1.22.3 (Go; its own protocol and codec code, not librdkafka or kafkajs) against
 * `strata serve`: with every codec, its default producer (idempotent, acks=all) writes 2000
 * records, and a member of a group (classic protocol) reads them back in order and commits.
 * The batches on disk carry the codec and franz-go's producer id. Needs Go (go.mod in this
 * directory; `.ci/run` downloads the modules). Run alone with
 *   npx vitest run test/peers/franz-go/franz-go.test.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionType, compressionOf } from '../../../core/format/record-batch.js';
import { OFFSETS_FILE } from '../../../broker/offset-store.js';
import { run, startTestBroker, tempDir, type TestBroker } from '../../broker/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const COUNT = 2000;
const CODECS: Record<string, CompressionType> = { none: CompressionType.none, gzip: CompressionType.gzip, snappy: CompressionType.snappy, lz4: CompressionType.lz4, zstd: CompressionType.zstd };

let broker: TestBroker;
let binary: string;

beforeAll(async () => {
  binary = join(tempDir('franz-go'), 'franz-go-peer');
  // the first build on a fresh machine compiles franz-go and the codecs: minutes on 2 cores
  const built = spawnSync('go', ['build', '-o', binary, '.'], { cwd: here, encoding: 'utf8', timeout: 600_000 });
  if (built.error || built.status !== 0) {
    throw new Error(`cannot build the franz-go peer in ${here} (needs Go and the modules of go.mod; .ci/run runs go mod download): ${built.error?.message ?? built.stderr}`);
  }
  broker = await startTestBroker();
}, 660_000);
afterAll(async () => {
  await broker?.close();
});

describe('franz-go', () => {
  for (const [codec, type] of Object.entries(CODECS)) {
    it(`produces with ${codec} (idempotent, acks=all) and a group member reads every record in order`, async () => {
      const topic = `franz-${codec}`;
      const group = `franz-group-${codec}`;
      const r = await run(binary, [broker.bootstrap, topic, String(COUNT), codec, group], undefined, 120_000);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.toString())).toEqual({ codec, produced: COUNT, consumed: COUNT, distinct: COUNT, inOrder: true });

      const log = (await broker.server.topics.log(topic, 0))!;
      const batches = await log.readBatches(0, 64 << 20);
      expect(batches.reduce((n, b) => n + b.records.length, 0)).toBe(COUNT);
      for (const b of batches) {
        expect(compressionOf(b.header.attributes)).toBe(type);
        expect(b.header.producerId).toBeGreaterThanOrEqual(0);
      }
      const committed = JSON.parse(fs.readFileSync(join(broker.dataDir, OFFSETS_FILE), 'utf8')) as Record<string, Record<string, Record<string, { offset: number }>>>;
      expect(committed[group]![topic]!['0']!.offset).toBe(COUNT);
    });
  }
});
