"""confluent-kafka (librdkafka in its wheel) against a broker, for test/peers/python/confluent-kafka.test.ts.

    python3 confluent_calls.py BOOTSTRAP PREFIX

Produces with every codec through an idempotent producer, consumes in a group and commits, then
makes the admin calls test suites make (list_offsets max_timestamp, describe_configs,
create_partitions, delete_records, delete_topics) and checks the timestamp topic configs. Prints
one JSON object per step on stdout.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, TIMESTAMP_LOG_APPEND_TIME
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic, OffsetSpec

TIMEOUT_S = 30
YEAR_MS = 365 * 24 * 3600 * 1000


def out(**step):
    print(json.dumps(step), flush=True)


def error_name(future):
    try:
        future.result(timeout=TIMEOUT_S)
        return "none"
    except KafkaException as e:
        return e.args[0].name()


def produce(bootstrap, topic, records, **config):
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, **config})
    for value, timestamp in records:
        producer.produce(topic, value=value, partition=0, timestamp=timestamp, on_delivery=lambda err, msg: errors.append(err.name() if err else None))
    producer.flush(TIMEOUT_S)
    return errors


def consume(bootstrap, topic, group, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = []
    deadline = time.time() + TIMEOUT_S
    while len(seen) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        seen.append(msg)
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(topic, 0)], timeout=TIMEOUT_S)[0].offset
    consumer.close()
    return seen, committed


def main():
    bootstrap, prefix = sys.argv[1], sys.argv[2]
    topic, stamped = prefix + "-main", prefix + "-stamped"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "123456"}), NewTopic(stamped, 1, 1, config={"message.timestamp.type": "LogAppendTime"})]).values():
        f.result(timeout=TIMEOUT_S)

    # ten records per codec, through an idempotent producer; offset 5 has the newest timestamp
    t0 = int(time.time() * 1000) - 60_000
    codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
    for n, codec in enumerate(codecs):
        records = [(f"{codec}-{i}".encode(), t0 + (5_000 if n == 0 and i == 5 else n * 100 + i)) for i in range(10)]
        errors = produce(bootstrap, topic, records, **{"enable.idempotence": True, "compression.type": codec, "linger.ms": 5})
        out(codec=codec, delivered=errors.count(None), errors=[e for e in errors if e])
    seen, committed = consume(bootstrap, topic, prefix + "-group", 10 * len(codecs))
    out(consumed=len(seen), distinct=len({m.value() for m in seen}), committed=committed)

    tp0 = TopicPartition(topic, 0)
    info = admin.list_offsets({tp0: OffsetSpec.max_timestamp()})[tp0].result(timeout=TIMEOUT_S)
    out(maxTimestamp={"offset": info.offset, "timestamp": info.timestamp - t0})

    res, broker_res = ConfigResource("TOPIC", topic), ConfigResource("BROKER", "0")
    described = {r.name: f.result(timeout=TIMEOUT_S) for r, f in admin.describe_configs([res, broker_res]).items()}
    retention = described[topic]["retention.ms"]
    out(
        retention={"value": retention.value, "source": retention.source, "synonyms": [f"{s.name}={s.value} {s.source}" for s in retention.synonyms.values()]},
        cleanup={"value": described[topic]["cleanup.policy"].value, "source": described[topic]["cleanup.policy"].source},
        brokerNumPartitions=described["0"]["num.partitions"].value,
    )

    alter = ConfigResource("TOPIC", topic, incremental_configs=[ConfigEntry("retention.ms", "99999", incremental_operation=AlterConfigOpType.SET)])
    altered = error_name(admin.incremental_alter_configs([alter])[alter])
    after = {r.name: f.result(timeout=TIMEOUT_S) for r, f in admin.describe_configs([ConfigResource("TOPIC", topic)]).items()}[topic]["retention.ms"]
    bad = ConfigResource("TOPIC", topic, incremental_configs=[ConfigEntry("no.such.key", "1", incremental_operation=AlterConfigOpType.SET)])
    out(altered=altered, retentionAfter=f"{after.value} {after.source}", unknownKey=error_name(admin.incremental_alter_configs([bad])[bad]))

    grown = error_name(admin.create_partitions([NewPartitions(topic, 3)])[topic])
    shrunk = error_name(admin.create_partitions([NewPartitions(topic, 2)])[topic])
    partitions = len(admin.list_topics(topic, timeout=TIMEOUT_S).topics[topic].partitions)
    out(grown=grown, partitions=partitions, decrease=shrunk)

    deleted = admin.delete_records([TopicPartition(topic, 0, 4)])[tp0].result(timeout=TIMEOUT_S)
    past = error_name(admin.delete_records([TopicPartition(topic, 0, 1000)])[tp0])
    earliest = admin.list_offsets({tp0: OffsetSpec.earliest()})[tp0].result(timeout=TIMEOUT_S).offset
    out(lowWatermark=deleted.low_watermark, past=past, earliest=earliest)

    future = produce(bootstrap, topic, [(b"late", int(time.time() * 1000) + 50 * YEAR_MS)])
    before = int(time.time() * 1000)
    produce(bootstrap, stamped, [(b"stamped", 1000)])
    [msg], _ = consume(bootstrap, stamped, prefix + "-stamped-group", 1)
    kind, ts = msg.timestamp()
    out(future=future, stampedType=kind == TIMESTAMP_LOG_APPEND_TIME, stampedOk=before <= ts <= int(time.time() * 1000))

    admin.delete_topics([topic])[topic].result(timeout=TIMEOUT_S)
    unknown = error_name(admin.delete_topics(["no-such-topic"])["no-such-topic"])
    out(listed=topic in admin.list_topics(timeout=TIMEOUT_S).topics, deleteUnknown=unknown)


if __name__ == "__main__":
    main()
