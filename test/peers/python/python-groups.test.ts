/**
 * Python clients in consumer groups against `strata serve`: confluent-kafka 2.16 (librdkafka 2.x
 * in its wheel) AdminClient calls - list_consumer_groups (ListGroups, with state and type
 * filters), describe_consumer_groups (DescribeGroups), delete_consumer_groups (DeleteGroups) -
 * around a live consumer and after it left; and kafka-python 3.0.12 members of which one is killed
 * while the survivor reads on (test/peers/group-survivor.ts). Needs the Python peers
 * (test/peers/python/install.sh).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { runProgram, startProgram, type RunningProgram } from '../../support/running-program.js';
import { killOneOfTwo } from '../group-survivor.js';
import { peerPython } from './python-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = 120_000;

let broker: TestBroker;
const running: RunningProgram[] = [];
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await broker?.close();
});

describe('confluent-kafka AdminClient', () => {
  it('lists (with state and type filters), describes and deletes a consumer group', async () => {
    await broker.server.topics.create('py-groups', 1);
    const log = (await broker.server.topics.log('py-groups', 0))!;
    await log.appendRecords([{ key: null, value: Buffer.from('one') }]);
    const steps = new Map((await runProgram('admin_groups.py', peerPython(), [join(here, 'admin_groups.py'), broker.bootstrap, 'py-groups', 'py-g'], { timeoutMs: RUN_TIMEOUT_MS })).map(({ step, ...rest }) => [step as string, rest]));
    expect(steps.get('consuming')).toEqual({ received: 1 });
    expect(steps.get('list')).toEqual({ listed: true, state: 'STABLE', type: 'CLASSIC', simple: false, errors: [] });
    expect(steps.get('listStable')).toMatchObject({ listed: true, state: 'STABLE' });
    expect(steps.get('listEmpty')).toMatchObject({ listed: false, errors: [] });
    expect(steps.get('listClassic')).toMatchObject({ listed: true, type: 'CLASSIC' });
    expect(steps.get('describe')).toEqual({ state: 'STABLE', simple: false, assignor: 'range', coordinator: 0, members: [{ clientId: 'py-groups-consumer', host: '/127.0.0.1', assigned: [0] }] });
    // librdkafka 2.16 sends DescribeGroups v5: a group that does not exist is Dead (v6 names it GROUP_ID_NOT_FOUND)
    expect(steps.get('describeMissing')).toEqual({ state: 'DEAD', simple: true, assignor: '', coordinator: 0, members: [] });
    expect(steps.get('deleteGroupWhileActive')).toEqual({ result: 'NON_EMPTY_GROUP' });
    expect(steps.get('describeAfterLeave')).toMatchObject({ state: 'EMPTY', members: [] });
    expect(steps.get('deleteGroup')).toEqual({ result: 'ok' });
    expect(steps.get('listAfterDelete')).toEqual({ listed: false, errors: [] });
  }, RUN_TIMEOUT_MS + 10_000);
});

describe('kafka-python consumer group', () => {
  it('a member is killed; the survivor rejoins alone and reads on without an error or a duplicate beyond the uncommitted', async () => {
    const topic = 'py-survivor';
    const partitions = 4;
    await broker.server.topics.create(topic, partitions);
    for (let p = 0; p < partitions; p++) {
      const log = (await broker.server.topics.log(topic, p))!;
      await log.appendRecords(Array.from({ length: 500 }, (_, i) => ({ key: null, value: Buffer.from(`v${p}-${i}`) })));
    }
    const figures = await killOneOfTwo(broker, 'py-survivors', partitions, 2000, (maxPollRecords, pauseMs) => {
      const member = startProgram('group_member.py', peerPython(), [join(here, 'group_member.py'), broker.bootstrap, topic, 'py-survivors', String(partitions), String(maxPollRecords), String(pauseMs)]);
      running.push(member);
      return member;
    });
    console.log(JSON.stringify(figures));
  }, 240_000);
});
