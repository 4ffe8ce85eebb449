/**
 * Two hosts on one machine: a network namespace joined to this one by a veth pair, `strata receive`
 * (and an iperf3 server) inside it, `strata bench --receiver` outside. Needs root and `ip netns`;
 * skipped with a message where they are missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadResults } from '../../harness/compare.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const tag = String(process.pid % 100000);
const ns = `strata-h2-${tag}`;
const vethHost = `vsh${tag}a`;
const vethPeer = `vsh${tag}b`;
// a /30 that exists only between this test's own two namespaces
const hostIp = '10.231.7.1';
const peerIp = '10.231.7.2';

function netnsAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('ip', ['netns', 'add', `${ns}-probe`], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', `${ns}-probe`], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `ip netns does not work here (${(err as Error).message.split('\n')[0]})`;
  }
}

const why = netnsAvailable();
if (why) console.warn(`two-host test skipped: ${why}`);

describe.skipIf(why !== undefined)('strata bench --receiver across a veth pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-two-host-'));
  const children: ChildProcess[] = [];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethPeer);
    ip('link', 'set', vethPeer, 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', vethHost);
    ip('link', 'set', vethHost, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${peerIp}/30`, 'dev', vethPeer);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', vethPeer, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    try {
      ip('netns', 'del', ns); // takes the peer end, and with it the pair, along
    } catch {
      // already gone
    }
    try {
      ip('link', 'del', vethHost);
    } catch {
      // went with the namespace
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function startInNs(args: string[], ready: RegExp): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', ns, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (ready.test(out)) {
          clearTimeout(timer);
          resolve(child);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!ready.test(out)) reject(new Error(`${args.join(' ')} exited ${code}: ${out}`));
      });
    });
  }

  test('the cell ships its log to strata receive in the other namespace, with iperf3 on the same path', async () => {
    const receiverPort = 19093;
    const receiver = await startInNs([process.execPath, '--import', 'tsx', 'cli/main.ts', 'receive', '--listen', `${peerIp}:${receiverPort}`, '--data-dir', join(dir, 'remote'), '--topic', 'strata-bench'], /listening on/);
    let receiverOut = '';
    receiver.stdout!.on('data', (d: Buffer) => (receiverOut += d.toString()));
    await startInNs(['iperf3', '-s', '-B', peerIp, '-p', '15201', '--forceflush'], /listening/);

    const wf = join(dir, 'w.yaml');
    writeFileSync(wf, 'name: two-host\nrecords: 5000\nrepetitions: 1\nconsumers: 0\nendToEnd: false\nmatrix:\n  engine: pwrite\n  transfer: [buffered]\n');
    const out = join(dir, 'out');
    await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'bench', '--workload', wf, '--receiver', `${peerIp}:${receiverPort}`, '--iperf-server', `${peerIp}:15201`,
      '--baseline-seconds', '1', '--data-dir', dir, '--out', out, '--progress', 'none', '--no-charts'], { cwd: root, timeout: 120_000 });
    const results = loadResults(join(out, 'results.json'));
    expect(results.receiver).toBe(`${peerIp}:${receiverPort}`);
    const cell = results.cells[0]!;
    expect(cell.status).toBe('ok');
    // every measured byte went across the veth pair into the remote log
    expect(cell.summary['ship.bytes']!.median).toBe(cell.summary['produce.diskBytes']!.median);
    expect(cell.summary['ship.mbPerSec']!.median).toBeGreaterThan(0);
    expect(results.baselines.iperf3.map((i) => i.zeroCopy).sort()).toEqual([false, true]);
    expect(cell.ratios.shipToIperf).toBeGreaterThan(0);
    await new Promise<void>((resolve) => (receiver.exitCode !== null ? resolve() : receiver.on('exit', () => resolve())));
    expect(receiverOut).toMatch(/received strata-bench-0: 50 batches/);
  }, 150_000);
});
