/**
 * The admin APIs' edges no client library sends on purpose, as raw frames over a real socket:
 * DeleteTopics v6 by topic id and by name and id at once, duplicates; ListOffsets -3 below v7;
 * DescribeConfigs of another broker, an unsupported resource type, an invalid topic name, v0's
 * IsDefault; CreatePartitions with bad manual assignments and validateOnly; DeleteRecords on a
 * compacted topic and below -1; and the produce validator's timestamp rules.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateProducedRecords } from '../../broker/produce-validator.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import type { KafkaReader } from '../../broker/protocol/reader.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { CodecRegistry } from '../../core/codec.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, MAX_TIMESTAMP_OFFSET } from '../../core/format/record-batch.js';
import { crc32c } from '../../core/format/crc32c.js';
import { writeInt64 } from '../../core/format/int64.js';
import { buildBatch, buildCompressedBatch } from '../../core/format/records.js';
import { builtinCodecs } from '../../codecs/index.js';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let client: RawKafkaClient;
beforeAll(async () => {
  broker = await startTestBroker();
  client = await RawKafkaClient.connect(broker.port);
  await broker.server.topics.create('edges', 1);
  await broker.server.topics.create('compacted', 1, { 'cleanup.policy': 'compact' });
});
afterAll(async () => {
  await client?.close();
  await broker?.close();
});

/** DeleteTopics v6 results: [name, errorCode]. */
async function deleteTopicsV6(topics: { name: string | null; id: Buffer }[]): Promise<[string | null, number][]> {
  const r = await client.request(ApiKey.DeleteTopics, 6, (w) => {
    w.array(topics, (w, t) => w.compactNullableString(t.name).uuid(t.id).emptyTaggedFields(), true);
    w.int32(5000).emptyTaggedFields();
  }, { flexibleResponse: true });
  r.int32();
  return r.compactArray((r) => {
    const row: [string | null, number] = [r.compactNullableString(), (r.uuid(), r.int16())];
    r.compactNullableString();
    r.skipTaggedFields();
    return row;
  });
}

function firstPartitionError(r: KafkaReader, flexible: boolean): number {
  const topics = r.arr(flexible, (r) => {
    r.str(flexible);
    const codes = r.arr(flexible, (r) => {
      r.int32();
      const code = r.int16();
      r.int64();
      r.int64();
      r.int32();
      r.tags(flexible);
      return code;
    });
    r.tags(flexible);
    return codes;
  });
  return topics[0]![0]!;
}

