/**
 * kcat (librdkafka 2.0.2) against an in-process broker on an ephemeral loopback port: produce and
 * consume every codec, values byte-identical, segment files still valid Kafka batches afterwards
 * and carrying the codec the producer chose.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCodecs } from '../../codecs/index.js';
import { builtinTransfers } from '../../engines/transfer/index.js';
import { loadNative } from '../../native/index.js';
import { compressionOf, readBatchHeader, CompressionType } from '../../core/format/record-batch.js';
import { run, startTestBroker, validateSegments, type TestBroker } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const registered = new Set(builtinCodecs.map((c) => c.name));

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.close();
});

function values(n: number, tag: string): string[] {
  // compressible (so librdkafka keeps the compressed form) and of varied length
  return Array.from({ length: n }, (_, i) => `${tag}-${i}-` + 'lorem ipsum dolor sit amet '.repeat(i % 40) + '\u00e9\u4e2d');
}

function codecsOnDisk(dir: string): Set<string> {
  const out = new Set<string>();
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const buf = fs.readFileSync(join(dir, name));
    let p = 0;
    while (p < buf.length) {
      const h = readBatchHeader(buf, p);
      out.add(CompressionType[compressionOf(h.attributes)]!);
      p += 12 + h.batchLength;
    }
  }
  return out;
}

const CASES: { codec: string; acks: string }[] = [
  { codec: 'none', acks: '-1' },
  { codec: 'gzip', acks: '1' },
  { codec: 'snappy', acks: '-1' },
  { codec: 'lz4', acks: '1' },
  { codec: 'zstd', acks: '-1' },
];

describe('kcat round trip', () => {
  for (const { codec, acks } of CASES) {
    it.skipIf(!registered.has(codec as never))(`produces and consumes ${codec} with acks=${acks}, byte-identical`, async () => {
      const topic = `kcat-${codec}`;
      const sent = values(3000, codec);
      const p = await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-z', codec, '-X', `acks=${acks}`, '-X', 'linger.ms=20'], sent.join('\n') + '\n');
      expect(p.stderr).not.toMatch(/error|fail/i);
      expect(p.code).toBe(0);
      const c = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q']);
      expect(c.code).toBe(0);
      const got = c.stdout.toString('utf8').split('\n');
      expect(got.pop()).toBe('');
      expect(got.length).toBe(sent.length);
      expect(got).toEqual(sent);
      const dir = join(broker.dataDir, `${topic}-0`);
      const check = validateSegments(dir);
      expect(check.batches).toBeGreaterThan(0);
      expect(codecsOnDisk(dir)).toContain(codec);
    });
  }

  it('keeps keys and empty values, and lists the topic in metadata', async () => {
    const topic = 'kcat-keys';
    const lines = ['k1:v1', 'k2:', 'k3:v3'];
    const p = await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':'], lines.join('\n') + '\n');
    expect(p.code).toBe(0);
    const c = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s|%o\n']);
    expect(c.stdout.toString()).toBe('k1=v1|0\nk2=|1\nk3=v3|2\n');
    const l = await run(KCAT, ['-L', '-b', broker.bootstrap, '-t', topic]);
    expect(l.stdout.toString()).toContain(`topic "${topic}" with 1 partitions`);
    expect(l.stdout.toString()).toContain(`broker 0 at ${broker.bootstrap}`);
  });

  it('consumes from an offset in the middle and from the end', async () => {
    const topic = 'kcat-offsets';
    const sent = values(100, 'mid');
    await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic], sent.join('\n') + '\n');
    const c = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', '37', '-e', '-q']);
    expect(c.stdout.toString().split('\n').slice(0, -1)).toEqual(sent.slice(37));
    const tail = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', '-5', '-e', '-q']);
    expect(tail.stdout.toString().split('\n').slice(0, -1)).toEqual(sent.slice(95));
  });
});

describe('every transfer serves fetches byte-identical', () => {
  for (const transfer of Object.keys(builtinTransfers)) {
    const unavailable = transfer === 'sendfile' && !loadNative();
    it.skipIf(unavailable)(`${transfer}: many segments, consumed whole and from the middle`, async () => {
      const b = await startTestBroker({ transfer, config: { 'segment.bytes': '65536' } });
      try {
        const topic = `transfer-${transfer}`;
        const sent = values(4000, transfer);
        // 50 records of at most ~1.1 kB a batch stay under segment.bytes: a larger batch is refused, as by Kafka
        const p = await run(KCAT, ['-P', '-b', b.bootstrap, '-t', topic, '-X', 'batch.num.messages=50'], sent.join('\n') + '\n');
        expect(p.code).toBe(0);
        const dir = join(b.dataDir, `${topic}-0`);
        expect(validateSegments(dir).segments).toBeGreaterThan(5);
        const all = await run(KCAT, ['-C', '-b', b.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'fetch.message.max.bytes=100000']);
        expect(all.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
        const mid = await run(KCAT, ['-C', '-b', b.bootstrap, '-t', topic, '-o', '2345', '-e', '-q']);
        expect(mid.stdout.toString().split('\n').slice(0, -1)).toEqual(sent.slice(2345));
        expect(b.lines.join('\n')).toContain(`transfer ${transfer}`);
      } finally {
        await b.close();
      }
    }, 60_000);
  }
});
