/**
 * Valid request frames for every API `strata serve` supports (one or two versions each): the seeds
 * the protocol fuzzer mutates. Bodies follow Kafka's message schemas as broker/protocol reads them.
 */
import { CodecRegistry } from '../../core/codec.js';
import { buildBatch, buildCompressedBatch } from '../../core/format/records.js';
import { builtinCodecs } from '../../codecs/index.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { writeRequestHeader } from '../../broker/protocol/headers.js';
import { KafkaWriter } from '../../broker/protocol/writer.js';

export const FUZZ_TOPIC = 'fuzz';
const GROUP = 'fuzz-group';

function frame(apiKey: ApiKey, apiVersion: number, body: (w: KafkaWriter) => void): Buffer {
  const w = new KafkaWriter(512);
  w.int32(0);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId: 1, clientId: 'fuzz' });
  body(w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

export async function seedFrames(): Promise<Buffer[]> {
  const codecs = new CodecRegistry(builtinCodecs);
  const plain = buildBatch([{ key: Buffer.from('k'), value: Buffer.from('fuzz value') }, { value: Buffer.from('second') }]);
  const compressed = await Promise.all(['gzip', 'snappy', 'lz4', 'zstd'].map((c) => buildCompressedBatch([{ value: Buffer.alloc(300, 7) }, { value: Buffer.from('x') }], codecs.byNameOrThrow(c))));
  const produce = (version: number, records: Buffer) =>
    frame(ApiKey.Produce, version, (w) => {
      if (version >= 3) w.nullableString(null);
      w.int16(1).int32(1000).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).nullableBytes(records);
    });
  const fetch = (version: number) =>
    frame(ApiKey.Fetch, version, (w) => {
      w.int32(-1).int32(0).int32(1).int32(1 << 20).int8(0);
      if (version >= 7) w.int32(0).int32(-1);
      w.arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0);
      if (version >= 9) w.int32(-1);
      w.int64(0);
      if (version >= 5) w.int64(-1);
      w.int32(1 << 20);
      if (version >= 7) w.arrayLength(0);
      if (version >= 11) w.string('');
    });
  return [
    produce(8, plain),
    produce(3, plain),
    ...compressed.map((b) => produce(8, b)),
    fetch(4),
    fetch(11),
    frame(ApiKey.ListOffsets, 1, (w) => w.int32(-1).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).int64(-2)),
    frame(ApiKey.ListOffsets, 5, (w) => w.int32(-1).int8(0).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).int32(-1).int64(-1)),
    frame(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string(FUZZ_TOPIC)),
    frame(ApiKey.Metadata, 8, (w) => w.arrayLength(1).string(FUZZ_TOPIC).bool(true).bool(false).bool(false)),
    frame(ApiKey.OffsetCommit, 2, (w) => w.string(GROUP).int32(-1).string('').int64(-1).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).int64(1).nullableString('m')),
    frame(ApiKey.OffsetCommit, 7, (w) => w.string(GROUP).int32(-1).string('').nullableString(null).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).int64(1).int32(-1).nullableString(null)),
    frame(ApiKey.OffsetFetch, 5, (w) => w.string(GROUP).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0)),
    frame(ApiKey.FindCoordinator, 2, (w) => w.string(GROUP).int8(0)),
    frame(ApiKey.JoinGroup, 5, (w) => w.string(GROUP).int32(6000).int32(6000).string('').nullableString(null).string('consumer').arrayLength(1).string('range').bytes(Buffer.from([0, 1, 0, 0, 0, 0]))),
    frame(ApiKey.SyncGroup, 3, (w) => w.string(GROUP).int32(1).string('member').nullableString(null).arrayLength(0)),
    frame(ApiKey.Heartbeat, 3, (w) => w.string(GROUP).int32(1).string('member').nullableString(null)),
    frame(ApiKey.LeaveGroup, 3, (w) => w.string(GROUP).arrayLength(1).string('member').nullableString(null)),
    frame(ApiKey.DescribeGroups, 4, (w) => w.arrayLength(2).string(GROUP).string('other').bool(true)),
    frame(ApiKey.DescribeGroups, 6, (w) => w.arrayLength(1, true).compactString(GROUP).bool(false).emptyTaggedFields()),
    frame(ApiKey.ListGroups, 5, (w) => w.arrayLength(1, true).compactString('Stable').arrayLength(1, true).compactString('classic').emptyTaggedFields()),
    frame(ApiKey.OffsetDelete, 0, (w) => w.string(GROUP).arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0)),
    frame(ApiKey.DeleteGroups, 2, (w) => w.arrayLength(1, true).compactString('fuzz-other').emptyTaggedFields()),
    frame(ApiKey.ApiVersions, 0, () => {}),
    frame(ApiKey.ApiVersions, 3, (w) => w.compactString('fuzz').compactString('1.0').emptyTaggedFields()),
    frame(ApiKey.CreateTopics, 4, (w) => w.arrayLength(1).string('fuzz-created').int32(1).int16(1).arrayLength(0).arrayLength(0).int32(1000).bool(false)),
    frame(ApiKey.ListOffsets, 7, (w) => w.int32(-1).int8(0).arrayLength(1, true).compactString(FUZZ_TOPIC).arrayLength(1, true).int32(0).int32(-1).int64(-3).emptyTaggedFields().emptyTaggedFields().emptyTaggedFields()),
    // a topic that does not exist (a mutated name cannot become an existing one by chance)
    frame(ApiKey.DeleteTopics, 1, (w) => w.arrayLength(1).string('zz-doomed').int32(1000)),
    frame(ApiKey.DeleteTopics, 6, (w) => w.arrayLength(1, true).compactNullableString('zz-doomed').uuid(Buffer.alloc(16)).emptyTaggedFields().int32(1000).emptyTaggedFields()),
    frame(ApiKey.DeleteRecords, 0, (w) => w.arrayLength(1).string(FUZZ_TOPIC).arrayLength(1).int32(0).int64(0).int32(1000)),
    frame(ApiKey.DeleteRecords, 2, (w) => w.arrayLength(1, true).compactString(FUZZ_TOPIC).arrayLength(1, true).int32(0).int64(-1).emptyTaggedFields().emptyTaggedFields().int32(1000).emptyTaggedFields()),
    frame(ApiKey.DescribeConfigs, 1, (w) => w.arrayLength(2).int8(2).string(FUZZ_TOPIC).arrayLength(null).int8(4).string('0').arrayLength(1).string('num.partitions').bool(true)),
    frame(ApiKey.DescribeConfigs, 4, (w) => w.arrayLength(1, true).int8(2).compactString(FUZZ_TOPIC).arrayLength(null, true).emptyTaggedFields().bool(true).bool(false).emptyTaggedFields()),
    // validateOnly: a mutated count must not make thousands of partitions
    frame(ApiKey.CreatePartitions, 1, (w) => w.arrayLength(1).string(FUZZ_TOPIC).int32(4).arrayLength(null).int32(1000).bool(true)),
    // a topic that does not exist, validateOnly: a mutation must not retune the fuzzed topic
    frame(ApiKey.AlterConfigs, 1, (w) => w.arrayLength(1).int8(2).string('zz-doomed').arrayLength(1).string('retention.ms').nullableString('604800000').bool(true)),
    frame(ApiKey.IncrementalAlterConfigs, 1, (w) => w.arrayLength(1, true).int8(2).compactString('zz-doomed').arrayLength(1, true).compactString('retention.ms').int8(0).compactNullableString('604800000').emptyTaggedFields().emptyTaggedFields().bool(true).emptyTaggedFields()),
  ];
}
