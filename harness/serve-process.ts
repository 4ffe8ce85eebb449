/**
 * `strata serve` of a checkout (cli/main.ts through tsx; this one unless `root` says another) as a
 * child process of a test or a benchmark, ready once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const STARTED_MS_MAX = 30_000;

export interface ServeProcess {
  child: ChildProcess;
  /** The plaintext listener's port; 0 when the server exited before it listened. */
  port: number;
  /** The TLS listener's port when `--listen-tls` was among the arguments; 0 otherwise. */
  tlsPort: number;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Run under `prlimit --nofile=N`. */
  openFilesMax?: number;
  /** The checkout whose server runs (e.g. a worktree of an older commit); this one by default. */
  root?: string;
}

const started = new Set<ChildProcess>();

/**
 * `strata serve ARGS`; resolves once it listens (on TLS too when `--listen-tls` is given) or once it
 * has exited without listening (port 0: the caller reads stderr() and exited); rejects when it did
 * neither in 30 s (the child is left to killServes).
 */
export async function startServe(args: readonly string[], opts: ServeOptions = {}): Promise<ServeProcess> {
  const root = opts.root ?? ROOT;
  const node = [process.execPath, '--import', 'tsx', join(root, 'cli/main.ts'), 'serve', ...args];
  const [command, ...commandArgs] = opts.openFilesMax === undefined ? node : ['prlimit', `--nofile=${opts.openFilesMax}`, ...node];
  const child = spawn(command!, commandArgs, { cwd: root, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const wantsTls = args.includes('--listen-tls');
  const deadline = Date.now() + STARTED_MS_MAX;
  for (;;) {
    const plain = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    const secure = /serving Kafka protocol over TLS on [^:]+:(\d+)/.exec(err);
    if (plain && (secure || !wantsTls)) return { child, port: Number(plain[1]), tlsPort: secure ? Number(secure[1]) : 0, stderr: () => err, exited };
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      return { child, port: 0, tlsPort: 0, stderr: () => err, exited };
    }
    if (Date.now() > deadline) throw new Error(`strata serve ${args.join(' ')} neither listened nor exited in ${STARTED_MS_MAX} ms: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** startServe that rejects, with its stderr, unless the server listens. */
export async function startServeListening(args: readonly string[], opts: ServeOptions = {}): Promise<ServeProcess> {
  const served = await startServe(args, opts);
  if (served.port === 0) throw new Error(`strata serve did not start: ${served.stderr()}`);
  return served;
}

/** SIGKILLs every server startServe started that still runs (for afterEach / afterAll). */
export function killServes(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
}
