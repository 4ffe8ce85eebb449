"""confluent-kafka (librdkafka) against a SASL / mTLS listener of `strata serve`, for
test/broker/security-clients.test.ts. Usage: python3 secure_client.py CASES.json
CASES.json is a list of {"case", "conf", "topic", "group", "count"}; "conf" is librdkafka
configuration (security.protocol, sasl.mechanisms, sasl.username, ssl.* ...). For each case a
producer sends "count" records (acks=all) and a group consumer reads them back; one JSON line per
case: {"case", "produced", "consumed", "errors": [error names], "messages": [texts]}."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer


def run_case(case):
    errors, messages = [], []

    def on_error(err):
        errors.append(err.name())
        messages.append(err.str())

    conf = dict(case["conf"], error_cb=on_error)
    delivered = []

    def on_delivery(err, msg):
        if err is None:
            delivered.append(msg.offset())
        else:
            errors.append(err.name())
            messages.append(err.str())

    producer = Producer(dict(conf, **{"acks": "all", "message.timeout.ms": 6000}))
    for i in range(case["count"]):
        producer.produce(case["topic"], key=f"k{i}", value=f"v{i}", on_delivery=on_delivery)
    producer.flush(30)
    consumed = 0
    if len(delivered) == case["count"]:
        consumer = Consumer(dict(conf, **{"group.id": case["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False}))
        consumer.subscribe([case["topic"]])
        deadline = time.time() + 30
        while consumed < case["count"] and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                errors.append(msg.error().name())
                messages.append(msg.error().str())
                break
            consumed += 1
        consumer.close()
    return {"case": case["case"], "produced": len(delivered), "consumed": consumed, "errors": sorted(set(errors)), "messages": messages[:3]}


for c in json.load(open(sys.argv[1])):
    print(json.dumps(run_case(c)), flush=True)
