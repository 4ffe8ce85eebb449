/** Classic group requests at the frame level (JoinGroup v5, SyncGroup v3, Heartbeat v3, OffsetCommit v7) for the broker tests. */
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { KafkaWriter } from '../../broker/protocol/writer.js';
import type { RawKafkaClient } from '../../broker/raw-client.js';

export interface Joined {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: string[];
}

/** A ConsumerProtocolSubscription v0 of the given topics (no user data). */
export function subscription(topics: readonly string[]): Buffer {
  const w = new KafkaWriter();
  w.int16(0).array(topics, (w, t) => w.string(t)).nullableBytes(null);
  return Buffer.from(w.toBuffer());
}

const METADATA = subscription(['rejoin-topic']);

export async function join(c: RawKafkaClient, group: string, memberId: string, opts: { sessionTimeoutMs?: number; protocols?: string[]; protocolType?: string; metadata?: Buffer } = {}): Promise<Joined> {
  const protocols = opts.protocols ?? ['range', 'cooperative-sticky'];
  const r = await c.request(ApiKey.JoinGroup, 5, (w) => {
    w.string(group).int32(opts.sessionTimeoutMs ?? 10_000).int32(10_000).string(memberId).nullableString(null).string(opts.protocolType ?? 'consumer');
    w.array(protocols, (w, name) => w.string(name).bytes(opts.metadata ?? METADATA));
  });
  r.int32(); // throttle
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const id = r.string();
  const members = r.array((r) => {
    const m = r.string();
    r.nullableString();
    r.bytes();
    return m;
  });
  return { errorCode, generationId, protocolName, leader, memberId: id, members };
}

export async function sync(c: RawKafkaClient, group: string, j: Joined): Promise<number> {
  const r = await c.request(ApiKey.SyncGroup, 3, (w) => {
    w.string(group).int32(j.generationId).string(j.memberId).nullableString(null);
    w.array(j.members, (w, m) => w.string(m).bytes(Buffer.from('assignment')));
  });
  r.int32();
  return r.int16();
}

export async function heartbeat(c: RawKafkaClient, group: string, j: Joined): Promise<number> {
  const r = await c.request(ApiKey.Heartbeat, 3, (w) => w.string(group).int32(j.generationId).string(j.memberId).nullableString(null));
  r.int32();
  return r.int16();
}

/** OffsetCommit v7 of offset 1 for partition 0 of a topic ('rejoin-topic'); the partition's error code. */
export async function commit(c: RawKafkaClient, group: string, generationId: number, memberId: string, topic = 'rejoin-topic'): Promise<number> {
  const r = await c.request(ApiKey.OffsetCommit, 7, (w) => {
    w.string(group).int32(generationId).string(memberId).nullableString(null);
    w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(1).int32(-1).nullableString(null)));
  });
  r.int32();
  const [answered] = r.array((r) => ({ name: r.string(), codes: r.array((r) => (r.int32(), r.int16())) }));
  return answered!.codes[0]!;
}
