"""confluent-kafka's AdminClient group calls around one consumer of a group, for
test/peers/python/python-groups.test.ts: prints one JSON object per step on stdout.

    python3 admin_groups.py BOOTSTRAP TOPIC GROUP
"""
import json
import sys
import time

from confluent_kafka import Consumer, ConsumerGroupState, ConsumerGroupType, KafkaException
from confluent_kafka.admin import AdminClient

TIMEOUT_S = 30


def step(name, **fields):
    print(json.dumps({"step": name, **fields}), flush=True)


def listed(admin, group, **filters):
    result = admin.list_consumer_groups(request_timeout=TIMEOUT_S, **filters).result(TIMEOUT_S)
    found = [g for g in result.valid if g.group_id == group]
    errors = [str(e) for e in result.errors]
    if not found:
        return {"listed": False, "errors": errors}
    g = found[0]
    return {"listed": True, "state": g.state.name, "type": g.type.name, "simple": g.is_simple_consumer_group, "errors": errors}


def describe(admin, group):
    try:
        d = admin.describe_consumer_groups([group], request_timeout=TIMEOUT_S)[group].result(TIMEOUT_S)
    except KafkaException as e:
        return {"error": e.args[0].name()}
    members = [{"clientId": m.client_id, "host": m.host, "assigned": sorted(tp.partition for tp in m.assignment.topic_partitions)} for m in d.members]
    return {"state": d.state.name, "simple": d.is_simple_consumer_group, "assignor": d.partition_assignor, "coordinator": d.coordinator.id, "members": members}


def delete_group(admin, group):
    try:
        admin.delete_consumer_groups([group], request_timeout=TIMEOUT_S)[group].result(TIMEOUT_S)
        return {"result": "ok"}
    except KafkaException as e:
        return {"result": e.args[0].name()}


def main():
    bootstrap, topic, group = sys.argv[1:4]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "py-groups-consumer",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    deadline = time.monotonic() + 60
    received = 0
    while received == 0:
        if time.monotonic() > deadline:
            raise SystemExit("no record within 60 s")
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            received += 1
    consumer.commit(asynchronous=False)
    step("consuming", received=received)
    step("list", **listed(admin, group))
    step("listStable", **listed(admin, group, states={ConsumerGroupState.STABLE}))
    step("listEmpty", **listed(admin, group, states={ConsumerGroupState.EMPTY}))
    step("listClassic", **listed(admin, group, types={ConsumerGroupType.CLASSIC}))
    step("describe", **describe(admin, group))
    step("describeMissing", **describe(admin, "no-such-group"))
    step("deleteGroupWhileActive", **delete_group(admin, group))
    consumer.close()
    step("describeAfterLeave", **describe(admin, group))
    step("deleteGroup", **delete_group(admin, group))
    step("listAfterDelete", **listed(admin, group))


if __name__ == "__main__":
    main()
