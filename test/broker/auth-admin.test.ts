/**
 * The admin APIs under ACLs, as raw frames over a SASL_PLAINTEXT listener: for each API a principal
 * without the operation Kafka's KafkaApis / ControllerApis require is refused with Kafka's code and
 * nothing changes (the topic, its records, its configs, its partitions, the group and its offsets
 * stay), and a principal with it succeeds. Also the member's clientHost in DescribeGroups ("/IP").
 */
import fs from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaHostAddress } from '../../broker/auth/session.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import type { RawKafkaClient } from '../../broker/raw-client.js';
import { buildBatch } from '../../core/format/records.js';
import { commit, join, subscription, sync } from './group-requests.js';
import { startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { plainLogin, writeAcls, writeCredentials } from './security-helpers.js';

const TOPIC = 2;
const BROKER = 4;
const INT32_MIN = -2147483648;
/** Kafka's AclOperation codes. */
const [READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS] = [3, 6, 8, 10, 11];
const bits = (...ops: number[]) => ops.reduce((b, op) => b | (1 << op), 0);

/** DeleteTopics v3: [name, errorCode] per topic. */
async function deleteTopics(c: RawKafkaClient, names: string[]): Promise<[string, number][]> {
  const r = await c.request(ApiKey.DeleteTopics, 3, (w) => w.array(names, (w, n) => w.string(n)).int32(5000));
  r.int32();
  return r.array((r) => [r.string(), r.int16()] as [string, number]);
}

/** DeleteRecords v1 of everything before `offset` in partition 0: [lowWatermark, errorCode]. */
async function deleteRecords(c: RawKafkaClient, topic: string, offset: number): Promise<[number, number]> {
  const r = await c.request(ApiKey.DeleteRecords, 1, (w) => w.array([topic], (w, t) => w.string(t).array([0], (w, p) => w.int32(p).int64(offset))).int32(5000));
  r.int32();
  const [[result]] = r.array((r) => (r.string(), r.array((r) => (r.int32(), [r.int64(), r.int16()] as [number, number]))));
  return result!;
}

/** DescribeConfigs v1 of one resource: its error code and its configs by name. */
async function describeConfigs(c: RawKafkaClient, type: number, name: string): Promise<{ errorCode: number; message: string | null; configs: Record<string, string | null> }> {
  const r = await c.request(ApiKey.DescribeConfigs, 1, (w) => w.array([0], (w) => w.int8(type).string(name).int32(-1)).bool(false));
  r.int32();
  const [res] = r.array((r) => {
    const errorCode = r.int16();
    const message = r.nullableString();
    r.int8();
    r.string();
    const configs: Record<string, string | null> = {};
    r.array((r) => {
      const key = r.string();
      configs[key] = r.nullableString();
      r.bool(), r.int8(), r.bool();
      r.array((r) => [r.string(), r.nullableString(), r.int8()]);
    });
    return { errorCode, message, configs };
  });
  return res!;
}

/** AlterConfigs v1 (incremental: IncrementalAlterConfigs v0, SET) of one key of one resource: [errorCode, message]. */
async function alterConfig(c: RawKafkaClient, incremental: boolean, type: number, name: string, key: string, value: string): Promise<[number, string | null]> {
  const r = await c.request(incremental ? ApiKey.IncrementalAlterConfigs : ApiKey.AlterConfigs, incremental ? 0 : 1, (w) => {
    w.array([0], (w) => w.int8(type).string(name).array([0], (w) => (incremental ? w.string(key).int8(0).nullableString(value) : w.string(key).nullableString(value))));
    w.bool(false);
  });
  r.int32();
  const [res] = r.array((r) => {
    const answer: [number, string | null] = [r.int16(), r.nullableString()];
    r.int8();
    r.string();
    return answer;
  });
  return res!;
}

/** CreatePartitions v1 of one topic to `count`: [errorCode, message]. */
async function createPartitions(c: RawKafkaClient, topic: string, count: number): Promise<[number, string | null]> {
  const r = await c.request(ApiKey.CreatePartitions, 1, (w) => w.array([topic], (w, t) => w.string(t).int32(count).int32(-1)).int32(5000).bool(false));
  r.int32();
  const [res] = r.array((r) => (r.string(), [r.int16(), r.nullableString()] as [number, string | null]));
  return res!;
}

/** DescribeGroups v4 with the authorized operations: per group its error code, state, members' client hosts and the operations' bits. */
async function describeGroups(c: RawKafkaClient, groups: string[]): Promise<{ groupId: string; errorCode: number; state: string; hosts: string[]; operations: number }[]> {
  const r = await c.request(ApiKey.DescribeGroups, 4, (w) => w.array(groups, (w, g) => w.string(g)).bool(true));
  r.int32();
  return r.array((r) => {
    const errorCode = r.int16();
    const [groupId, state] = [r.string(), r.string()];
    r.string(), r.string();
    const hosts = r.array((r) => {
      r.string(), r.nullableString(), r.string();
      const host = r.string();
      r.bytes(), r.bytes();
      return host;
    });
    return { groupId, errorCode, state, hosts, operations: r.int32() };
  });
}

/** ListGroups v2: the group ids listed. */
async function listGroups(c: RawKafkaClient): Promise<string[]> {
  const r = await c.request(ApiKey.ListGroups, 2, () => {});
  r.int32();
  expect(r.int16()).toBe(ErrorCode.NONE);
  return r.array((r) => {
    const id = r.string();
    r.string();
    return id;
  });
}

/** DeleteGroups v1: errorCode by group. */
async function deleteGroups(c: RawKafkaClient, groups: string[]): Promise<Record<string, number>> {
  const r = await c.request(ApiKey.DeleteGroups, 1, (w) => w.array(groups, (w, g) => w.string(g)));
  r.int32();
  return Object.fromEntries(r.array((r) => [r.string(), r.int16()]));
}

/** OffsetDelete v0 of partition 0 of each topic: the top-level code and each topic's partition code. */
async function offsetDelete(c: RawKafkaClient, group: string, topics: string[]): Promise<{ errorCode: number; topics: Record<string, number> }> {
  const r = await c.request(ApiKey.OffsetDelete, 0, (w) => w.string(group).array(topics, (w, t) => w.string(t).array([0], (w, p) => w.int32(p))));
  const errorCode = r.int16();
  r.int32();
  return { errorCode, topics: Object.fromEntries(r.array((r) => [r.string(), r.array((r) => (r.int32(), r.int16()))[0]!])) };
}

it("a member's host is written as Java's InetAddress.getHostAddress: IPv4-mapped as IPv4, IPv6 in eight uncompressed groups", () => {
  expect(['127.0.0.1', '::ffff:10.1.2.3', '::1', '::', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '64:ff9b::1.2.3.4'].map(javaHostAddress)).toEqual([
    '127.0.0.1',
    '10.1.2.3',
    '0:0:0:0:0:0:0:1',
    '0:0:0:0:0:0:0:0',
    'fe80:0:0:0:0:0:0:1%eth0',
    '2001:db8:0:0:0:8a2e:370:7334',
    '64:ff9b:0:0:0:0:102:304',
  ]);
});

describe('the admin APIs under ACLs (raw frames, SASL_PLAINTEXT)', () => {
  const dir = tempDir('auth-admin-apis');
  let broker: TestBroker;
  let admin: RawKafkaClient; // a super user
  let alice: RawKafkaClient; // every operation the admin APIs need, on a-* topics, ga-* groups and the cluster's configs
  let bob: RawKafkaClient; // Describe on a-* topics and ga-* groups only
  let carol: RawKafkaClient; // Describe on the cluster only
  beforeAll(async () => {
    writeCredentials(joinPath(dir, 'users.json'), { admin: 'pw-admin', alice: 'pw-alice', bob: 'pw-bob', carol: 'pw-carol' });
    writeAcls(joinPath(dir, 'acls.json'), [
      { principal: 'User:alice', operations: ['Delete', 'Alter', 'AlterConfigs', 'Read'], resourceType: 'Topic', patternType: 'prefixed', name: 'a-' },
      { principal: 'User:alice', operations: ['Delete', 'Read'], resourceType: 'Group', patternType: 'prefixed', name: 'ga-' },
      { principal: 'User:alice', operations: ['DescribeConfigs', 'AlterConfigs'], resourceType: 'Cluster', name: 'kafka-cluster' },
      { principal: 'User:bob', operations: ['Describe'], resourceType: 'Topic', patternType: 'prefixed', name: 'a-' },
      { principal: 'User:bob', operations: ['Describe'], resourceType: 'Group', patternType: 'prefixed', name: 'ga-' },
      { principal: 'User:carol', operations: ['Describe'], resourceType: 'Cluster', name: 'kafka-cluster' },
    ]);
    broker = await startTestBroker({
      plaintextProtocol: 'SASL_PLAINTEXT',
      config: { 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.credentials.file': joinPath(dir, 'users.json'), 'authorizer.acl.file': joinPath(dir, 'acls.json'), 'super.users': 'User:admin' },
    });
    [admin, alice, bob, carol] = await Promise.all(['admin', 'alice', 'bob', 'carol'].map((u) => plainLogin(broker.port, u, `pw-${u}`)));
  });
  afterAll(async () => {
    await Promise.all([admin, alice, bob, carol].map((c) => c?.close()));
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('DeleteTopics: 29 without Describe whether or not the topic exists, UNKNOWN_TOPIC_OR_PARTITION with Describe, 29 with Describe but not Delete', async () => {
    await broker.server.topics.create('a-doomed', 1);
    await broker.server.topics.create('hidden', 1);
    expect(await deleteTopics(bob, ['a-doomed', 'a-absent', 'hidden', 'absent'])).toEqual([
      ['a-doomed', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['a-absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['absent', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(broker.server.topics.get('a-doomed')).toBeDefined();
    expect(broker.server.topics.get('hidden')).toBeDefined();
    expect(await deleteTopics(alice, ['a-doomed', 'hidden'])).toEqual([
      ['a-doomed', ErrorCode.NONE],
      ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(broker.server.topics.get('a-doomed')).toBeUndefined();
    expect(broker.server.topics.get('hidden')).toBeDefined();
  });

  it('DeleteRecords: 29 without Delete on the topic, the records stay; with it the log start moves', async () => {
    await broker.server.topics.create('a-records', 1);
    const log = (await broker.server.topics.log('a-records', 0))!;
    await log.append(buildBatch([{ value: Buffer.from('one') }, { value: Buffer.from('two') }, { value: Buffer.from('three') }]));
    expect(await deleteRecords(bob, 'a-records', 2)).toEqual([-1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
    expect(await deleteRecords(bob, 'a-absent', 2)).toEqual([-1, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
    expect(log.logStartOffset).toBe(0);
    expect(await deleteRecords(alice, 'a-records', 2)).toEqual([2, ErrorCode.NONE]);
    expect(log.logStartOffset).toBe(2);
  });

  it('DescribeConfigs: 29 without DescribeConfigs on the topic, 31 without it on the cluster for the broker', async () => {
    await broker.server.topics.create('a-configs', 1, { 'retention.ms': '123456' });
    expect(await describeConfigs(bob, TOPIC, 'a-configs')).toEqual({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: 'Topic authorization failed.', configs: {} });
    expect(await describeConfigs(bob, BROKER, '0')).toEqual({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: 'Cluster authorization failed.', configs: {} });
    // AlterConfigs on the topic implies DescribeConfigs, as in Kafka
    const topic = await describeConfigs(alice, TOPIC, 'a-configs');
    expect([topic.errorCode, topic.configs['retention.ms']]).toEqual([ErrorCode.NONE, '123456']);
    const brokerConfigs = await describeConfigs(alice, BROKER, '0');
    expect(brokerConfigs.errorCode).toBe(ErrorCode.NONE);
    expect(brokerConfigs.configs['log.cleanup.policy']).toBeDefined();
  });

  it('AlterConfigs and IncrementalAlterConfigs: 29 without AlterConfigs on the topic, 31 without it on the cluster; the config is unchanged', async () => {
    await broker.server.topics.create('a-alter', 1);
    for (const incremental of [false, true]) {
      expect(await alterConfig(bob, incremental, TOPIC, 'a-alter', 'retention.ms', '1000')).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.']);
      expect(await alterConfig(bob, incremental, BROKER, '0', 'log.retention.ms', '1000')).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.']);
      expect(broker.server.topics.get('a-alter')!.configs['retention.ms']).toBeUndefined();
    }
    expect(await alterConfig(alice, false, TOPIC, 'a-alter', 'retention.ms', '1000')).toEqual([ErrorCode.NONE, null]);
    expect(broker.server.topics.get('a-alter')!.configs['retention.ms']).toBe('1000');
    expect(await alterConfig(alice, true, TOPIC, 'a-alter', 'retention.ms', '2000')).toEqual([ErrorCode.NONE, null]);
    expect(broker.server.topics.get('a-alter')!.configs['retention.ms']).toBe('2000');
    // past the cluster check, broker configs are static here: INVALID_REQUEST, as without ACLs
    expect((await alterConfig(alice, true, BROKER, '0', 'log.retention.ms', '1000'))[0]).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('CreatePartitions: 29 (no message) without Alter on the topic, the count unchanged; with it the partitions are added', async () => {
    await broker.server.topics.create('a-grow', 1);
    expect(await createPartitions(bob, 'a-grow', 3)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, null]);
    expect(await createPartitions(bob, 'absent', 3)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, null]);
    expect(broker.server.topics.get('a-grow')!.partitions).toBe(1);
    expect(await createPartitions(alice, 'a-grow', 3)).toEqual([ErrorCode.NONE, null]);
    expect(broker.server.topics.get('a-grow')!.partitions).toBe(3);
  });

  describe('groups', () => {
    beforeAll(async () => {
      await broker.server.topics.create('a-offsets', 1);
      await broker.server.topics.create('b-offsets', 1);
      // simple groups: offsets committed outside any generation, by the super user
      for (const g of ['ga-simple', 'ga-doomed', 'gb-other']) for (const t of ['a-offsets', 'b-offsets']) expect(await commit(admin, g, -1, '', t)).toBe(ErrorCode.NONE);
    });

    it('DescribeGroups: 30 for a group without Describe, the authorized operations per principal; a member joined over a socket shows its host as Kafka does ("/127.0.0.1")', async () => {
      const joined = await join(alice, 'ga-members', '', { metadata: subscription(['a-offsets']) });
      expect(await sync(alice, 'ga-members', joined)).toBe(ErrorCode.NONE);
      const described = await describeGroups(bob, ['ga-members', 'gb-other']);
      // AuthorizedOperations: the bits of Kafka's AclOperation codes the principal may do on the group
      expect(described).toEqual([
        { groupId: 'ga-members', errorCode: ErrorCode.NONE, state: 'Stable', hosts: ['/127.0.0.1'], operations: bits(DESCRIBE) },
        { groupId: 'gb-other', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, state: '', hosts: [], operations: INT32_MIN },
      ]);
      expect((await describeGroups(alice, ['ga-members']))[0]!.operations).toBe(bits(READ, DELETE, DESCRIBE));
      expect((await describeGroups(admin, ['gb-other']))[0]).toMatchObject({ errorCode: ErrorCode.NONE, state: 'Empty', operations: bits(READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS) });
    });

    it('ListGroups: Describe on the cluster lists every group, otherwise only the groups the principal may Describe', async () => {
      const all = await listGroups(carol);
      expect(all).toEqual(expect.arrayContaining(['ga-simple', 'ga-doomed', 'gb-other']));
      expect((await listGroups(admin)).sort()).toEqual(all.sort());
      const bobs = await listGroups(bob);
      expect(bobs).toEqual(expect.arrayContaining(['ga-simple', 'ga-doomed']));
      expect(bobs).not.toContain('gb-other');
      expect(bobs.every((g) => g.startsWith('ga-'))).toBe(true);
    });

    it('OffsetDelete: 30 without Delete on the group; then 29 for a topic without Read, whose offset stays', async () => {
      const store = broker.server.groups.offsetStore;
      expect(await offsetDelete(bob, 'ga-simple', ['a-offsets'])).toEqual({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: {} });
      expect(store.get('ga-simple', 'a-offsets', 0)).toBeDefined();
      expect(await offsetDelete(alice, 'ga-simple', ['a-offsets', 'b-offsets'])).toEqual({
        errorCode: ErrorCode.NONE,
        topics: { 'a-offsets': ErrorCode.NONE, 'b-offsets': ErrorCode.TOPIC_AUTHORIZATION_FAILED },
      });
      expect(store.get('ga-simple', 'a-offsets', 0)).toBeUndefined();
      expect(store.get('ga-simple', 'b-offsets', 0)).toBeDefined();
    });

    it('DeleteGroups: 30 without Delete on the group, which stays; with it the group is gone', async () => {
      const store = broker.server.groups.offsetStore;
      expect(await deleteGroups(bob, ['ga-doomed'])).toEqual({ 'ga-doomed': ErrorCode.GROUP_AUTHORIZATION_FAILED });
      expect(await deleteGroups(alice, ['gb-other'])).toEqual({ 'gb-other': ErrorCode.GROUP_AUTHORIZATION_FAILED });
      expect(store.hasGroup('ga-doomed')).toBe(true);
      expect(store.hasGroup('gb-other')).toBe(true);
      expect(await deleteGroups(alice, ['ga-doomed'])).toEqual({ 'ga-doomed': ErrorCode.NONE });
      expect(store.hasGroup('ga-doomed')).toBe(false);
    });
  });
});
