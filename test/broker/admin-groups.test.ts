/**
 * DescribeGroups, ListGroups, OffsetDelete and DeleteGroups at the frame level, in their classic
 * and flexible versions, against groups made over real sockets: a Stable consumer group, a group
 * of another protocol type, and a "simple" group known only by an offset committed outside any
 * generation. The answers and error codes are those of Kafka's GroupCoordinator.
 */
import fs from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFSETS_FILE } from '../../broker/offset-store.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import type { KafkaReader } from '../../broker/protocol/reader.js';
import type { KafkaWriter } from '../../broker/protocol/writer.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { commit, join, subscription, sync, type Joined } from './group-requests.js';
import { startTestBroker, type TestBroker } from './helpers.js';

const INT32_MIN = -2147483648;

interface Described {
  errorCode: number;
  errorMessage?: string | null;
  groupId: string;
  state: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; clientId: string; metadata: Buffer; assignment: Buffer }[];
  authorizedOperations?: number;
}

/** A request whose body is the group ids, then what `more` writes (flexible: compact, tagged fields last). */
function requestForGroups(c: RawKafkaClient, apiKey: number, version: number, flexible: boolean, groups: string[], more: (w: KafkaWriter) => void = () => {}): Promise<KafkaReader> {
  return c.request(
    apiKey,
    version,
    (w) => {
      w.array(groups, (w, g) => w.str(g, flexible), flexible);
      more(w);
      w.tags(flexible);
    },
    { flexibleResponse: flexible },
  );
}

async function describeGroups(c: RawKafkaClient, version: number, groups: string[], includeAuthorizedOperations = false): Promise<Described[]> {
  const flexible = version >= 5;
  const r = await requestForGroups(c, ApiKey.DescribeGroups, version, flexible, groups, (w) => {
    if (version >= 3) w.bool(includeAuthorizedOperations);
  });
  if (version >= 1) r.int32();
  const out = r.arr(flexible, (r) => {
    const errorCode = r.int16();
    const errorMessage = version >= 6 ? r.nullableStr(flexible) : undefined;
    const [groupId, state, protocolType, protocolData] = [r.str(flexible), r.str(flexible), r.str(flexible), r.str(flexible)];
    const members = r.arr(flexible, (r) => {
      const memberId = r.str(flexible);
      if (version >= 4) r.nullableStr(flexible);
      const clientId = r.str(flexible);
      r.str(flexible); // client host
      const m = { memberId, clientId, metadata: Buffer.from(r.byteArray(flexible)), assignment: Buffer.from(r.byteArray(flexible)) };
      r.tags(flexible);
      return m;
    });
    const authorizedOperations = version >= 3 ? r.int32() : undefined;
    r.tags(flexible);
    return { errorCode, errorMessage, groupId, state, protocolType, protocolData, members, authorizedOperations };
  });
  r.tags(flexible);
  r.expectEnd('DescribeGroups response');
  return out;
}

async function listGroups(c: RawKafkaClient, version: number, filters: { states?: string[]; types?: string[] } = {}): Promise<{ errorCode: number; groups: Record<string, string>[] }> {
  const flexible = version >= 3;
  const r = await c.request(
    ApiKey.ListGroups,
    version,
    (w) => {
      if (version >= 4) w.array(filters.states ?? [], (w, s) => w.str(s, flexible), flexible);
      if (version >= 5) w.array(filters.types ?? [], (w, s) => w.str(s, flexible), flexible);
      w.tags(flexible);
    },
    { flexibleResponse: flexible },
  );
  if (version >= 1) r.int32();
  const errorCode = r.int16();
  const groups = r.arr(flexible, (r) => {
    const g: Record<string, string> = { groupId: r.str(flexible), protocolType: r.str(flexible) };
    if (version >= 4) g.state = r.str(flexible);
    if (version >= 5) g.type = r.str(flexible);
    r.tags(flexible);
    return g;
  });
  r.tags(flexible);
  r.expectEnd('ListGroups response');
  return { errorCode, groups: groups.sort((a, b) => a.groupId!.localeCompare(b.groupId!)) };
}

