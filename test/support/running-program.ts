/** Running a client program in the background while a test watches what it prints (one JSON object per line). */
import { spawn, type ChildProcess } from 'node:child_process';

/** A program running in the background, its stdout's JSON lines collected as they come. */
export interface RunningProgram {
  readonly child: ChildProcess;
  /** JSON lines printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves at exit with the code or signal and the stderr (its last 64 KiB). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once `until` holds for the lines printed so far; rejects after timeoutMs or at exit. */
  waitFor(what: string, until: (lines: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<void>;
}

const STDERR_KEPT_BYTES = 64 * 1024;

/** Starts `command args` (in `cwd`, default this process's); `name` names it in errors. The caller ends it. */
export function startProgram(name: string, command: string, args: readonly string[], cwd?: string): RunningProgram {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  let ended = false;
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop()!;
    for (const l of complete) if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const f of listeners) f();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_BYTES)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (partial.startsWith('{')) lines.push(JSON.parse(partial) as Record<string, unknown>); // a last line without its newline
      partial = '';
      ended = true;
      for (const f of listeners) f();
      resolve({ code, signal, stderr });
    });
  });
  const waitFor = (what: string, until: (lines: Record<string, unknown>[]) => boolean, timeoutMs = 90_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (until(lines)) done(resolve);
        else if (ended) done(() => reject(new Error(`${name} exited (${String(child.exitCode ?? child.signalCode)}) before ${what}; last lines: ${JSON.stringify(lines.slice(-5))}; stderr: ${stderr.slice(-4000)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} after ${timeoutMs} ms; stderr: ${stderr.slice(-4000)}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  return { child, lines, exited, waitFor };
}

/**
 * Runs `command args` to its end, killed (SIGKILL) after timeoutMs; the JSON lines it printed, or a
 * rejection naming `name` with its exit, its last lines and its stderr unless it exited 0.
 */
export async function runProgram(name: string, command: string, args: readonly string[], opts: { timeoutMs: number; cwd?: string }): Promise<Record<string, unknown>[]> {
  const program = startProgram(name, command, args, opts.cwd);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    program.child.kill('SIGKILL');
  }, opts.timeoutMs);
  const { code, signal, stderr } = await program.exited.finally(() => clearTimeout(timer));
  if (code !== 0) {
    const why = timedOut ? `was killed after ${opts.timeoutMs} ms` : `exited ${code ?? signal}`;
    throw new Error(`${name} ${why}; last lines: ${JSON.stringify(program.lines.slice(-5))}; stderr: ${stderr.slice(-4000)}`);
  }
  return program.lines;
}
