/**
 * JoinGroup's protocol check, at the frame level (JoinGroup v5, SyncGroup v3, Heartbeat v3 over
 * real sockets): Kafka's ClassicGroup.supportsProtocols counts a member already in the group with
 * the protocols it joined with, so a group's only member can always rejoin with its own member id
 * - after its partner's session timed out, or when it rejoins on its own - and gets error 0 and
 * the next generation. A new member or a different protocol type still gets
 * INCONSISTENT_GROUP_PROTOCOL (23), as in Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { commit, heartbeat, join, sync } from './group-requests.js';
import { startTestBroker, type TestBroker } from './helpers.js';

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
