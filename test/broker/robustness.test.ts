/**
 * Bad input at the frame level: malformed and truncated frames, unknown API keys and versions,
 * oversized requests, corrupt batches, bad acks, connection limits. Each gets a clear error (a
 * Kafka error code where the protocol has a place for one, else a closed connection and a log
 * line naming the problem); the broker keeps serving other connections and loses nothing it had
 * acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatch } from '../../core/format/records.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { KafkaWriter } from '../../broker/protocol/writer.js';
import { writeRequestHeader } from '../../broker/protocol/headers.js';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let bystander: RawKafkaClient;
const TOPIC = 'robust';

function frame(apiKey: number, apiVersion: number, body: (w: KafkaWriter) => void = () => {}): Buffer {
  const w = new KafkaWriter();
  w.int32(0);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId: 77, clientId: 'bad-client' });
  body(w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

async function produce(c: RawKafkaClient, batch: Buffer | null, acks = 1, topic = TOPIC): Promise<{ errorCode: number; baseOffset: number; message: string | null }> {
  const r = await c.request(ApiKey.Produce, 8, (w) => {
    w.nullableString(null).int16(acks).int32(5000);
    w.arrayLength(1).string(topic).arrayLength(1).int32(0).nullableBytes(batch);
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  const errorCode = r.int16();
  const baseOffset = r.int64();
  r.int64();
  r.int64();
  r.array(() => 0);
  return { errorCode, baseOffset, message: r.nullableString() };
}

async function logEndOffset(c: RawKafkaClient): Promise<number> {
  const r = await c.request(ApiKey.ListOffsets, 1, (w) => {
    w.int32(-1).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).int64(-1);
  });
  r.int32();
  r.string();
  r.int32();
  r.int32();
  expect(r.int16()).toBe(0);
  r.int64();
  return r.int64();
}

/** Sends bytes on a fresh connection and resolves when the broker closed it. */
async function expectClosedAfter(bytes: Buffer, logPattern: RegExp): Promise<void> {
  const c = await RawKafkaClient.connect(broker.port);
  c.writeRaw(bytes);
  await c.closed;
  await waitFor(() => broker.lines.some((l) => logPattern.test(l)), `a log line matching ${logPattern}`);
  // the rest of the broker is unaffected
  expect(await logEndOffset(bystander)).toBe(3);
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log: ${broker.lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  broker = await startTestBroker({
    config: { 'socket.request.max.bytes': '65536', 'message.max.bytes': '2048', 'max.connections': '20', 'connections.max.idle.ms': '60000' },
  });
  bystander = await RawKafkaClient.connect(broker.port);
  await broker.server.topics.create(TOPIC, 1);
  const ok = await produce(bystander, buildBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }]), -1);
  expect(ok.errorCode).toBe(0);
});
afterAll(async () => {
  await bystander.close();
  await broker.close();
});

describe('malformed frames close only their connection', () => {
  it('a negative size', async () => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(-5, 0);
    await expectClosedAfter(b, /request size -5 is smaller than a request header/);
  });

  it('a size over socket.request.max.bytes, before the body is even sent', async () => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(10_000_000, 0);
    await expectClosedAfter(b, /request of 10000000 bytes exceeds socket.request.max.bytes \(65536\)/);
  });

  it('a field that runs past the end of its frame', async () => {
    // Metadata v1 whose topic array claims one topic with a 300-byte name in a 2-byte body
    const f = frame(ApiKey.Metadata, 1, (w) => w.int32(1).int16(300));
    await expectClosedAfter(f, /string needs 300 bytes/);
  });

  it('an array count larger than the frame could hold', async () => {
    const f = frame(ApiKey.Metadata, 1, (w) => w.int32(1_000_000_000));
    await expectClosedAfter(f, /claims 1000000000 elements/);
  });

  it('trailing bytes after a request body', async () => {
    const f = frame(ApiKey.Metadata, 1, (w) => w.int32(0).int32(12345));
    await expectClosedAfter(f, /Metadata: 4 unexpected bytes/);
  });

  it('an unknown API key', async () => {
    await expectClosedAfter(frame(999, 0), /UNSUPPORTED_VERSION: unknown API key 999/);
  });

  it('an unsupported version of a known API', async () => {
    await expectClosedAfter(frame(ApiKey.Metadata, 42), /UNSUPPORTED_VERSION: Metadata v42 \(this broker serves v0-v8\)/);
    await expectClosedAfter(frame(ApiKey.Fetch, 3), /UNSUPPORTED_VERSION: Fetch v3 \(this broker serves v4-v11\)/);
  });

  it('a truncated frame followed by the peer going away', async () => {
    const f = frame(ApiKey.Metadata, 1, (w) => w.int32(-1));
    const c = await RawKafkaClient.connect(broker.port);
    c.writeRaw(f.subarray(0, f.length - 3));
    await c.close();
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('garbage bytes', async () => {
    await expectClosedAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /request of 1195725856 bytes exceeds socket.request.max.bytes/);
  });
});