async function offsetDelete(c: RawKafkaClient, group: string, topics: Record<string, number[]>): Promise<{ errorCode: number; partitions: Record<string, number> }> {
  const r = await c.request(ApiKey.OffsetDelete, 0, (w) => {
    w.string(group).array(Object.entries(topics), (w, [t, ps]) => w.string(t).array(ps, (w, p) => w.int32(p)));
  });
  const errorCode = r.int16();
  r.int32();
  const partitions: Record<string, number> = {};
  r.array((r: KafkaReader) => {
    const t = r.string();
    r.array((r) => (partitions[`${t}-${r.int32()}`] = r.int16()));
  });
  r.expectEnd('OffsetDelete response');
  return { errorCode, partitions };
}

async function deleteGroups(c: RawKafkaClient, version: number, groups: string[]): Promise<Record<string, number>> {
  const flexible = version >= 2;
  const r = await requestForGroups(c, ApiKey.DeleteGroups, version, flexible, groups);
  r.int32();
  const out: Record<string, number> = {};
  r.arr(flexible, (r) => {
    const g = r.str(flexible);
    out[g] = r.int16();
    r.tags(flexible);
  });
  r.tags(flexible);
  r.expectEnd('DeleteGroups response');
  return out;
}

let broker: TestBroker;
let c: RawKafkaClient;
let stable: Joined;
let other: Joined;
const ASSIGNMENT = Buffer.from('assignment');

beforeAll(async () => {
  broker = await startTestBroker();
  await broker.server.topics.create('orders', 2);
  await broker.server.topics.create('audit', 1);
  c = await RawKafkaClient.connect(broker.port);
  // a Stable consumer group subscribed to 'orders'
  stable = await join(c, 'g-stable', '', { metadata: subscription(['orders']) });
  expect(await sync(c, 'g-stable', stable)).toBe(ErrorCode.NONE);
  // a Stable group of another protocol type (Kafka Connect's)
  other = await join(c, 'g-connect', '', { protocolType: 'connect', protocols: ['sessioned'] });
  expect(await sync(c, 'g-connect', other)).toBe(ErrorCode.NONE);
  // a simple group: an offset committed outside any generation
  expect(await commit(c, 'g-simple', -1, '', 'orders')).toBe(ErrorCode.NONE);
  expect(await commit(c, 'g-simple', -1, '', 'audit')).toBe(ErrorCode.NONE);
});
afterAll(async () => {
  await c?.close();
  await broker?.close();
});