describe('admin API edges (raw frames)', () => {
  it('DeleteTopics v6: by id UNKNOWN_TOPIC_ID, name and id INVALID_REQUEST, a duplicate INVALID_REQUEST, unknown UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const zero = Buffer.alloc(16);
    expect(await deleteTopicsV6([{ name: null, id: randomBytes(16) }])).toEqual([[null, ErrorCode.UNKNOWN_TOPIC_ID]]);
    expect(await deleteTopicsV6([{ name: 'edges', id: randomBytes(16) }])).toEqual([['edges', ErrorCode.INVALID_REQUEST]]);
    // one answer per duplicated name, as Kafka's ControllerApis
    expect(await deleteTopicsV6([{ name: 'edges', id: zero }, { name: 'edges', id: zero }])).toEqual([['edges', ErrorCode.INVALID_REQUEST]]);
    expect(await deleteTopicsV6([{ name: null, id: zero }])).toEqual([[null, ErrorCode.INVALID_REQUEST]]);
    expect(await deleteTopicsV6([{ name: 'nothing-here', id: zero }])).toEqual([['nothing-here', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(broker.server.topics.get('edges')).toBeDefined();
  });

  it('ListOffsets: -3 is UNSUPPORTED_VERSION below v7 (as Kafka), answered from v7', async () => {
    const listOffsets = (version: number) =>
      client.request(ApiKey.ListOffsets, version, (w) => {
        const flexible = version >= 6;
        w.int32(-1).int8(0);
        w.array([0], (w) => {
          w.str('edges', flexible);
          w.array([0], (w) => w.int32(0).int32(-1).int64(-3).tags(flexible), flexible);
          w.tags(flexible);
        }, flexible);
        w.tags(flexible);
      }, { flexibleResponse: version >= 6 });
    const v5 = await listOffsets(5);
    v5.int32();
    expect(firstPartitionError(v5, false)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const v7 = await listOffsets(7);
    v7.int32();
    expect(firstPartitionError(v7, true)).toBe(ErrorCode.NONE);
  });

  it('DescribeConfigs: another broker id, an unsupported resource type and an invalid name are refused; v0 answers IsDefault', async () => {
    const describe = async (version: number, resources: [number, string][]) => {
      const r = await client.request(ApiKey.DescribeConfigs, version, (w) => {
        w.array(resources, (w, [type, name]) => w.int8(type).string(name).int32(-1));
        if (version >= 1) w.bool(false);
      });
      r.int32();
      return r.array((r) => {
        const code = r.int16();
        r.nullableString();
        r.int8();
        r.string();
        const configs = r.array((r) => {
          const entry = { name: r.string(), value: r.nullableString(), readOnly: r.bool(), isDefault: r.bool(), sensitive: r.bool() };
          if (version >= 1) r.array((r) => [r.string(), r.nullableString(), r.int8()]);
          return entry;
        });
        return { code, configs };
      });
    };
    const [other, logger, invalid] = await describe(1, [[4, '5'], [8, '0'], [2, 'bad name']]);
    expect([other!.code, logger!.code, invalid!.code]).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_TOPIC_EXCEPTION]);
    const [v0] = await describe(0, [[2, 'compacted']]);
    expect(v0!.configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', isDefault: false });
    expect(v0!.configs.find((c) => c.name === 'segment.bytes')).toMatchObject({ value: '1073741824', isDefault: true });
  });

  it('CreatePartitions: assignments naming another broker or of the wrong count are INVALID_REPLICA_ASSIGNMENT; validateOnly adds nothing', async () => {
    const create = async (count: number, assignments: number[][] | null, validateOnly: boolean) => {
      const r = await client.request(ApiKey.CreatePartitions, 1, (w) => {
        w.array([0], (w) => {
          w.string('edges').int32(count);
          if (assignments === null) w.arrayLength(null);
          else w.array(assignments, (w, ids) => w.array(ids, (w, id) => w.int32(id)));
        });
        w.int32(5000).bool(validateOnly);
      });
      r.int32();
      return r.array((r) => [r.string(), r.int16(), r.nullableString()] as const)[0]!;
    };
    expect((await create(2, [[1]], false))[1]).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect((await create(3, [[0]], false))[1]).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(await create(4, null, true)).toEqual(['edges', ErrorCode.NONE, null]);
    expect(broker.server.topics.get('edges')!.partitions).toBe(1);
    expect(await create(2, [[0]], false)).toEqual(['edges', ErrorCode.NONE, null]);
    expect(broker.server.topics.get('edges')!.partitions).toBe(2);
  });

  it('DeleteRecords: a compacted topic is POLICY_VIOLATION, an offset below -1 OFFSET_OUT_OF_RANGE, an unknown partition UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const del = async (topic: string, partition: number, offset: number) => {
      const r = await client.request(ApiKey.DeleteRecords, 2, (w) => {
        w.array([0], (w) => {
          w.compactString(topic);
          w.array([0], (w) => w.int32(partition).int64(offset).emptyTaggedFields(), true);
          w.emptyTaggedFields();
        }, true);
        w.int32(5000).emptyTaggedFields();
      }, { flexibleResponse: true });
      r.int32();
      return r.compactArray((r) => {
        r.compactString();
        const parts = r.compactArray((r) => {
          const p = { partition: r.int32(), low: r.int64(), code: r.int16() };
          r.skipTaggedFields();
          return p;
        });
        r.skipTaggedFields();
        return parts;
      })[0]![0]!;
    };
    expect(await del('compacted', 0, -1)).toEqual({ partition: 0, low: -1, code: ErrorCode.POLICY_VIOLATION });
    expect(await del('edges', 0, -2)).toEqual({ partition: 0, low: -1, code: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(await del('edges', 9, 0)).toEqual({ partition: 9, low: -1, code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(await del('edges', 0, -1)).toEqual({ partition: 0, low: 0, code: ErrorCode.NONE });
  });
});

describe('AlterConfigs / IncrementalAlterConfigs edges (raw frames)', () => {
  /** IncrementalAlterConfigs v0: one [errorCode, message] per resource. */
  const alter = async (resources: [string, [string, number, string | null][]][], validateOnly = false) => {
    const r = await client.request(ApiKey.IncrementalAlterConfigs, 0, (w) => {
      w.array(resources, (w, [name, configs]) => {
        w.int8(2).string(name);
        w.array(configs, (w, [key, op, value]) => w.string(key).int8(op).nullableString(value));
      });
      w.bool(validateOnly);
    });
    r.int32();
    return r.array((r) => {
      const row = [r.int16(), r.nullableString()] as const;
      r.int8();
      r.string();
      return row;
    });
  };

  it('refuses a resource twice, a key twice, an unknown operation, and a cleanup.policy change (strata fixes it when a log opens)', async () => {
    const [a, b] = await alter([['edges', [['retention.ms', 0, '1000']]], ['edges', [['retention.ms', 0, '2000']]]]);
    expect([a![0], b![0]]).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect((await alter([['edges', [['retention.ms', 0, '1'], ['retention.ms', 1, null]]]]))[0]![0]).toBe(ErrorCode.INVALID_REQUEST);
    expect((await alter([['edges', [['retention.ms', 9, '1']]]]))[0]![0]).toBe(ErrorCode.INVALID_REQUEST);
    // APPEND starts from the default (delete), as Kafka's: strata knows no policy list
    expect((await alter([['edges', [['cleanup.policy', 2, 'compact']]]]))[0]).toEqual([ErrorCode.INVALID_CONFIG, 'cleanup.policy must be one of delete, compact, got "delete,compact"']);
    const [policy] = await alter([['edges', [['cleanup.policy', 0, 'compact']]]]);
    expect(policy).toEqual([ErrorCode.INVALID_CONFIG, expect.stringMatching(/cleanup.policy of topic edges cannot change \(delete -> compact\)/)]);
    expect((await alter([['nothing-here', [['retention.ms', 0, '1']]]]))[0]![0]).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // validateOnly checks and changes nothing
    expect((await alter([['edges', [['retention.ms', 0, '5000']]]], true))[0]).toEqual([ErrorCode.NONE, null]);
    expect(broker.server.topics.get('edges')!.configs).toEqual({});
    expect((await alter([['edges', [['retention.ms', 0, '5000']]]]))[0]).toEqual([ErrorCode.NONE, null]);
    expect((await broker.server.topics.log('edges', 0))!.config.retentionMs).toBe(5000);
  });
});

describe('LogAppendTime through Produce', () => {
  it('answers the stamped time, and a retry of an idempotent batch the original time, writing it once', async () => {
    await broker.server.topics.create('stamped', 1, { 'message.timestamp.type': 'LogAppendTime' });
    const init = await client.request(ApiKey.InitProducerId, 0, (w) => w.nullableString(null).int32(60_000));
    init.int32();
    expect(init.int16()).toBe(ErrorCode.NONE);
    const [producerId, producerEpoch] = [init.int64(), init.int16()];
    const batch = buildBatch([{ value: Buffer.from('a'), timestamp: 1000 }], { producerId, producerEpoch, baseSequence: 0 });
    const send = async () => {
      const r = await client.request(ApiKey.Produce, 8, (w) => w.nullableString(null).int16(-1).int32(5000).arrayLength(1).string('stamped').arrayLength(1).int32(0).nullableBytes(Buffer.from(batch)));
      r.int32();
      r.string();
      r.int32();
      r.int32();
      return { errorCode: r.int16(), baseOffset: r.int64(), logAppendTimeMs: r.int64() };
    };
    const before = Date.now();
    const first = await send();
    expect(first.errorCode).toBe(ErrorCode.NONE);
    expect(first.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    await new Promise((r) => setTimeout(r, 5));
    expect(await send()).toEqual(first);
    expect((await (await broker.server.topics.log('stamped', 0))!.readBatches(0, 1 << 20)).length).toBe(1);
    // a CreateTime topic answers -1, as Kafka
    const plain = await client.request(ApiKey.Produce, 8, (w) => w.nullableString(null).int16(-1).int32(5000).arrayLength(1).string('edges').arrayLength(1).int32(0).nullableBytes(buildBatch([{ value: Buffer.from('b') }])));
    plain.int32();
    plain.string();
    plain.int32();
    plain.int32();
    expect([plain.int16(), (plain.int64(), plain.int64())]).toEqual([ErrorCode.NONE, -1]);
  });
});

describe('produce timestamps (LogValidator rules)', () => {
  const nowMs = 1_800_000_000_000;
  const check = (batch: Buffer, type: 'CreateTime' | 'LogAppendTime', beforeMaxMs = Number.MAX_SAFE_INTEGER, afterMaxMs = 3_600_000) =>
    validateProducedRecords(batch, { codecs: new CodecRegistry(), messageMaxBytes: 1 << 20, produceVersion: 8, timestamps: { type, beforeMaxMs, afterMaxMs, nowMs } });
  /** A batch a producer marked LogAppendTime, with `maxTimestamp`. */
  const markedLogAppendTime = (maxTimestamp: number) => {
    const b = buildBatch([{ value: Buffer.from('x'), timestamp: nowMs }]);
    b.writeInt16BE(b.readInt16BE(ATTRIBUTES_OFFSET) | 0x08, ATTRIBUTES_OFFSET);
    writeInt64(b, MAX_TIMESTAMP_OFFSET, maxTimestamp);
    b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    return b;
  };

  it('bounds CreateTime records by before.max.ms / after.max.ms, inclusive, naming the range', async () => {
    const at = (ts: number) => buildBatch([{ value: Buffer.from('x'), timestamp: ts }]);
    expect((await check(at(nowMs + 3_600_000), 'CreateTime')).errorCode).toBe(ErrorCode.NONE);
    const ahead = await check(at(nowMs + 3_600_001), 'CreateTime');
    expect(ahead.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(ahead.message).toMatch(/timestamp 1800003600001 is out of range. The timestamp should be within \[.*, 1800003600000\]/);
    expect((await check(at(nowMs - 1001), 'CreateTime', 1000)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await check(at(nowMs - 1000), 'CreateTime', 1000)).errorCode).toBe(ErrorCode.NONE);
    // a batch whose first record is old and whose newest is fine is still refused (its first timestamp)
    const mixed = buildBatch([{ value: Buffer.from('a'), timestamp: nowMs - 5000 }, { value: Buffer.from('b'), timestamp: nowMs }]);
    expect((await check(mixed, 'CreateTime', 1000)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    // every record once before.max.ms is set: a later record older than the first, plain and compressed
    const older = [{ value: Buffer.from('a'), timestamp: nowMs }, { value: Buffer.from('b'), timestamp: nowMs - 5000 }];
    const oldInside = await check(buildBatch(older), 'CreateTime', 1000);
    expect(oldInside.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(oldInside.message).toMatch(/record 1 has timestamp 1799999995000, out of range/);
    const gzip = await buildCompressedBatch(older, new CodecRegistry(builtinCodecs).byNameOrThrow('gzip'));
    const codecs = new CodecRegistry(builtinCodecs);
    const checked = await validateProducedRecords(gzip, { codecs, messageMaxBytes: 1 << 20, produceVersion: 8, timestamps: { type: 'CreateTime', beforeMaxMs: 1000, afterMaxMs: 3_600_000, nowMs } });
    expect(checked.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await check(buildBatch(older), 'CreateTime', 10_000)).errorCode).toBe(ErrorCode.NONE);
    // a LogAppendTime topic takes any producer time: the broker replaces it
    expect((await check(at(nowMs + 100 * 3_600_000), 'LogAppendTime')).errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses a batch the producer marked LogAppendTime, unless a CreateTime topic can read it as a time in bounds', async () => {
    expect((await check(markedLogAppendTime(nowMs), 'LogAppendTime')).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await check(markedLogAppendTime(-1), 'CreateTime')).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((await check(markedLogAppendTime(nowMs), 'CreateTime')).errorCode).toBe(ErrorCode.NONE);
  });
});
