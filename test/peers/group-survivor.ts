/**
 * The survivor scenario for any client's group member program (Java's StrataGroupClient `member`,
 * kafka-python's group_member.py): both print {"assigned":[...]}, {"p":P,"o":O} per record,
 * {"committed":{P:NEXT}} after each synchronous commit, and exit 0 once they hold every
 * partition and have read each to its end. A slow member reads alone, a fast one joins, they
 * split the partitions, the slow one is killed (SIGKILL) right after a commit, and the survivor
 * must take over and read the topic to its end: every record read, a record read twice only at or
 * after the victim's last commit, no error.
 */
import { expect } from 'vitest';
import type { TestBroker } from '../broker/helpers.js';
import type { RunningProgram } from '../support/running-program.js';

type Line = Record<string, unknown>;
const records = (lines: Line[]) => lines.filter((l) => typeof l.p === 'number') as { p: number; o: number }[];
const commits = (lines: Line[]) => lines.filter((l) => l.committed) as { committed: Record<string, number> }[];
const assignments = (lines: Line[]) => lines.filter((l) => Array.isArray(l.assigned)) as { assigned: number[] }[];
const shares = (a: unknown, partitions: number) => Array.isArray(a) && a.length > 0 && a.length < partitions;

export interface SurvivorFigures {
  victimRead: number;
  survivorReadBeforeKill: number;
  survivorRead: number;
  readTwice: number;
  /** Records the survivor read of the partitions the victim held when it died. */
  takenOver: number;
  killToDoneMs: number;
}

/**
 * Runs the scenario on a topic of `partitions` partitions holding `total` records; `start` starts
 * a member (records per poll, pause between polls) and the caller kills what is left at the end.
 */
export async function killOneOfTwo(
  broker: TestBroker,
  group: string,
  partitions: number,
  total: number,
  start: (maxPollRecords: number, pauseMs: number) => RunningProgram,
): Promise<SurvivorFigures> {
  // the victim reads slowly (5 records a poll, 200 ms apart) so that records remain when it dies
  const victim = start(5, 200);
  await victim.waitFor('a first commit of the victim', (l) => commits(l).length > 0);
  const survivor = start(50, 0);
  // both hold part of the topic, and the victim has committed in that generation
  await survivor.waitFor('an assignment of the survivor', (l) => assignments(l).some((a) => shares(a.assigned, partitions)));
  await victim.waitFor('the victim sharing the topic', (l) => {
    let i = l.length - 1;
    while (i >= 0 && !shares(l[i]!.assigned, partitions)) i--;
    return i >= 0 && commits(l.slice(i)).length > 0;
  });
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  expect((await victim.exited).signal).toBe('SIGKILL');
  const survivorReadBeforeKill = records(survivor.lines).length;

  const end = await survivor.exited;
  const killToDoneMs = Date.now() - killedAt;
  expect(end.code, end.stderr.slice(-4000)).toBe(0);
  expect(end.stderr).not.toMatch(/InconsistentGroupProtocol|CommitFailed|INCONSISTENT_GROUP_PROTOCOL/);
  expect(assignments(survivor.lines).at(-1)!.assigned).toEqual([...Array(partitions).keys()]);

  const victimLast = new Map<number, number>();
  for (const c of commits(victim.lines)) for (const [p, next] of Object.entries(c.committed)) victimLast.set(Number(p), next);
  const seen = new Map<string, number>();
  for (const r of [...records(victim.lines), ...records(survivor.lines)]) seen.set(`${r.p}:${r.o}`, (seen.get(`${r.p}:${r.o}`) ?? 0) + 1);
  expect(seen.size).toBe(total);
  const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k.split(':').map(Number) as [number, number]);
  for (const [p, o] of twice) expect(o, `partition ${p} offset ${o} read twice, the victim had committed ${victimLast.get(p)}`).toBeGreaterThanOrEqual(victimLast.get(p) ?? 0);
  const survivorOwn = records(survivor.lines).map((r) => `${r.p}:${r.o}`);
  expect(new Set(survivorOwn).size).toBe(survivorOwn.length);
  const victimHeld = new Set(assignments(victim.lines).at(-1)!.assigned);
  const takenOver = records(survivor.lines).filter((r) => victimHeld.has(r.p)).length;
  expect(takenOver).toBeGreaterThan(0);
  // the coordinator removed the victim for its session timeout (not a LeaveGroup)
  expect(broker.lines.some((l) => l.includes(`group ${group}`) && /did not rejoin|missed its/.test(l))).toBe(true);
  return { victimRead: records(victim.lines).length, survivorReadBeforeKill, survivorRead: survivorOwn.length, readTwice: twice.length, takenOver, killToDoneMs };
}
