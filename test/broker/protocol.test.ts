/**
 * The protocol layer on its own: primitives round trip in both encodings, every bad length is a
 * ProtocolError naming the position, framing splits and rejects correctly, and the ApiVersions
 * and Metadata responses decode as a client reads them (real frames over a real socket).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError } from '../../broker/frame-decoder.js';
import { ApiKey, SUPPORTED_APIS } from '../../broker/protocol/api-keys.js';
import { ProtocolError } from '../../broker/protocol/protocol-error.js';
import { KafkaReader } from '../../broker/protocol/reader.js';
import { KafkaWriter } from '../../broker/protocol/writer.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startTestBroker, type TestBroker } from './helpers.js';

describe('primitives', () => {
  it('round-trip in the classic encoding', () => {
    const w = new KafkaWriter(4);
    w.int8(-3).bool(true).int16(-12345).int32(-7).uint32(0xfeedbeef).int64(2 ** 52 + 5).int64(-1);
    w.string('héllo').nullableString(null).bytes(Buffer.from([1, 2])).nullableBytes(null);
    w.array([1, 2, 3], (w, n) => w.int32(n)).arrayLength(null);
    const r = new KafkaReader(w.toBuffer());
    expect([r.int8(), r.bool(), r.int16(), r.int32(), r.uint32(), r.int64(), r.int64()]).toEqual([-3, true, -12345, -7, 0xfeedbeef, 2 ** 52 + 5, -1]);
    expect([r.string(), r.nullableString()]).toEqual(['héllo', null]);
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.nullableBytes()).toBeNull();
    expect(r.array((r) => r.int32())).toEqual([1, 2, 3]);
    expect(r.nullableArray((r) => r.int32())).toBeNull();
    r.expectEnd('test');
  });

  it('round-trip in the compact (flexible) encoding, with tagged fields skipped', () => {
    const w = new KafkaWriter();
    w.uvarint(0).uvarint(127).uvarint(128).uvarint(0xffff_ffff);
    w.compactString('abc').compactNullableString(null).compactNullableBytes(Buffer.from([9]));
    w.array(['x', 'y'], (w, s) => w.compactString(s), true).arrayLength(null, true);
    // a tagged-field section with two unknown tags
    w.uvarint(2).uvarint(0).uvarint(3).raw(Buffer.from([1, 2, 3])).uvarint(5).uvarint(0);
    w.int8(42);
    const r = new KafkaReader(w.toBuffer());
    expect([r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()]).toEqual([0, 127, 128, 0xffff_ffff]);
    expect([r.compactString(), r.compactNullableString()]).toEqual(['abc', null]);
    expect([...r.compactBytes()]).toEqual([9]);
    expect(r.compactArray((r) => r.compactString())).toEqual(['x', 'y']);
    expect(r.compactNullableArray((r) => r.int8())).toBeNull();
    r.skipTaggedFields();
    expect(r.int8()).toBe(42);
    r.expectEnd('test');
  });

  it('names what is wrong in a malformed buffer', () => {
    const bad = (bytes: number[], read: (r: KafkaReader) => unknown, message: RegExp) => {
      expect(() => read(new KafkaReader(Buffer.from(bytes)))).toThrow(ProtocolError);
      expect(() => read(new KafkaReader(Buffer.from(bytes)))).toThrow(message);
    };
    bad([0, 5, 97], (r) => r.string(), /string needs 5 bytes at byte 2, only 1 remain/);
    bad([0xff, 0xfe], (r) => r.nullableString(), /string length -2 at byte 0 is negative/);
    bad([0xff, 0xff], (r) => r.string(), /non-nullable string at byte 0 is null/);
    bad([0, 0, 0, 9, 1], (r) => r.array((r) => r.int8()), /claims 9 elements but only 1 bytes remain/);
    bad([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.uvarint(), /longer than 5 bytes/);
    bad([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], (r) => r.int64(), /outside the safe integer range/);
    bad([3, 0, 9], (r) => r.skipTaggedFields(), /exceeds the 2 bytes remaining/);
  });
});

describe('framing', () => {
  const sized = (body: Buffer) => {
    const b = Buffer.alloc(4 + body.length);
    b.writeInt32BE(body.length, 0);
    body.copy(b, 4);
    return b;
  };

  it('splits frames however the bytes arrive', () => {
    const frames = [Buffer.alloc(8, 1), Buffer.alloc(100, 2), Buffer.alloc(9, 3)];
    const stream = Buffer.concat(frames.map(sized));
    for (const step of [1, 3, 7, 50, stream.length]) {
      const d = new FrameDecoder(1000);
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) got.push(...d.push(stream.subarray(i, i + step)));
      expect(got).toEqual(frames);
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('rejects sizes below a header or over the limit', () => {
    expect(() => new FrameDecoder(1000).push(sized(Buffer.alloc(7)))).toThrow(FrameError);
    expect(() => new FrameDecoder(1000).push(Buffer.from([0, 0, 0x03, 0xe9]))).toThrow(/1001 bytes exceeds socket.request.max.bytes \(1000\)/);
  });
});

describe('ApiVersions and Metadata over a socket', () => {
  let broker: TestBroker;
  let c: RawKafkaClient;
  beforeAll(async () => {
    broker = await startTestBroker();
    c = await RawKafkaClient.connect(broker.port);
  });
  afterAll(async () => {
    await c.close();
    await broker.close();
  });

  it('v3 (flexible request header v2, compact body) lists every API', async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, (w) => w.compactString('librdkafka').compactString('2.0.2').emptyTaggedFields());
    expect(r.int16()).toBe(0);
    const apis = r.compactArray((r) => {
      const a = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
      r.skipTaggedFields();
      return a;
    });
    expect(r.int32()).toBe(0);
    r.skipTaggedFields();
    r.expectEnd('ApiVersions v3 response');
    expect(apis).toEqual(SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })));
  });

  it('v0-v2 bodies', async () => {
    for (const v of [0, 1, 2]) {
      const r = await c.request(ApiKey.ApiVersions, v, () => {});
      expect(r.int16()).toBe(0);
      expect(r.array((r) => [r.int16(), r.int16(), r.int16()]).length).toBe(SUPPORTED_APIS.length);
      if (v >= 1) expect(r.int32()).toBe(0);
      r.expectEnd(`ApiVersions v${v}`);
    }
  });

  it('Metadata v0 and v8 describe one node at this listener and auto-create topics', async () => {
    for (const v of [0, 8]) {
      const topic = `meta-v${v}`;
      const r = await c.request(ApiKey.Metadata, v, (w) => {
        w.arrayLength(1).string(topic);
        if (v >= 4) w.bool(true);
        if (v >= 8) w.bool(false).bool(false);
      });
      if (v >= 3) expect(r.int32()).toBe(0);
      const brokers = r.array((r) => [r.int32(), r.string(), r.int32(), ...(v >= 1 ? [r.nullableString()] : [])]);
      expect(brokers[0]!.slice(0, 3)).toEqual([0, '127.0.0.1', broker.port]);
      if (v >= 2) expect(r.nullableString()).toBe('strata');
      if (v >= 1) expect(r.int32()).toBe(0);
      const topics = r.array((r) => {
        const t = { errorCode: r.int16(), name: r.string(), internal: v >= 1 ? r.bool() : false, partitions: r.array((r) => {
          const p = { errorCode: r.int16(), index: r.int32(), leader: r.int32(), epoch: v >= 7 ? r.int32() : -1, replicas: r.array((r) => r.int32()), isr: r.array((r) => r.int32()), offline: v >= 5 ? r.array((r) => r.int32()) : [] };
          return p;
        }) };
        if (v >= 8) r.int32();
        return t;
      });
      if (v >= 8) r.int32();
      r.expectEnd(`Metadata v${v}`);
      expect(topics).toEqual([{ errorCode: 0, name: topic, internal: false, partitions: [{ errorCode: 0, index: 0, leader: 0, epoch: v >= 7 ? 0 : -1, replicas: [0], isr: [0], offline: [] }] }]);
    }
  });
});
