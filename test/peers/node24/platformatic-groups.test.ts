/**
 * @platformatic/kafka 2.12 (on Node 24) Admin group calls against `strata serve`: a simple group
 * (an offset committed outside any generation) is listed (ListGroups), described
 * (DescribeGroups), its offset deleted (OffsetDelete) and the group deleted (DeleteGroups).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { runProgram } from '../../support/running-program.js';
import { NODE24_DIR, node24 } from './node24.js';

const RUN_TIMEOUT_MS = 60_000;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('@platformatic/kafka Admin', () => {
  it('lists, describes, deletes the offsets of and deletes a group', async () => {
    await broker.server.topics.create('pk-topic', 1);
    const lines = await runProgram('admin-groups.mjs', node24(), [join(NODE24_DIR, 'admin-groups.mjs'), broker.bootstrap, 'pk-topic', 'pk-g'], { cwd: NODE24_DIR, timeoutMs: RUN_TIMEOUT_MS });
    const steps = new Map(lines.map((l) => [l.step as string, l.v]));
    expect(steps.get('commit')).toBe('ok');
    expect(steps.get('list')).toEqual({ 'pk-g': { id: 'pk-g', state: 'Empty', groupType: 'classic', protocolType: '' } });
    expect(steps.get('listStable')).toEqual({});
    expect(steps.get('describe')).toEqual({
      'pk-g': { id: 'pk-g', state: 'Empty', protocolType: '', protocol: '', members: {}, authorizedOperations: -2147483648 },
      'no-such-group': { id: 'no-such-group', state: 'Dead', protocolType: '', protocol: '', members: {}, authorizedOperations: -2147483648 },
    });
    expect(steps.get('deleteOffsets')).toEqual([{ name: 'pk-topic', partitionIndexes: [0] }]);
    expect(broker.server.groups.offsetStore.get('pk-g', 'pk-topic', 0)).toBeUndefined();
    expect(steps.get('deleteGroups')).toEqual([{ throttleTimeMs: 0, results: [{ groupId: 'pk-g', errorCode: 0 }] }]);
    expect(steps.get('listAfter')).toEqual({});
  }, RUN_TIMEOUT_MS + 10_000);
});
