/**
 * kafkajs 2.2.4's admin group calls against the broker: listGroups (ListGroups), describeGroups
 * (DescribeGroups) and deleteGroups (DeleteGroups), around a consumer of the group and after it left.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({ clientId: 'strata-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});
afterAll(async () => {
  await broker.close();
});

describe('kafkajs 2.2.4 admin', () => {
  it('lists, describes and deletes a consumer group', async () => {
    const topic = 'kafkajs-admin-groups';
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'kjs-g', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen!: () => void;
    const got = new Promise<void>((resolve) => (seen = resolve));
    await consumer.run({ eachMessage: async () => seen() });
    await got;

    const admin = kafka.admin();
    await admin.connect();
    try {
      expect((await admin.listGroups()).groups).toContainEqual({ groupId: 'kjs-g', protocolType: 'consumer' });
      const [live] = (await admin.describeGroups(['kjs-g'])).groups;
      expect(live).toMatchObject({ errorCode: 0, groupId: 'kjs-g', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(live!.members.map((m) => m.clientId)).toEqual(['strata-test']);
      const refused = (await admin.deleteGroups(['kjs-g']).catch((e: unknown) => e)) as { groups?: { groupId: string; error?: { type: string } }[] };
      expect(refused.groups?.map((g) => [g.groupId, g.error?.type])).toEqual([['kjs-g', 'NON_EMPTY_GROUP']]);
      await consumer.disconnect();
      expect((await admin.describeGroups(['kjs-g'])).groups[0]).toMatchObject({ state: 'Empty', members: [] });
      expect(await admin.deleteGroups(['kjs-g'])).toEqual([{ groupId: 'kjs-g', errorCode: 0 }]);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('kjs-g');
    } finally {
      await admin.disconnect();
      await consumer.disconnect();
    }
  }, 60_000);
});