describe('DescribeGroups', () => {
  it('v0-v5 describe a Stable group with its members, metadata and assignment; a missing group is Dead', async () => {
    for (const v of [0, 3, 4, 5]) {
      const [g, missing] = await describeGroups(c, v, ['g-stable', 'nope']);
      expect(g).toMatchObject({ errorCode: 0, groupId: 'g-stable', state: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(g!.members).toEqual([{ memberId: stable.memberId, clientId: 'strata-raw-client', metadata: subscription(['orders']), assignment: ASSIGNMENT }]);
      expect(missing).toMatchObject({ errorCode: 0, groupId: 'nope', state: 'Dead', protocolType: '', protocolData: '', members: [] });
      if (v >= 3) expect(g!.authorizedOperations).toBe(INT32_MIN);
    }
  });

  it('v6 names a missing group GROUP_ID_NOT_FOUND; a simple group is Empty; authorized operations are those of a group without an authorizer', async () => {
    const [missing, simple, g] = await describeGroups(c, 6, ['nope', 'g-simple', 'g-stable'], true);
    expect(missing).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group nope not found.', state: 'Dead', members: [] });
    expect(missing!.authorizedOperations).toBe(INT32_MIN);
    expect(simple).toMatchObject({ errorCode: 0, errorMessage: null, state: 'Empty', protocolType: '', members: [] });
    // READ (3), DELETE (6), DESCRIBE (8), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11)
    expect(g!.authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11));
  });
});

describe('ListGroups', () => {
  it('v0-v5 list every group, simple ones included; v4 filters by state (any case), v5 by type', async () => {
    const v0 = await listGroups(c, 0);
    expect(v0).toEqual({
      errorCode: 0,
      groups: [
        { groupId: 'g-connect', protocolType: 'connect' },
        { groupId: 'g-simple', protocolType: '' },
        { groupId: 'g-stable', protocolType: 'consumer' },
      ],
    });
    expect((await listGroups(c, 3)).groups).toEqual(v0.groups);
    expect((await listGroups(c, 4, { states: [' EMPTY '] })).groups).toEqual([{ groupId: 'g-simple', protocolType: '', state: 'Empty' }]);
    expect((await listGroups(c, 4, { states: ['stable'] })).groups.map((g) => g.groupId)).toEqual(['g-connect', 'g-stable']);
    expect((await listGroups(c, 5, { types: ['Classic'] })).groups.map((g) => g.type)).toEqual(['classic', 'classic', 'classic']);
    expect((await listGroups(c, 5, { types: ['consumer'] })).groups).toEqual([]);
    expect((await listGroups(c, 5, { states: ['Stable'], types: ['classic'] })).groups).toEqual([
      { groupId: 'g-connect', protocolType: 'connect', state: 'Stable', type: 'classic' },
      { groupId: 'g-stable', protocolType: 'consumer', state: 'Stable', type: 'classic' },
    ]);
  });
});

describe('OffsetDelete', () => {
  it("refuses what Kafka refuses: no group id, a missing group, a non-consumer group with members, a subscribed topic, an unknown partition", async () => {
    expect(await offsetDelete(c, '', { orders: [0] })).toEqual({ errorCode: ErrorCode.INVALID_GROUP_ID, partitions: {} });
    expect(await offsetDelete(c, 'nope', { orders: [0] })).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: {} });
    expect(await offsetDelete(c, 'g-connect', { orders: [0] })).toEqual({ errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: {} });
    expect(await commit(c, 'g-stable', stable.generationId, stable.memberId, 'audit')).toBe(ErrorCode.NONE);
    expect(await offsetDelete(c, 'g-stable', { orders: [0, 1], audit: [0, 5], ghost: [0] })).toEqual({
      errorCode: 0,
      partitions: { 'orders-0': ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'orders-1': ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'audit-0': 0, 'audit-5': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'ghost-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    });
    // the unsubscribed topic's offset is gone, on disk too
    expect(broker.server.groups.offsetStore.get('g-stable', 'audit', 0)).toBeUndefined();
    const saved = JSON.parse(fs.readFileSync(joinPath(broker.dataDir, OFFSETS_FILE), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(saved['g-stable']?.audit).toBeUndefined();
  });

  it("deletes a simple group's offsets", async () => {
    expect(await offsetDelete(c, 'g-simple', { audit: [0] })).toEqual({ errorCode: 0, partitions: { 'audit-0': 0 } });
    expect(broker.server.groups.offsetStore.get('g-simple', 'audit', 0)).toBeUndefined();
    expect(broker.server.groups.offsetStore.get('g-simple', 'orders', 0)?.offset).toBe(1);
    // without offsets the group is still known (Empty), as in Kafka until DeleteGroups
    expect(await offsetDelete(c, 'g-simple', { orders: [0] })).toEqual({ errorCode: 0, partitions: { 'orders-0': 0 } });
    expect((await describeGroups(c, 6, ['g-simple']))[0]).toMatchObject({ errorCode: 0, state: 'Empty' });
  });
});

describe('DeleteGroups', () => {
  it('v0-v2: a group with members is NON_EMPTY_GROUP, a missing one GROUP_ID_NOT_FOUND; an empty one goes with its offsets', async () => {
    expect(await deleteGroups(c, 2, ['g-stable', 'nope'])).toEqual({ 'g-stable': ErrorCode.NON_EMPTY_GROUP, nope: ErrorCode.GROUP_ID_NOT_FOUND });
    expect(await deleteGroups(c, 0, ['g-simple'])).toEqual({ 'g-simple': 0 });
    expect(broker.server.groups.offsetStore.hasGroup('g-simple')).toBe(false);
    expect((await describeGroups(c, 5, ['g-simple']))[0]!.state).toBe('Dead');
    expect((await listGroups(c, 0)).groups.map((g) => g.groupId)).toEqual(['g-connect', 'g-stable']);
  });
});
