/**
 * Hostile input at the request level (issue 13, items 4, 5, 7, 8): numbers past 2^53, a client
 * gone mid-sendfile, what one connection may read ahead, one decompressed-bytes limit on produce
 * and consume, and Kafka's topic naming rules on CreateTopics. Each case checks the answer (a Kafka
 * error code) and that the connection and the broker keep serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zstdCodec } from '../../codecs/zstd.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { writeRequestHeader } from '../../broker/protocol/headers.js';
import { KafkaWriter } from '../../broker/protocol/writer.js';
import { decompressedBytesMaxFor } from '../../core/codec.js';
import { CompressionType } from '../../core/format/record-batch.js';
import { buildBatch, buildCompressedBatch } from '../../core/format/records.js';
import { startTestBroker, type TestBroker } from './helpers.js';
import { MiB, metadata, produce, rawBatch } from './hostile-helpers.js';

let broker: TestBroker;
let client: RawKafkaClient;
const TOPIC = 'hostile';
const TWO_POW_60 = 2n ** 60n;

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'message.max.bytes': String(2 * MiB) } });
  await broker.server.topics.create(TOPIC, 1);
  client = await RawKafkaClient.connect(broker.port);
  const [r] = await produce(client, TOPIC, [{ index: 0, records: buildBatch([{ value: Buffer.from('first') }]) }]);
  expect(r!.errorCode).toBe(ErrorCode.NONE);
});
afterAll(async () => {
  await client.close();
  await broker.close();
});

const internalErrors = () => broker.lines.filter((l) => /internal error|\n\s+at /.test(l));

describe('numbers past 2^53', () => {
  const section = (buildBatch([{ value: Buffer.from('x') }]) as Buffer).subarray(61);
  for (const [field, opts] of [
    ['baseOffset', { baseOffset: TWO_POW_60 }],
    ['timestamps', { timestamp: TWO_POW_60 }],
    ['producerId', { producerId: TWO_POW_60 }],
  ] as const) {
    it(`a batch whose ${field} is 2^60 is CORRUPT_MESSAGE and the connection stays`, async () => {
      const [r] = await produce(client, TOPIC, [{ index: 0, records: rawBatch(section, opts) }]);
      expect(r!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
      expect(r!.message).toMatch(/batch 0 \(at byte 0 of the partition's records\): int64 at byte \d+ is outside the safe integer range: 1152921504606846976/);
      await metadata(client); // same connection, still answered
      expect(internalErrors()).toEqual([]);
    });
  }

  it('a fetch offset of 2^60 is OFFSET_OUT_OF_RANGE; a ListOffsets timestamp of 2^60 finds no offset', async () => {
    const f = await client.request(ApiKey.Fetch, 4, (w) => {
      w.int32(-1).int32(0).int32(1).int32(1 << 20).int8(0);
      w.arrayLength(1).string(TOPIC).arrayLength(1).int32(0);
      w.int32(2 ** 28).int32(0).int32(1 << 20); // fetchOffset 2^60 as two int32 halves
    });
    f.int32(); // throttle
    f.int32();
    f.string();
    f.int32();
    f.int32();
    expect(f.int16()).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const l = await client.request(ApiKey.ListOffsets, 1, (w) => {
      w.int32(-1).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).int32(2 ** 28).int32(0);
    });
    l.int32();
    l.string();
    l.int32();
    l.int32();
    expect(l.int16()).toBe(ErrorCode.NONE);
    l.int64();
    expect(l.int64()).toBe(-1);
    expect(internalErrors()).toEqual([]);
  });
});

describe('a client gone in the middle of a response', () => {
  it('is one info line, no internal error and no stack', async () => {
    const big = Buffer.alloc(MiB, 3);
    for (let i = 0; i < 24; i++) expect((await produce(client, TOPIC, [{ index: 0, records: buildBatch([{ value: big }]) }]))[0]!.errorCode).toBe(0);
    const leaver = await RawKafkaClient.connect(broker.port);
    leaver.socket.pause(); // reads nothing: the response stalls in the socket buffers
    const w = new KafkaWriter();
    w.int32(0);
    writeRequestHeader(w, { apiKey: ApiKey.Fetch, apiVersion: 4, correlationId: 9, clientId: 'leaver' });
    w.int32(-1).int32(0).int32(1).int32(64 * MiB).int8(0).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).int64(0).int32(64 * MiB);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    leaver.socket.write(frame);
    await new Promise((r) => setTimeout(r, 300));
    leaver.socket.resetAndDestroy();
    await waitFor(() => broker.lines.some((l) => /connection from .* went away during a response/.test(l)));
    expect(internalErrors()).toEqual([]);
    await metadata(client);
  });
});

describe('read-ahead of one connection', () => {
  it('stops reading while a request is in progress and 4 MiB are queued', async () => {
    const greedy = await RawKafkaClient.connect(broker.port);
    const end = (await broker.server.topics.log(TOPIC, 0))!.logEndOffset;
    // a Fetch at the log end that parks for 3 s (min.bytes far above what will arrive)
    const w = new KafkaWriter();
    w.int32(0);
    writeRequestHeader(w, { apiKey: ApiKey.Fetch, apiVersion: 4, correlationId: 1, clientId: 'greedy' });
    w.int32(-1).int32(3000).int32(1 << 30).int32(1 << 20).int8(0).arrayLength(1).string(TOPIC).arrayLength(1).int32(0).int64(end).int32(1 << 20);
    const fetch = w.toBuffer();
    fetch.writeInt32BE(fetch.length - 4, 0);
    // then 256 x 1 MiB frames (Metadata with a 1 MiB tail: refused only once read and handled)
    const junk = Buffer.alloc(MiB);
    junk.writeInt32BE(junk.length - 4, 0);
    junk.writeInt16BE(ApiKey.Metadata, 4);
    junk.writeInt16BE(1, 6);
    greedy.socket.write(fetch);
    for (let i = 0; i < 256; i++) greedy.socket.write(junk);
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => greedy.socket.once('drain', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500)),
    ]);
    // what the broker did not read is still queued in this client: nearly all of it
    const unreadBytes = greedy.socket.writableLength;
    process.stdout.write(`read-ahead: ${((256 * MiB - unreadBytes) / MiB).toFixed(1)} MiB of 256 MiB left the client while the broker was busy\n`);
    expect(drained).toBe(false);
    expect(unreadBytes).toBeGreaterThan(200 * MiB);
    greedy.socket.destroy();
    await metadata(client);
  });
});

describe('one decompressed-bytes limit for produce and consume', () => {
  const limit = () => decompressedBytesMaxFor(2 * MiB);

  it('a small batch holding a 60 MiB zstd record is refused MESSAGE_TOO_LARGE', async () => {
    const batch = await buildCompressedBatch([{ value: Buffer.alloc(60 * MiB) }], zstdCodec);
    expect(batch.length).toBeLessThan(64 * 1024);
    const [r] = await produce(client, TOPIC, [{ index: 0, records: batch }]);
    expect(r!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(r!.message).toMatch(new RegExp(`decompress to more than ${limit()} bytes`));
  });

  it('one just under the limit is accepted, and the log (what consume reads) decodes it', async () => {
    const value = Buffer.alloc(limit() - 1024, 5);
    const [r] = await produce(client, TOPIC, [{ index: 0, records: await buildCompressedBatch([{ value }], zstdCodec) }]);
    expect(r!.errorCode).toBe(ErrorCode.NONE);
    const log = (await broker.server.topics.log(TOPIC, 0))!;
    const [batch] = await log.readBatches(r!.baseOffset, 1);
    expect(batch!.records[0]!.value!.equals(value)).toBe(true);
  });

  it('a raw batch whose zstd section is garbage is CORRUPT_MESSAGE naming the codec', async () => {
    const [r] = await produce(client, TOPIC, [{ index: 0, records: rawBatch(Buffer.from('not zstd at all'), { compression: CompressionType.zstd }) }]);
    expect(r!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r!.message).toMatch(/batch 0 \(at byte 0 of the partition's records\): cannot decompress its zstd records: zstd: bad frame magic/);
  });
});

describe("Kafka's topic naming rules on CreateTopics", () => {
  async function createTopics(names: string[]): Promise<{ name: string; errorCode: number; message: string | null }[]> {
    const r = await client.request(ApiKey.CreateTopics, 2, (w) => {
      w.arrayLength(names.length);
      for (const n of names) w.string(n).int32(1).int16(1).arrayLength(0).arrayLength(0);
      w.int32(5000).int8(0);
    });
    r.int32();
    return r.array((r) => ({ name: r.string(), errorCode: r.int16(), message: r.nullableString() }));
  }

  it('a.b and a_b cannot coexist: INVALID_TOPIC_EXCEPTION naming the existing one', async () => {
    expect((await createTopics(['a.b']))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await createTopics(['a_b', 'a.b'])).toEqual([
      { name: 'a_b', errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: "Topic 'a_b' collides with existing topic: a.b" },
      { name: 'a.b', errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, message: "Topic 'a.b' already exists." },
    ]);
    expect(broker.server.topics.get('a_b')).toBeUndefined();
  });

  it('internal topics cannot be created, by CreateTopics or by auto-creation', async () => {
    expect(await createTopics(['__consumer_offsets'])).toEqual([
      { name: '__consumer_offsets', errorCode: ErrorCode.INVALID_REQUEST, message: 'Creation of internal topic __consumer_offsets is prohibited.' },
    ]);
    const m = await client.request(ApiKey.Metadata, 1, (w) => w.int32(1).string('__transaction_state'));
    m.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()]);
    m.int32();
    const [t] = m.array((r) => ({ errorCode: r.int16(), name: r.string() }));
    expect(t!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(broker.server.topics.get('__transaction_state')).toBeUndefined();
  });

  it('a name twice in one request is INVALID_REQUEST for both', async () => {
    const r = await createTopics(['twice', 'twice']);
    expect(r.map((t) => [t.errorCode, t.message])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      [ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ]);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; log: ${broker.lines.slice(-10).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
