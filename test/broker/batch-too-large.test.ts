/**
 * Kafka's rules on a real `strata serve` (spawned, as users run it): a produce larger than the
 * topic's segment.bytes is refused with RECORD_LIST_TOO_LARGE (18), as Kafka's UnifiedLog refuses
 * it (RecordBatchTooLargeException), seen by kcat and on the raw wire, and nothing of it is
 * written; a topic config below Kafka's minimum segment.bytes (1 MiB) is INVALID_CONFIG (40) from
 * CreateTopics and AlterConfigs, with Kafka's words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { buildBatch } from '../../core/format/records.js';
import { run } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const SEGMENT_BYTES = 4096;
let child: ChildProcess;
let port: number;
let root: string;
let stderr = '';

beforeAll(async () => {
  root = fs.mkdtempSync(join(os.tmpdir(), 'strata-too-large-'));
  const args = ['--import', 'tsx', 'cli/main.ts', 'serve', '--data-dir', join(root, 'data'), '--listen', '127.0.0.1:0', '--auto-create-topics', '--config', `segment.bytes=${SEGMENT_BYTES}`];
  child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) {
      port = Number(m[1]);
      return;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata serve did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  fs.rmSync(root, { recursive: true, force: true });
});

/** Produce v8 of one batch to partition 0: [error code, base offset, error message]. */
async function produce(topic: string, batch: Buffer): Promise<[number, bigint | number, string | null]> {
  const client = await RawKafkaClient.connect(port);
  try {
    const r = await client.request(ApiKey.Produce, 8, (w) => {
      w.nullableString(null).int16(-1).int32(10_000).arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
    });
    expect(r.int32()).toBe(1);
    expect(r.string()).toBe(topic);
    expect(r.int32()).toBe(1);
    expect(r.int32()).toBe(0);
    const errorCode = r.int16();
    const baseOffset = r.int64();
    r.int64(); // log append time
    r.int64(); // log start offset
    expect(r.int32()).toBe(0); // record errors
    return [errorCode, baseOffset, r.nullableString()];
  } finally {
    client.close();
  }
}

describe('a produce larger than segment.bytes', () => {
  it('is refused to kcat with RECORD_LIST_TOO_LARGE, and the records after it are kept', async () => {
    const big = 'x'.repeat(SEGMENT_BYTES + 1000);
    const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'kcat-big', '-X', 'acks=all', '-X', 'message.send.max.retries=0'], `${big}\n`);
    // librdkafka's words for error 18
    expect(p.stderr.toString()).toMatch(/Message batch larger than configured server segment size/);
    const small = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'kcat-big'], 'small\n');
    expect(small.code).toBe(0);
    const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, '-t', 'kcat-big', '-o', 'beginning', '-e', '-q', '-f', '%o:%s\n']);
    expect(c.stdout.toString()).toBe('0:small\n');
  });

  it('is error 18 on the wire, with a message naming the partition and both sizes; nothing is written', async () => {
    // a topic made with the broker's segment.bytes (Produce itself does not create topics)
    expect(await createTopic('raw-big')).toEqual([0, null]);
    const [code, , message] = await produce('raw-big', buildBatch([{ value: Buffer.alloc(SEGMENT_BYTES, 1) }]));
    expect(code).toBe(18);
    expect(message).toContain('raw-big-0');
    expect(message).toContain(`segment.bytes (${SEGMENT_BYTES})`);
    const [okCode, offset] = await produce('raw-big', buildBatch([{ value: Buffer.from('fits') }]));
    expect(okCode).toBe(0);
    expect(Number(offset)).toBe(0);
  });
});

/** CreateTopics v1 of one topic, with a segment.bytes override when given: [error code, error message]. */
async function createTopic(name: string, segmentBytes?: string): Promise<[number, string | null]> {
  const client = await RawKafkaClient.connect(port);
  try {
    const r = await client.request(ApiKey.CreateTopics, 1, (w) => {
      w.arrayLength(1).string(name).int32(1).int16(1).arrayLength(0);
      if (segmentBytes === undefined) w.arrayLength(0);
      else w.arrayLength(1).string('segment.bytes').nullableString(segmentBytes);
      w.int32(10_000).bool(false);
    });
    r.int32();
    expect(r.string()).toBe(name);
    return [r.int16(), r.nullableString()];
  } finally {
    client.close();
  }
}

describe("Kafka's minimum segment.bytes over the wire", () => {
  it('is INVALID_CONFIG from CreateTopics below 1 MiB, in Kafka\'s words; 1 MiB itself is taken', async () => {
    expect(await createTopic('tiny-segments', '1048575')).toEqual([40, 'Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576']);
    expect(await createTopic('mib-segments', '1048576')).toEqual([0, null]);
    expect(fs.existsSync(join(root, 'data', 'tiny-segments-0'))).toBe(false);
    expect(fs.existsSync(join(root, 'data', 'mib-segments-0'))).toBe(true);
  });

  it('is INVALID_CONFIG from AlterConfigs (kafkajs) below 1 MiB', async () => {
    await createTopic('altered-segments', '2000000');
    const kafka = new Kafka({ clientId: 'strata-too-large-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const altered = await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered-segments', configEntries: [{ name: 'segment.bytes', value: '4096' }] }] }).catch((e: unknown) => e);
      expect(altered).toMatchObject({ type: 'INVALID_CONFIG' });
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'altered-segments', configNames: ['segment.bytes'] }] });
      expect(resources[0]!.configEntries[0]!.configValue).toBe('2000000');
    } finally {
      await admin.disconnect();
    }
  });
});
