/**
 * End-to-end latency with the broker's own minimal client (raw-client.ts) instead of kcat: one
 * connection produces (every tick, the records due at the fixed rate go out as one RecordBatch v2,
 * acks=1, like a producer with linger 1 ms), another long-polls Fetch v11 and decodes each batch;
 * latency = receipt time - the send time carried in each record's value. This isolates the
 * broker's share from librdkafka's internal queues and the kcat pipes.
 */
import { performance } from 'node:perf_hooks';
import { buildBatch } from '../../core/format/records.js';
import { decodeBatch } from '../../core/format/records.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { summarizeLatencies, type LatencySummary } from './kafka-target.js';

export interface RawEndToEndOptions {
  host: string;
  port: number;
  topic: string;
  records: number;
  recordBytes: number;
  ratePerSecond: number;
}

/** Records per produced batch: 1000 x 100 B stays well under message.max.bytes. */
const BATCH_RECORDS_MAX = 1000;

const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;

async function createTopic(c: RawKafkaClient, topic: string): Promise<void> {
  const r = await c.request(ApiKey.CreateTopics, 1, (w) => {
    w.arrayLength(1).string(topic).int32(1).int16(1).arrayLength(0).arrayLength(0).int32(10_000).bool(false);
  });
  r.int32();
  r.string();
  const code = r.int16();
  if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${topic}: error ${code}`);
}

export async function runRawEndToEnd(o: RawEndToEndOptions): Promise<LatencySummary & { ratePerSecond: number; achievedRatePerSecond: number }> {
  const producer = await RawKafkaClient.connect(o.port, o.host);
  const consumer = await RawKafkaClient.connect(o.port, o.host);
  await createTopic(producer, o.topic);
  const latencies = new Float64Array(o.records);
  let received = 0;
  let fetchOffset = 0;
  let stop = false;
  const consuming = (async () => {
    while (!stop && received < o.records) {
      const r = await consumer.request(ApiKey.Fetch, 11, (w) => {
        w.int32(-1).int32(100).int32(1).int32(1 << 20).int8(0).int32(0).int32(-1);
        w.arrayLength(1).string(o.topic).arrayLength(1).int32(0).int32(-1).int64(fetchOffset).int64(-1).int32(1 << 20);
        w.arrayLength(0).string('');
      });
      const at = nowMicros();
      r.int32();
      r.int16();
      r.int32();
      r.int32();
      r.string();
      r.int32();
      r.int32();
      const errorCode = r.int16();
      if (errorCode !== 0) throw new Error(`fetch error ${errorCode}`);
      r.int64();
      r.int64();
      r.int64();
      r.nullableArray((r) => [r.int64(), r.int64()]);
      r.int32();
      const records = r.nullableBytes();
      if (!records) continue;
      for (let p = 0; p < records.length; ) {
        const b = await decodeBatch(records, p, { trusted: true });
        for (const rec of b.records) {
          if (rec.offset < fetchOffset) continue;
          if (received < latencies.length) latencies[received++] = (at - Number(rec.value!.toString('latin1', 0, 16))) / 1000;
          fetchOffset = rec.offset + 1;
        }
        p += b.sizeBytes;
      }
    }
  })();
  const filler = Buffer.alloc(Math.max(0, o.recordBytes - 16), 'x');
  const start = performance.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  let produceError: Error | undefined;
  while (sent < o.records) {
    const due = Math.min(o.records, Math.floor(((performance.now() - start) / 1000) * o.ratePerSecond));
    while (due > sent) {
      // after a stall many records are due at once: batches of at most BATCH_RECORDS_MAX keep
      // each under message.max.bytes
      const n = Math.min(due - sent, BATCH_RECORDS_MAX);
      const ts = Buffer.from(String(Math.floor(nowMicros())).padStart(16, '0'), 'latin1');
      const value = Buffer.concat([ts, filler]);
      const batch = buildBatch(Array.from({ length: n }, () => ({ value })));
      sent += n;
      inflight.push(
        producer
          .request(ApiKey.Produce, 7, (w) => {
            w.nullableString(null).int16(1).int32(10_000);
            w.arrayLength(1).string(o.topic).arrayLength(1).int32(0).nullableBytes(batch);
          })
          .then((r) => {
            r.int32();
            r.string();
            r.int32();
            r.int32();
            const code = r.int16();
            if (code !== 0) produceError ??= new Error(`produce failed with Kafka error ${code}`);
          })
          .catch((err: unknown) => {
            produceError ??= err as Error;
          }),
      );
      if (inflight.length > 1000) await inflight.shift();
    }
    // a 1 ms timer, not a busy loop: the machine is small and the broker needs the CPU
    await new Promise((r) => setTimeout(r, 1));
  }
  const achievedRatePerSecond = o.records / ((performance.now() - start) / 1000);
  await Promise.all(inflight);
  // a loaded machine can leave the consumer behind; give it time to catch up (the lag is latency)
  await Promise.race([consuming, new Promise((r) => setTimeout(r, 60_000))]);
  stop = true;
  await producer.close();
  await consumer.close();
  if (produceError) throw produceError;
  if (received < o.records) throw new Error(`raw end-to-end: received ${received} of ${o.records}`);
  return { ...summarizeLatencies(latencies), ratePerSecond: o.ratePerSecond, achievedRatePerSecond };
}
