/**
 * Workload kind `broker`: the broker under hostile or careless load (./scenarios.ts), each scenario
 * a cell whose repetitions each run against a fresh `strata serve` child (the built CLI) with
 * `connections.max.idle.ms` of the workload, so what one repetition left behind does not count in
 * the next. The figures are what docs/reliability.md and docs/security.md quote.
 */
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { CredentialStore } from '../../../broker/auth/credentials.js';
import { makeScramCredential, SCRAM_MECHANISMS } from '../../../broker/auth/scram.js';
import { fingerprint } from '../../fingerprint.js';
import { makeTlsIdentity, type TlsIdentity } from '../../peers/tls-identity.js';
import type { BenchResults, Metrics } from '../../results.js';
import { startServeListening, stopServe } from '../../serve-process.js';
import { workloadHash } from '../../workload.js';
import { focusedCell, focusedResults, kindOptions, type KindRun } from '../kind.js';
import { renderBrokerReport } from './report.js';
import { AUTH_PASSWORD, AUTH_USER, authFlood, halfFrame, handshake, SCENARIOS, stalled, type BrokerSizes, type Scenario, type Served } from './scenarios.js';

const STOP_TIMEOUT_MS = 30_000;

const FULL: BrokerSizes = {
  fetchMib: 50, idleMs: 10_000, idleGraceMs: 5000, stalledClients: 20, handshakes: 300, halfFrames: 20, halfFrameMb: 100,
  authConnections: 200, authSeconds: 10, authDelayMs: 100, bystanderTimeoutMs: 30_000,
};
/** --quick: every scenario in a few seconds. */
const QUICK: BrokerSizes = {
  fetchMib: 4, idleMs: 1000, idleGraceMs: 2000, stalledClients: 4, handshakes: 20, halfFrames: 4, halfFrameMb: 8,
  authConnections: 8, authSeconds: 1, authDelayMs: 100, bystanderTimeoutMs: 10_000,
};

/** Bounds that keep a typo from taking the machine: clients, MiB and seconds. */
const SIZE_MAX: BrokerSizes = {
  fetchMib: 4096, idleMs: 3_600_000, idleGraceMs: 600_000, stalledClients: 10_000, handshakes: 50_000, halfFrames: 1000, halfFrameMb: 2000,
  authConnections: 10_000, authSeconds: 3600, authDelayMs: 60_000, bystanderTimeoutMs: 600_000,
};

export interface BrokerOptions {
  scenarios: Scenario[];
  sizes: BrokerSizes;
  /** Run the server of another checkout (its sources through tsx, e.g. a worktree of an older commit); '' for this one's built CLI. */
  serverRoot: string;
}

function parseScenarios(csv: string): Scenario[] {
  const names = csv.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new Error(`unknown scenario "${unknown}" (known: ${SCENARIOS.join(', ')})`);
  return [...new Set(names)] as Scenario[];
}

export function brokerOptions(run: KindRun): BrokerOptions {
  const o = kindOptions(run, 'broker');
  const base = run.quick ? QUICK : FULL;
  const sizes = { ...base };
  // --quick: a smoke run's sizes at most, whatever the file asks
  for (const key of Object.keys(base) as (keyof BrokerSizes)[]) sizes[key] = o.count(key, base[key], SIZE_MAX[key], run.quick ? QUICK[key] : undefined);
  const root = o.string('serverRoot', '.');
  const out = { scenarios: o.list('scenarios', [...SCENARIOS], parseScenarios), sizes, serverRoot: root === '.' ? '' : resolve(root) };
  o.done();
  return out;
}

interface Scene {
  title: string;
  transfer: string;
  /** strata serve's arguments beside --data-dir and the idle timeout. */
  args: string[];
  measure(s: Served): Promise<Metrics>;
}

