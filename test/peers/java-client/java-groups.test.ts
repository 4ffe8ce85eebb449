/**
 * Kafka's Java client (kafka-clients 4.1.1) in consumer groups against `strata serve`: two
 * classic-protocol members share a topic, one is killed (SIGKILL of its JVM), and the survivor -
 * alone in the group once the victim's session times out, rejoining with its own member id - takes
 * over every partition and reads the topic to its end without an error; the only records read
 * twice are those the victim read after its last commit. And the AdminClient's group calls
 * (DescribeGroups, ListGroups, OffsetDelete, DeleteGroups) around a live consumer and after it left.
 *
 * Needs Java 17 and the Kafka peer's jars (`npm run peer:kafka`); run alone with
 *   npx vitest run test/peers/java-client/java-groups.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import type { RunningProgram } from '../../support/running-program.js';
import { killOneOfTwo } from '../group-survivor.js';
import { GROUP_CLIENT_SOURCE, groupClient, javaClient, startJava } from './kafka-lib.js';

let broker: TestBroker;
const running: RunningProgram[] = [];
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  for (const j of running) if (j.child.exitCode === null && j.child.signalCode === null) j.child.kill('SIGKILL');
  await broker?.close();
});

describe('kafka-clients 4.1.1 consumer group', () => {
  it('a member is killed; the survivor rejoins alone, takes over its partitions and reads on without an error or a duplicate beyond the uncommitted', async () => {
    const topic = 'survivor';
    const partitions = 4;
    await broker.server.topics.create(topic, partitions);
    const [produced] = await javaClient(['produce', broker.bootstrap, topic, '2000']);
    expect(produced!.acked).toBe(2000);

    const figures = await killOneOfTwo(broker, 'survivors', partitions, 2000, (maxPollRecords, pauseMs) => {
      const member = startJava(GROUP_CLIENT_SOURCE, ['member', broker.bootstrap, topic, 'survivors', String(partitions), String(maxPollRecords), String(pauseMs)]);
      running.push(member);
      return member;
    });
    console.log(JSON.stringify(figures));
  }, 240_000);

  it("AdminClient lists, describes, deletes offsets of and deletes a group with Kafka's answers", async () => {
    await broker.server.topics.create('admin-groups', 1);
    await javaClient(['produce', broker.bootstrap, 'admin-groups', '10']);
    const steps = new Map((await groupClient(['admin-groups', broker.bootstrap, 'admin-groups', 'admin-g'])).map(({ step, ...rest }) => [step as string, rest]));
    expect(steps.get('consuming')).toEqual({ received: 10 });
    expect(steps.get('listGroups')).toEqual({ listed: true, type: 'Classic', protocol: 'consumer', state: 'Stable' });
    expect(steps.get('listConsumerGroups')).toEqual({ listed: true, state: 'Stable', simple: false });
    // host: the member's address as Kafka prints it
    expect(steps.get('describe')).toEqual({ state: 'Stable', simple: false, assignor: 'range', type: 'Classic', coordinator: 0, members: [{ clientId: 'admin-groups-consumer', host: '/127.0.0.1', assigned: [0] }] });
    expect(steps.get('describeMissing')).toEqual({ error: 'GroupIdNotFoundException' });
    expect(steps.get('deleteOffsetsWhileSubscribed')).toEqual({ result: 'GroupSubscribedToTopicException' });
    expect(steps.get('deleteGroupWhileActive')).toEqual({ result: 'GroupNotEmptyException' });
    expect(steps.get('describeAfterLeave')).toEqual({ state: 'Empty', simple: false, assignor: '', type: 'Classic', coordinator: 0, members: [] });
    expect(steps.get('committedBefore')).toEqual({ partitions: [0] });
    expect(steps.get('deleteOffsets')).toEqual({ result: 'ok' });
    expect(steps.get('committedAfter')).toEqual({ partitions: [] });
    expect(steps.get('deleteGroup')).toEqual({ result: 'ok' });
    expect(steps.get('listAfterDelete')).toEqual({ listed: false });
    expect(steps.get('deleteMissingGroup')).toEqual({ result: 'GroupIdNotFoundException' });
    expect(broker.server.groups.offsetStore.hasGroup('admin-g')).toBe(false);
  }, 120_000);
});
