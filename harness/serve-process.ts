/**
 * The one way the harness and the tests start `strata serve`: a checkout's server (cli/main.ts
 * through tsx, or with `built` the CLI a user runs, bin/strata.js over dist/; this checkout unless
 * `root` says another) as a child process, ready once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  /** Run the built CLI (bin/strata.js, dist/) rather than the sources through tsx: what a benchmark measures. */
  built?: boolean;
  /** Node's own flags before the script (e.g. --cpu-prof). */
  nodeFlags?: readonly string[];
  /** How long it may take to listen (a data dir of many partitions loads first); 30 s by default. */
  listenTimeoutMs?: number;
}

/** stderr kept of a server: its start lines and last words, not a whole run's log. */
const STDERR_BYTES_MAX = 256 * 1024;

const started = new Set<ChildProcess>();

/**
 * `strata serve ARGS`; resolves once it listens (on TLS too when `--listen-tls` is given) or once it
 * has exited without listening (port 0: the caller reads stderr() and exited); rejects when it did
 * neither in `listenTimeoutMs` (the child is left to killServes).
 */
export async function startServe(args: readonly string[], opts: ServeOptions = {}): Promise<ServeProcess> {
  const root = opts.root ?? ROOT;
  if (opts.built && !existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error(`strata is not built (${join(root, 'dist')} missing): run \`npm run build\``);
  const script = opts.built ? [join(root, 'bin', 'strata.js')] : ['--import', 'tsx', join(root, 'cli/main.ts')];
  const node = [process.execPath, ...(opts.nodeFlags ?? []), ...script, 'serve', ...args];
  const [command, ...commandArgs] = opts.openFilesMax === undefined ? node : ['prlimit', `--nofile=${opts.openFilesMax}`, ...node];
  const child = spawn(command!, commandArgs, { cwd: root, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (err.length < STDERR_BYTES_MAX) err += b.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const wantsTls = args.includes('--listen-tls');
  const listenTimeoutMs = opts.listenTimeoutMs ?? STARTED_MS_MAX;
  const deadline = Date.now() + listenTimeoutMs;
  for (;;) {
    const plain = /serving Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(err);
    const secure = /serving Kafka protocol over TLS on [^:]+:(\d+)/.exec(err);
    if (plain && (secure || !wantsTls)) return { child, port: Number(plain[1]), tlsPort: secure ? Number(secure[1]) : 0, stderr: () => err, exited };
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      return { child, port: 0, tlsPort: 0, stderr: () => err, exited };
    }
    if (Date.now() > deadline) throw new Error(`strata serve ${args.join(' ')} neither listened nor exited in ${listenTimeoutMs} ms: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** startServe that rejects, with its stderr, unless the server listens. */
export async function startServeListening(args: readonly string[], opts: ServeOptions = {}): Promise<ServeProcess> {
  const served = await startServe(args, opts);
  if (served.port === 0) throw new Error(`strata serve did not start: ${served.stderr()}`);
  return served;
}

/** SIGTERM, then SIGKILL if it has not exited after `timeoutMs`; resolves once it exited. */
export async function stopServe(served: ServeProcess, timeoutMs: number): Promise<void> {
  if (served.child.exitCode !== null || served.child.signalCode !== null) return;
  served.child.kill('SIGTERM');
  const timer = setTimeout(() => served.child.kill('SIGKILL'), timeoutMs);
  await served.exited;
  clearTimeout(timer);
}

/** SIGKILLs every server startServe started that still runs (for afterEach / afterAll). */
export function killServes(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
}