describe('errors with a place in the protocol', () => {
  it('ApiVersions of an unknown version answers error 35 with the v0 body listing the supported versions', async () => {
    const c = await RawKafkaClient.connect(broker.port);
    c.writeRaw(frame(ApiKey.ApiVersions, 9));
    const resp = await c.nextResponse();
    expect(resp.readInt32BE(0)).toBe(77);
    expect(resp.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const count = resp.readInt32BE(6);
    const apis = Array.from({ length: count }, (_, i) => [resp.readInt16BE(10 + i * 6), resp.readInt16BE(12 + i * 6), resp.readInt16BE(14 + i * 6)]);
    expect(resp.length).toBe(10 + count * 6);
    expect(apis).toContainEqual([ApiKey.ApiVersions, 0, 3]);
    // the same connection goes on with a version it now knows
    const r = await c.request(ApiKey.ApiVersions, 3, (w) => w.compactString('strata-test').compactString('1.0').emptyTaggedFields());
    expect(r.int16()).toBe(0);
    await c.close();
  });

  it('a batch with a broken CRC is CORRUPT_MESSAGE and nothing is appended', async () => {
    const batch = buildBatch([{ value: Buffer.from('x') }]);
    batch[batch.length - 1]! ^= 0xff;
    const res = await produce(bystander, batch);
    expect(res.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(res.message).toMatch(/CRC mismatch/);
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('a batch whose records disagree with its header is CORRUPT_MESSAGE', async () => {
    const batch = buildBatch([{ value: Buffer.from('x') }, { value: Buffer.from('y') }]);
    batch.writeInt32BE(3, 57); // recordsCount 3, but two records
    const { computeBatchCrc } = await import('../../core/format/record-batch.js');
    batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), 17);
    const res = await produce(bystander, batch);
    expect(res.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(res.message).toMatch(/lastOffsetDelta 1 does not match 3 records/);
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('a truncated batch, an empty record set and a null record set are CORRUPT_MESSAGE', async () => {
    const batch = buildBatch([{ value: Buffer.from('x') }]);
    expect((await produce(bystander, batch.subarray(0, batch.length - 4))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce(bystander, Buffer.alloc(0))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce(bystander, null)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('a batch over message.max.bytes is MESSAGE_TOO_LARGE', async () => {
    const res = await produce(bystander, buildBatch([{ value: Buffer.alloc(4096, 1) }]));
    expect(res.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('a batch naming an unknown codec is refused', async () => {
    const batch = buildBatch([{ value: Buffer.from('x') }]);
    batch.writeInt16BE(7, 21); // codec 7 does not exist
    const { computeBatchCrc } = await import('../../core/format/record-batch.js');
    batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), 17);
    const res = await produce(bystander, batch);
    expect(res.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(res.message).toMatch(/unknown compression codec 7/);
  });

  it('acks other than 0, 1, -1 is INVALID_REQUIRED_ACKS', async () => {
    const res = await produce(bystander, buildBatch([{ value: Buffer.from('x') }]), 2);
    expect(res.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('producing to an unknown topic or an invalid name', async () => {
    expect((await produce(bystander, buildBatch([{ value: Buffer.from('x') }]), 1, 'nope')).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce(bystander, buildBatch([{ value: Buffer.from('x') }]), 1, 'bad/name')).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('acks=0 with a bad batch closes the connection (the producer has no other way to learn)', async () => {
    const c = await RawKafkaClient.connect(broker.port);
    const batch = buildBatch([{ value: Buffer.from('x') }]);
    batch[batch.length - 1]! ^= 0xff;
    c.writeRaw(frame(ApiKey.Produce, 7, (w) => {
      w.nullableString(null).int16(0).int32(5000).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).nullableBytes(batch);
    }));
    await c.closed;
    await waitFor(() => broker.lines.some((l) => /acks=0 produce failed \(robust-0: CORRUPT_MESSAGE\)/.test(l)), 'the acks=0 log line');
    expect(await logEndOffset(bystander)).toBe(3);
  });

  it('acks=0 with a good batch appends and sends no response', async () => {
    const c = await RawKafkaClient.connect(broker.port);
    c.writeRaw(frame(ApiKey.Produce, 7, (w) => {
      w.nullableString(null).int16(0).int32(5000).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).nullableBytes(buildBatch([{ value: Buffer.from('d') }]));
    }));
    // a following request on the same connection is answered first: nothing came for the produce
    const r = await c.request(ApiKey.ApiVersions, 0, () => {});
    expect(r.int16()).toBe(0);
    expect(await logEndOffset(bystander)).toBe(4);
    await c.close();
  });

  it('Metadata and CreateTopics name invalid topics', async () => {
    const r = await bystander.request(ApiKey.Metadata, 4, (w) => w.arrayLength(1).string('bad name!').bool(true));
    r.int32();
    r.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
    r.nullableString();
    r.int32();
    expect(r.int32()).toBe(1);
    expect(r.int16()).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const ct = await bystander.request(ApiKey.CreateTopics, 1, (w) => {
      w.arrayLength(2);
      w.string('ok-topic').int32(2).int16(3).arrayLength(0).arrayLength(0);
      w.string('cfg-topic').int32(1).int16(1).arrayLength(0).arrayLength(1).string('segment.bytes').nullableString('lots');
      w.int32(1000).bool(false);
    });
    ct.int32();
    const first = [ct.string(), ct.int16(), ct.nullableString()];
    const second = [ct.string(), ct.int16(), ct.nullableString()];
    expect(first.slice(0, 2)).toEqual(['ok-topic', ErrorCode.INVALID_REPLICATION_FACTOR]);
    expect(second.slice(0, 2)).toEqual(['cfg-topic', ErrorCode.INVALID_CONFIG]);
    expect(String(second[2])).toMatch(/segment.bytes must be an integer/);
  });
});

describe('connection limits', () => {
  it('max.connections refuses the extra connection with a log line, others keep working', async () => {
    const clients: RawKafkaClient[] = [];
    while (broker.server.connectionCount < 20) clients.push(await RawKafkaClient.connect(broker.port));
    const extra = await RawKafkaClient.connect(broker.port);
    await extra.closed;
    expect(broker.lines.some((l) => /max.connections \(20\) reached/.test(l))).toBe(true);
    await Promise.all(clients.map((c) => c.close()));
    expect(await logEndOffset(bystander)).toBe(4);
  });
});
