// @platformatic/kafka (2.12.1, on Node 24) against a broker, for test/peers/node24/platformatic-kafka.test.ts:
//   node platformatic-calls.mjs BOOTSTRAP PREFIX
// Produces with every codec through an idempotent producer, consumes in a group and commits, then
// makes its admin calls (listOffsets with -3, describeConfigs, createPartitions, deleteRecords,
// deleteTopics) and checks the timestamp topic configs. Prints one JSON object per step.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const [bootstrap, prefix] = process.argv.slice(2);
const topic = `${prefix}-main`;
const stamped = `${prefix}-stamped`;
const YEAR_MS = 365n * 24n * 3600n * 1000n;
const out = (step) => console.log(JSON.stringify(step, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));

/** The Kafka error names inside a client error (ResponseError holds ProtocolErrors with apiId). */
function errorNames(err) {
  const names = new Set();
  const walk = (e, depth) => {
    if (!e || depth > 6) return;
    if (typeof e.apiId === 'string') names.add(e.apiId);
    for (const inner of e.errors ?? []) walk(inner, depth + 1);
    if (e.cause) walk(e.cause, depth + 1);
  };
  walk(err, 0);
  return [...names].sort();
}

async function failure(promise) {
  try {
    await promise;
    return ['none'];
  } catch (err) {
    const names = errorNames(err);
    return names.length > 0 ? names : [`${err.name}: ${err.message}`];
  }
}

const base = { clientId: `${prefix}-client`, bootstrapBrokers: [bootstrap], retries: 2, retryDelay: 100 };
const admin = new Admin(base);

async function consumeAll(name, groupId, count) {
  const consumer = new Consumer({ ...base, groupId, deserializers: stringDeserializers, sessionTimeout: 10000, heartbeatInterval: 500 });
  const stream = await consumer.consume({ topics: [name], mode: 'earliest', autocommit: false });
  const seen = [];
  const timer = setTimeout(() => stream.destroy(new Error(`only ${seen.length} of ${count} messages within 30 s`)), 30_000);
  for await (const message of stream) {
    seen.push(message);
    if (seen.length === count) break;
  }
  clearTimeout(timer);
  await seen[seen.length - 1].commit();
  const committed = await admin.listConsumerGroupOffsets({ groups: [groupId] }).catch((err) => errorNames(err));
  await stream.close();
  await consumer.close();
  return { seen, committed };
}

try {
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1, configs: [{ name: 'retention.ms', value: '123456' }] });
  await admin.createTopics({ topics: [stamped], partitions: 1, replicas: 1, configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] });

  // ten records per codec through an idempotent producer; offset 5 has the newest timestamp
  const t0 = BigInt(Date.now() - 60_000);
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const producer = new Producer({ ...base, idempotent: true, serializers: stringSerializers });
  for (const [n, codec] of codecs.entries()) {
    const messages = Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, value: `${codec}-${i}`, timestamp: t0 + (n === 0 && i === 5 ? 5000n : BigInt(n * 100 + i)) }));
    const result = await producer.send({ messages, compression: codec }).then(
      (r) => ({ offsets: r.offsets?.length ?? 0 }),
      (err) => ({ error: errorNames(err) }),
    );
    out({ codec, ...result });
  }
  const { seen, committed } = await consumeAll(topic, `${prefix}-group`, 10 * codecs.length);
  out({ consumed: seen.length, distinct: new Set(seen.map((m) => m.value)).size, committed });

  const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -3n }] }] });
  out({ maxTimestamp: { offset: listed.partitions[0].offset, timestamp: listed.partitions[0].timestamp - t0 } });

  const described = await admin.describeConfigs({
    includeSynonyms: true,
    resources: [
      { resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms', 'cleanup.policy'] },
      { resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions'] },
    ],
  });
  const retention = described[0].configs.find((c) => c.name === 'retention.ms');
  out({
    retention: { value: retention.value, source: retention.configSource, synonyms: retention.synonyms.map((s) => `${s.name}=${s.value} ${s.source}`) },
    brokerNumPartitions: described[1].configs[0].value,
  });

  const altered = await failure(admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '99999' }] }] }));
  const [after] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] }] });
  const unknownKey = await failure(admin.alterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'no.such.key', value: '1' }] }] }));
  out({ altered, retentionAfter: `${after.configs[0].value} ${after.configs[0].configSource}`, unknownKey });

  const grown = await failure(admin.createPartitions({ topics: [{ name: topic, count: 3 }] }));
  const shrunk = await failure(admin.createPartitions({ topics: [{ name: topic, count: 2 }] }));
  out({ grown, decrease: shrunk });

  const [deleted] = await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 4n }] }] });
  const past = await failure(admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 1000n }] }] }));
  const [earliest] = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }] });
  out({ lowWatermark: deleted.partitions[0].lowWatermark, past, earliest: earliest.partitions[0].offset });

  const plain = new Producer({ ...base, serializers: stringSerializers });
  const future = await failure(plain.send({ messages: [{ topic, partition: 0, value: 'late', timestamp: BigInt(Date.now()) + 50n * YEAR_MS }] }));
  await plain.send({ messages: [{ topic: stamped, partition: 0, value: 'stamped', timestamp: 1000n }] });
  await plain.close();
  await producer.close();
  // this client reads every record's timestamp as first timestamp + delta, whatever the batch's
  // timestamp type (against Kafka too): what it sees is the producer's; the test reads the log
  const { seen: [stampedMessage] } = await consumeAll(stamped, `${prefix}-stamped-group`, 1);
  out({ future, stampedSeen: stampedMessage.timestamp });

  await admin.deleteTopics({ topics: [topic] });
  const unknown = await failure(admin.deleteTopics({ topics: ['no-such-topic'] }));
  out({ listed: (await admin.listTopics()).includes(topic), deleteUnknown: unknown });
} finally {
  await admin.close();
}
