/**
 * confluent-kafka 2.16 (Python, librdkafka 2.x in its wheel) AdminClient group calls against
 * `strata serve`: list_consumer_groups (ListGroups, with state and type filters),
 * describe_consumer_groups (DescribeGroups) and delete_consumer_groups (DeleteGroups), around a
 * live consumer and after it left. Needs the Python peers (test/peers/python/install.sh).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { peerPython } from './python-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const RUN_TIMEOUT_MS = 120_000;

/** Runs a script of this directory; its JSON lines, or a rejection with its stderr. */
function runPython(script: string, args: readonly string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(peerPython(), [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-16_384)));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited ${code ?? signal}; stdout: ${out.slice(-2000)}; stderr: ${err}`));
      resolve(out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>));
    });
  });
}

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

describe('confluent-kafka AdminClient', () => {
  it('lists (with state and type filters), describes and deletes a consumer group', async () => {
    await broker.server.topics.create('py-groups', 1);
    const log = (await broker.server.topics.log('py-groups', 0))!;
    await log.appendRecords([{ key: null, value: Buffer.from('one') }]);
    const steps = new Map((await runPython('admin_groups.py', [broker.bootstrap, 'py-groups', 'py-g'])).map(({ step, ...rest }) => [step as string, rest]));
    expect(steps.get('consuming')).toEqual({ received: 1 });
    expect(steps.get('list')).toEqual({ listed: true, state: 'STABLE', type: 'CLASSIC', simple: false, errors: [] });
    expect(steps.get('listStable')).toMatchObject({ listed: true, state: 'STABLE' });
    expect(steps.get('listEmpty')).toMatchObject({ listed: false, errors: [] });
    expect(steps.get('listClassic')).toMatchObject({ listed: true, type: 'CLASSIC' });
    expect(steps.get('describe')).toEqual({ state: 'STABLE', simple: false, assignor: 'range', coordinator: 0, members: [{ clientId: 'py-groups-consumer', host: '', assigned: [0] }] });
    // librdkafka 2.x sends DescribeGroups v5 at most: a group that does not exist is Dead (v6 names it GROUP_ID_NOT_FOUND)
    expect(steps.get('describeMissing')).toEqual({ state: 'DEAD', simple: true, assignor: '', coordinator: 0, members: [] });
    expect(steps.get('deleteGroupWhileActive')).toEqual({ result: 'NON_EMPTY_GROUP' });
    expect(steps.get('describeAfterLeave')).toMatchObject({ state: 'EMPTY', members: [] });
    expect(steps.get('deleteGroup')).toEqual({ result: 'ok' });
    expect(steps.get('listAfterDelete')).toEqual({ listed: false, errors: [] });
  }, RUN_TIMEOUT_MS + 10_000);
});
