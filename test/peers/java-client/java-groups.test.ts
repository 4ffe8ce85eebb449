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
import { GROUP_CLIENT_SOURCE, groupClient, javaClient, startJava, type RunningJava } from './kafka-lib.js';

let broker: TestBroker;
const running: RunningJava[] = [];
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  for (const j of running) if (j.child.exitCode === null && j.child.signalCode === null) j.child.kill('SIGKILL');
  await broker?.close();
});

type Line = Record<string, unknown>;
const records = (lines: Line[]) => lines.filter((l) => typeof l.p === 'number') as { p: number; o: number }[];
const commits = (lines: Line[]) => lines.filter((l) => l.committed) as { committed: Record<string, number> }[];
const assignments = (lines: Line[]) => lines.filter((l) => Array.isArray(l.assigned)) as { assigned: number[] }[];

describe('kafka-clients 4.1.1 consumer group', () => {
  it('a member is killed; the survivor rejoins alone, takes over its partitions and reads on without an error or a duplicate beyond the uncommitted', async () => {
    const topic = 'survivor';
    const partitions = 4;
    await broker.server.topics.create(topic, partitions);
    const [produced] = await javaClient(['produce', broker.bootstrap, topic, '2000']);
    expect(produced!.acked).toBe(2000);

    // the victim reads slowly (5 records a poll, 200 ms apart) so that records remain when it dies
    const victim = startJava(GROUP_CLIENT_SOURCE, ['member', broker.bootstrap, topic, 'survivors', String(partitions), '5', '200']);
    running.push(victim);
    await victim.waitFor('a first commit of the victim', (l) => commits(l).length > 0);
    const survivor = startJava(GROUP_CLIENT_SOURCE, ['member', broker.bootstrap, topic, 'survivors', String(partitions), '50', '0']);
    running.push(survivor);
    // both hold part of the topic, and the victim has committed in that generation
    await survivor.waitFor('an assignment of the survivor', (l) => assignments(l).some((a) => a.assigned.length > 0 && a.assigned.length < partitions));
    await victim.waitFor('the victim sharing the topic', (l) => {
      let i = l.length - 1;
      while (i >= 0 && !(Array.isArray(l[i]!.assigned) && (l[i]!.assigned as number[]).length > 0 && (l[i]!.assigned as number[]).length < partitions)) i--;
      return i >= 0 && commits(l.slice(i)).length > 0;
    });
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await victim.exited).signal).toBe('SIGKILL');
    const survivorBefore = records(survivor.lines).length;

    const end = await survivor.exited;
    const killToDoneMs = Date.now() - killedAt;
    expect(end.code, end.stderr.slice(-4000)).toBe(0);
    expect(end.stderr).not.toMatch(/InconsistentGroupProtocol|CommitFailed|INCONSISTENT_GROUP_PROTOCOL/);
    expect(assignments(survivor.lines).at(-1)!.assigned).toEqual([0, 1, 2, 3]);

    // every record read at least once, and a record read twice only if the victim read it after its last commit
    const victimLast = new Map<number, number>();
    for (const c of commits(victim.lines)) for (const [p, next] of Object.entries(c.committed)) victimLast.set(Number(p), next);
    const seen = new Map<string, number>();
    for (const r of [...records(victim.lines), ...records(survivor.lines)]) seen.set(`${r.p}:${r.o}`, (seen.get(`${r.p}:${r.o}`) ?? 0) + 1);
    expect(seen.size).toBe(2000);
    const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k.split(':').map(Number) as [number, number]);
    for (const [p, o] of twice) expect(o, `partition ${p} offset ${o} read twice, the victim had committed ${victimLast.get(p)}`).toBeGreaterThanOrEqual(victimLast.get(p) ?? 0);
    const survivorOwn = records(survivor.lines).map((r) => `${r.p}:${r.o}`);
    expect(new Set(survivorOwn).size).toBe(survivorOwn.length);
    // the survivor read on after the takeover: records of the partitions the victim held when it died
    const victimHeld = new Set(assignments(victim.lines).at(-1)!.assigned);
    const taken = records(survivor.lines).filter((r) => victimHeld.has(r.p));
    expect(taken.length).toBeGreaterThan(0);
    console.log(JSON.stringify({ victimRead: records(victim.lines).length, survivorReadBeforeKill: survivorBefore, survivorRead: survivorOwn.length, readTwice: twice.length, takenOver: taken.length, killToDoneMs }));
    expect(broker.lines.filter((l) => /survivors/.test(l) && /did not rejoin|missed its/.test(l)).length).toBeGreaterThan(0);
  }, 240_000);

  it("AdminClient lists, describes, deletes offsets of and deletes a group with Kafka's answers", async () => {
    await broker.server.topics.create('admin-groups', 1);
    await javaClient(['produce', broker.bootstrap, 'admin-groups', '10']);
    const steps = new Map((await groupClient(['admin-groups', broker.bootstrap, 'admin-groups', 'admin-g'])).map(({ step, ...rest }) => [step as string, rest]));
    expect(steps.get('consuming')).toEqual({ received: 10 });
    expect(steps.get('listGroups')).toEqual({ listed: true, type: 'Classic', protocol: 'consumer', state: 'Stable' });
    expect(steps.get('listConsumerGroups')).toEqual({ listed: true, state: 'Stable', simple: false });
    // host: strata's handlers do not see the client's address (Kafka's says "/127.0.0.1")
    expect(steps.get('describe')).toEqual({ state: 'Stable', simple: false, assignor: 'range', type: 'Classic', coordinator: 0, members: [{ clientId: 'admin-groups-consumer', host: '', assigned: [0] }] });
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
