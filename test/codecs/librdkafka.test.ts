/**
 * Interop with librdkafka 2.0.2 (kcat), a C implementation with its own snappy, liblz4 and libzstd:
 *  - batches kcat produces with each codec, as they land in the segment files, decode with strata's
 *    codecs to exactly the values sent (librdkafka writes raw snappy, liblz4 frames, libzstd frames);
 *  - batches strata compresses (Log.appendRecords with each codec, written before the broker starts)
 *    are consumed by kcat byte-identical.
 * The broker (test/broker/helpers.ts) only moves the batches; the decoding checked here is strata's.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CodecRegistry } from '../../core/codec.js';
import { logConfigFrom } from '../../core/config/log-config.js';
import { RECORDS_OFFSET, compressionOf } from '../../core/format/record-batch.js';
import { decodeBatch, type DecodedBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { builtinCodecs } from '../../codecs/index.js';
import { isXerialFramed } from '../../codecs/snappy.js';
import { pwriteEngine } from '../../engines/pwrite.js';
import { run, startTestBroker, tempDir, type TestBroker } from '../broker/helpers.js';
import { COMPRESSED } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const codecs = new CodecRegistry(builtinCodecs);

function values(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${i}-` + '{"level":"INFO","msg":"request completed"} '.repeat(i % 30) + '\u00e9');
}

async function segmentBatches(dir: string): Promise<Array<{ batch: DecodedBatch; blob: Buffer }>> {
  const out: Array<{ batch: DecodedBatch; blob: Buffer }> = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = fs.readFileSync(join(dir, name));
    for (let p = 0; p + 12 <= buf.length; ) {
      const size = 12 + buf.readInt32BE(p + 8);
      if (size < 61 || p + size > buf.length) break; // preallocated or torn tail
      const batch = await decodeBatch(buf, p, { codecs });
      out.push({ batch, blob: buf.subarray(p + RECORDS_OFFSET, p + size) });
      p += size;
    }
  }
  return out;
}

let broker: TestBroker;
const strataWritten = new Map<string, string[]>();
beforeAll(async () => {
  const dataDir = tempDir('codecs-librdkafka');
  for (const name of COMPRESSED) {
    const topic = `strata-${name}`;
    const log = await Log.open(join(dataDir, `${topic}-0`), logConfigFrom({ 'retention.ms': '-1' }), { engine: pwriteEngine, codecs, logger: silentLogger });
    const sent = values(2000, topic);
    for (let i = 0; i < sent.length; i += 400) {
      await log.appendRecords(sent.slice(i, i + 400).map((v) => ({ value: Buffer.from(v) })), { codec: name });
    }
    await log.close();
    strataWritten.set(topic, sent);
  }
  broker = await startTestBroker({ dataDir });
}, 30_000);
afterAll(async () => {
  await broker?.close();
  if (broker) fs.rmSync(broker.dataDir, { recursive: true, force: true });
});

describe.each(COMPRESSED)('%s', (name) => {
  test('kcat-produced batches decode with strata codecs to the values sent', async () => {
    const topic = `kcat-${name}`;
    const sent = values(3000, topic);
    const p = await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-z', name, '-X', 'linger.ms=50', '-X', 'batch.num.messages=1000'], `${sent.join('\n')}\n`);
    expect(p.code).toBe(0);
    const batches = await segmentBatches(join(broker.dataDir, `${topic}-0`));
    const compressed = batches.filter((b) => compressionOf(b.batch.header.attributes) === codecs.byNameOrThrow(name).type);
    expect(compressed.length).toBeGreaterThan(0);
    expect(batches.flatMap((b) => b.batch.records.map((r) => r.value!.toString('utf8')))).toEqual(sent);
    for (const { blob } of compressed) {
      if (name === 'snappy') expect(isXerialFramed(blob)).toBe(false); // librdkafka writes raw snappy
      if (name === 'lz4') expect(blob.readUInt32LE(0)).toBe(0x184d2204);
      if (name === 'zstd') expect(blob.readUInt32LE(0)).toBe(0xfd2fb528);
    }
  }, 30_000);

  test('strata-compressed batches are consumed by kcat byte-identical', async () => {
    const topic = `strata-${name}`;
    const c = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q']);
    expect(c.code).toBe(0);
    expect(c.stdout.toString('utf8').split('\n').slice(0, -1)).toEqual(strataWritten.get(topic));
    const mid = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', '999', '-c', '3', '-e', '-q']);
    expect(mid.stdout.toString('utf8').split('\n').slice(0, -1)).toEqual(strataWritten.get(topic)!.slice(999, 1002));
  }, 30_000);
});