function scenes(z: BrokerSizes, id: TlsIdentity, usersFile: string): Record<Scenario, Scene> {
  const tls = ['--listen', '127.0.0.1:0', '--listen-tls', '127.0.0.1:0', '--tls-cert', id.certFile, '--tls-key', id.keyFile, '--auto-create-topics', '--config', 'message.max.bytes=2000000'];
  return {
    'stalled-tls': { title: `${z.stalledClients} stalled readers over TLS`, transfer: 'tls', args: [...tls, '--transfer', 'sendfile'], measure: (s) => stalled(s, z, true) },
    'stalled-buffered': { title: `${z.stalledClients} stalled readers, plaintext buffered`, transfer: 'buffered', args: [...tls, '--transfer', 'buffered'], measure: (s) => stalled(s, z, false) },
    'stalled-sendfile': { title: `${z.stalledClients} stalled readers, plaintext sendfile`, transfer: 'sendfile', args: [...tls, '--transfer', 'sendfile'], measure: (s) => stalled(s, z, false) },
    handshake: { title: `${z.handshakes} TLS handshakes never started`, transfer: 'sendfile', args: [...tls, '--transfer', 'sendfile'], measure: (s) => handshake(s, z) },
    halfframe: { title: `${z.halfFrames} x half of a ${z.halfFrameMb} MB request`, transfer: 'sendfile', args: [...tls, '--transfer', 'sendfile'], measure: (s) => halfFrame(s, z) },
    'auth-flood': {
      title: `${z.authConnections} connections guessing SASL/PLAIN passwords`, transfer: 'sendfile',
      args: ['--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--config', 'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512', '--config', `sasl.credentials.file=${usersFile}`,
        '--config', `connection.failed.authentication.delay.ms=${z.authDelayMs}`, '--config', `max.connections=${z.authConnections + 16}`],
      measure: (s) => authFlood(s, z),
    },
  };
}

async function measureOnce(scene: Scene, dataDir: string, o: BrokerOptions): Promise<Metrics> {
  const where = o.serverRoot ? { root: o.serverRoot } : { built: true };
  const served = await startServeListening(['--data-dir', dataDir, '--config', `connections.max.idle.ms=${o.sizes.idleMs}`, ...scene.args], where);
  try {
    return await scene.measure({ pid: served.child.pid!, port: served.port, tlsPort: served.tlsPort });
  } finally {
    await stopServe(served, STOP_TIMEOUT_MS);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runBrokerKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const o = brokerOptions(run);
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, {});
  const work = fs.mkdtempSync(join(run.dataDir, 'strata-broker-'));
  try {
    const id = makeTlsIdentity(join(work, 'tls'));
    const usersFile = join(work, 'users.json');
    const store = new CredentialStore();
    for (const m of SCRAM_MECHANISMS) store.set(AUTH_USER, m, makeScramCredential(m, AUTH_PASSWORD));
    store.save(usersFile);
    const all = scenes(o.sizes, id, usersFile);
    const reps = new Map<Scenario, Metrics[]>(o.scenarios.map((s) => [s, []]));
    const errors = new Map<Scenario, string>();
    for (let rep = 0; rep < run.workload.repetitions; rep++) {
      for (const name of o.scenarios) {
        try {
          reps.get(name)!.push(await measureOnce(all[name], join(work, `data-${name}-${rep}`), o));
        } catch (err) {
          // a failed scenario is reported in its cell, and does not lose the others
          errors.set(name, (err as Error).message);
          run.log(`${name} rep ${rep + 1} failed: ${(err as Error).message}`);
        }
      }
      run.log(`rep ${rep + 1}/${run.workload.repetitions} done`);
    }
    const cells = o.scenarios.map((name) => focusedCell({
      id: name, engine: 'pwrite', transfer: all[name].transfer, codec: 'none', recordBytes: name.startsWith('stalled') || name === 'handshake' ? MiB_RECORD : 1,
      logImpl: 'strata serve (built CLI)', notes: [all[name].title], repetitions: reps.get(name)!, error: errors.get(name),
    }));
    const notes = [
      `connections.max.idle.ms=${o.sizes.idleMs}; fetches ask for the whole topic of ${o.sizes.fetchMib} one-MiB batches; a bystander gives up after ${o.sizes.bystanderTimeoutMs} ms (its *Completed figure is then 0)`,
      'the clients run in this process; the server figures (descriptors, VmRSS, CPU) are the strata serve process alone',
      ...(o.serverRoot ? [`the server of the checkout ${o.serverRoot} (its sources through tsx)`] : []),
    ];
    const results = focusedResults(run, fp, cells, { options: o }, notes, started);
    fs.writeFileSync(join(run.outDir, 'report.md'), renderBrokerReport(results));
    return results;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The value bytes of the fill's one-MiB batches (one record each). */
const MiB_RECORD = (1 << 20) - 200;
