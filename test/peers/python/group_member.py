"""A kafka-python group member for the survivor scenario of test/peers/group-survivor.ts:

    python3 group_member.py BOOTSTRAP TOPIC GROUP PARTITIONS MAX_POLL_RECORDS PAUSE_MS

Prints {"assigned":[...]} / {"revoked":[...]} at each rebalance, {"p":P,"o":O} per record and
{"committed":{P:NEXT}} after each synchronous commit (one per poll); pauses PAUSE_MS between
polls; exits 0 once it holds all PARTITIONS partitions and has read each to its end. Any client
error (CommitFailedError ...) propagates and exits 1.
"""
import json
import sys
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

DEADLINE_S = 120


def out(obj):
    print(json.dumps(obj), flush=True)


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        out({"revoked": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        out({"assigned": sorted(tp.partition for tp in assigned)})


def main():
    bootstrap, topic, group = sys.argv[1:4]
    partitions, max_poll_records, pause_ms = (int(a) for a in sys.argv[4:7])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, max_poll_records=max_poll_records,
                             session_timeout_ms=6000, heartbeat_interval_ms=1000)
    consumer.subscribe([topic], listener=Listener())
    deadline = time.monotonic() + DEADLINE_S
    received = 0
    while True:
        if time.monotonic() > deadline:
            raise SystemExit(f"not done after {DEADLINE_S} s: received {received}, assignment {consumer.assignment()}")
        batches = consumer.poll(timeout_ms=200)
        nxt = {}
        for tp, recs in batches.items():
            for r in recs:
                received += 1
                out({"p": r.partition, "o": r.offset})
                nxt[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        if nxt:
            consumer.commit(nxt)
            out({"committed": {str(tp.partition): m.offset for tp, m in nxt.items()}})
        assignment = consumer.assignment()
        if len(assignment) == partitions:
            ends = consumer.end_offsets(list(assignment))
            if all(consumer.position(tp) >= ends[tp] for tp in assignment):
                break
        if pause_ms > 0:
            time.sleep(pause_ms / 1000)
    out({"done": True, "received": received})
    consumer.close()


if __name__ == "__main__":
    main()
