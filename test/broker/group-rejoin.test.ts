/**
 * JoinGroup's protocol check, at the frame level (JoinGroup v5, SyncGroup v3, Heartbeat v3 over
 * real sockets): Kafka's ClassicGroup.supportsProtocols counts a member already in the group with
 * the protocols it joined with, so a group's only member can always rejoin with its own member id
 * - after its partner's session timed out, or when it rejoins on its own - and gets error 0 and
 * the next generation. A new member or a different protocol type still gets
 * INCONSISTENT_GROUP_PROTOCOL (23), as in Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startTestBroker, type TestBroker } from './helpers.js';

interface Joined {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: string[];
}

const METADATA = Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);

async function join(c: RawKafkaClient, group: string, memberId: string, opts: { sessionTimeoutMs?: number; protocols?: string[]; protocolType?: string } = {}): Promise<Joined> {
  const protocols = opts.protocols ?? ['range', 'cooperative-sticky'];
  const r = await c.request(ApiKey.JoinGroup, 5, (w) => {
    w.string(group).int32(opts.sessionTimeoutMs ?? 10_000).int32(10_000).string(memberId).nullableString(null).string(opts.protocolType ?? 'consumer');
    w.array(protocols, (w, name) => w.string(name).bytes(METADATA));
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

async function sync(c: RawKafkaClient, group: string, j: Joined): Promise<number> {
  const r = await c.request(ApiKey.SyncGroup, 3, (w) => {
    w.string(group).int32(j.generationId).string(j.memberId).nullableString(null);
    w.array(j.members, (w, m) => w.string(m).bytes(Buffer.from('assignment')));
  });
  r.int32();
  return r.int16();
}

async function heartbeat(c: RawKafkaClient, group: string, j: Joined): Promise<number> {
  const r = await c.request(ApiKey.Heartbeat, 3, (w) => w.string(group).int32(j.generationId).string(j.memberId).nullableString(null));
  r.int32();
  return r.int16();
}

/** OffsetCommit v7 of offset 1 for partition 0 of topic 'rejoin-topic'; the partition's error code. */
async function commit(c: RawKafkaClient, group: string, generationId: number, memberId: string): Promise<number> {
  const r = await c.request(ApiKey.OffsetCommit, 7, (w) => {
    w.string(group).int32(generationId).string(memberId).nullableString(null);
    w.array(['rejoin-topic'], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(1).int32(-1).nullableString(null)));
  });
  r.int32();
  const [topic] = r.array((r) => ({ name: r.string(), codes: r.array((r) => (r.int32(), r.int16())) }));
  return topic!.codes[0]!;
}

let broker: TestBroker;
const clients: RawKafkaClient[] = [];
async function client(): Promise<RawKafkaClient> {
  const c = await RawKafkaClient.connect(broker.port);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.min.session.timeout.ms': '100' } });
  await broker.server.topics.create('rejoin-topic', 1);
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await broker?.close();
});

describe('JoinGroup: a member already in the group', () => {
  it("a group's only member rejoins with its own member id and gets the next generation", async () => {
    const a = await client();
    const first = await join(a, 'g-sole', '');
    expect(first.errorCode).toBe(ErrorCode.NONE);
    expect(first.leader).toBe(first.memberId);
    expect(await sync(a, 'g-sole', first)).toBe(ErrorCode.NONE);
    const again = await join(a, 'g-sole', first.memberId);
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: first.generationId + 1, memberId: first.memberId, leader: first.memberId, protocolName: 'range' });
    expect(again.members).toEqual([first.memberId]);
    expect(await sync(a, 'g-sole', again)).toBe(ErrorCode.NONE);
  });

  it("the survivor rejoins after its partner's session timed out, and is the group alone", async () => {
    const [a, b] = [await client(), await client()];
    const a1 = await join(a, 'g-pair', '');
    expect(await sync(a, 'g-pair', a1)).toBe(ErrorCode.NONE);
    const bJoining = join(b, 'g-pair', '', { sessionTimeoutMs: 300 });
    expect(await heartbeat(a, 'g-pair', a1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await join(a, 'g-pair', a1.memberId);
    const b2 = await bJoining;
    expect([a2.errorCode, b2.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(a2.members.sort()).toEqual([a1.memberId, b2.memberId].sort());
    expect(await Promise.all([sync(a, 'g-pair', a2), sync(b, 'g-pair', b2)])).toEqual([ErrorCode.NONE, ErrorCode.NONE]);

    // b stops heartbeating: its 300 ms session runs out and the group rebalances without it
    const deadline = Date.now() + 10_000;
    while (broker.server.groups.groupState('g-pair')!.members !== 1) {
      if (Date.now() > deadline) throw new Error(`b was not removed; log: ${broker.lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await heartbeat(a, 'g-pair', a2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const a3 = await join(a, 'g-pair', a1.memberId);
    expect(a3).toMatchObject({ errorCode: ErrorCode.NONE, generationId: a2.generationId + 1, leader: a1.memberId });
    expect(a3.members).toEqual([a1.memberId]);
    expect(await sync(a, 'g-pair', a3)).toBe(ErrorCode.NONE);
    expect(broker.server.groups.groupState('g-pair')).toEqual({ state: 'Stable', generationId: a3.generationId, members: 1 });
  });

  it('a new member none of whose protocols every member supports, or of another protocol type, gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    const [a, b] = [await client(), await client()];
    const a1 = await join(a, 'g-strict', '', { protocols: ['range'] });
    expect(await sync(a, 'g-strict', a1)).toBe(ErrorCode.NONE);
    expect((await join(b, 'g-strict', '', { protocols: ['roundrobin'] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(b, 'g-strict', '', { protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // as in Kafka, the check counts the member's own earlier protocols: dropping all of them is refused too
    expect((await join(a, 'g-strict', a1.memberId, { protocols: ['roundrobin'] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(a, 'g-strict', a1.memberId, { protocols: ['roundrobin', 'range'] })).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('OffsetCommit during a rebalance (Kafka\'s ClassicGroup.validateOffsetCommit)', () => {
  it('a member of the current generation commits while the group prepares a rebalance (an eager consumer does before it rejoins)', async () => {
    const [a, b] = [await client(), await client()];
    const a1 = await join(a, 'g-commit', '');
    expect(await sync(a, 'g-commit', a1)).toBe(ErrorCode.NONE);
    const bJoining = join(b, 'g-commit', '');
    expect(await heartbeat(a, 'g-commit', a1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await commit(a, 'g-commit', a1.generationId, a1.memberId)).toBe(ErrorCode.NONE);
    expect(broker.server.groups.offsetStore.get('g-commit', 'rejoin-topic', 0)?.offset).toBe(1);
    // an old generation, an unknown member, or a commit without a member to a group with members are still refused
    expect(await commit(a, 'g-commit', a1.generationId - 1, a1.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit(a, 'g-commit', a1.generationId, 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit(a, 'g-commit', -1, '')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const a2 = await join(a, 'g-commit', a1.memberId);
    await bJoining;
    // between JoinGroup and SyncGroup: REBALANCE_IN_PROGRESS
    expect(await commit(a, 'g-commit', a2.generationId, a2.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });
});
