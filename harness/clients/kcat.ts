/**
 * The one kcat driver of the harness (kcat over librdkafka, Debian's): a bounded child process
 * whose stderr is kept for the error, a producer reading a prepared file and a consumer counting
 * (and, when asked, sizing) the records it prints. Every workload that runs kcat runs it here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export const KCAT = '/usr/bin/kcat';
const KCAT_TIMEOUT_MS = 900_000;
/** stderr kept of one kcat: its error lines, not a whole run's chatter. */
const STDERR_BYTES_MAX = 64 * 1024;

export interface KcatChild {
  child: ChildProcess;
  /** Resolves when kcat exited (killed with SIGKILL after timeoutMs); seconds from spawn. */
  done: Promise<{ code: number | null; stderr: string; seconds: number }>;
}

export interface KcatStart {
  timeoutMs?: number;
  onStdout?: (chunk: Buffer) => void;
  /** Another kcat binary than /usr/bin/kcat. */
  kcat?: string;
}

/** kcat ARGS with stdin open (a producer fed by the caller) and stdout to `onStdout` or dropped. */
export function startKcat(args: readonly string[], o: KcatStart = {}): KcatChild {
  const kcat = o.kcat ?? KCAT;
  const t0 = performance.now();
  const child = spawn(kcat, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < STDERR_BYTES_MAX) stderr += b.toString();
  });
  if (o.onStdout) child.stdout!.on('data', o.onStdout);
  else child.stdout!.resume();
  child.stdin!.on('error', () => {}); // a producer that exited early: its exit code says why
  const done = new Promise<{ code: number | null; stderr: string; seconds: number }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? KCAT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${kcat}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
  return { child, done };
}

export function kcatConfigArgs(config: Record<string, string> = {}): string[] {
  return Object.entries(config).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
}

export interface KcatProduce {
  bootstrap: string;
  topic: string;
  /** Values one per line (`kcat -P -l`). */
  file: string;
  codec: string;
  acks: number;
  /** Extra librdkafka properties. */
  config?: Record<string, string>;
  timeoutMs?: number;
  kcat?: string;
}

/** `kcat -P -l FILE`: seconds from spawn to exit (every record acknowledged: kcat waits for its queue). */
export async function kcatProduce(p: KcatProduce): Promise<number> {
  const c = startKcat(['-P', '-b', p.bootstrap, '-t', p.topic, '-z', p.codec, '-X', `acks=${p.acks}`, ...kcatConfigArgs(p.config), '-l', p.file], p);
  c.child.stdin!.end();
  const r = await c.done;
  // kcat exits 0 even when deliveries failed; its stderr then names them
  if (r.code !== 0 || /error|fail/i.test(r.stderr)) throw new Error(`kcat -P ${p.topic} to ${p.bootstrap} exited ${r.code}: ${r.stderr.trim().slice(-2000)}`);
  return r.seconds;
}

export interface KcatConsumeOptions {
  /** Keep reading past the log end until `records` came (a replicated topic's high watermark moves late). */
  untilCount?: boolean;
  /** One partition rather than all of them. */
  partition?: number;
  /** Every value must be this many bytes (kcat prints each value's size: `-f %S`). */
  valueBytes?: number;
  /** Extra librdkafka properties (e.g. fetch.message.max.bytes). */
  config?: Record<string, string>;
  /** Extra arguments (e.g. kcatSsl's). */
  args?: readonly string[];
  timeoutMs?: number;
  kcat?: string;
}

/** `kcat -C -o beginning -e -c N`: seconds to read `records` records, checked by counting them. */
export async function kcatConsume(bootstrap: string, topic: string, records: number, o: KcatConsumeOptions = {}): Promise<number> {
  let lines = 0;
  let wrongSize: string | undefined;
  let partial = '';
  const onStdout = o.valueBytes === undefined
    ? (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
    : (chunk: Buffer) => {
      const parts = (partial + chunk.toString('latin1')).split('\n');
      partial = parts.pop()!;
      lines += parts.length;
      wrongSize ??= parts.find((s) => Number(s) !== o.valueBytes);
    };
  const args = ['-C', '-b', bootstrap, '-t', topic, ...(o.partition === undefined ? [] : ['-p', String(o.partition)]), '-o', 'beginning',
    ...(o.untilCount ? [] : ['-e']), '-q', '-c', String(records), ...(o.valueBytes === undefined ? [] : ['-f', '%S\n']), ...kcatConfigArgs(o.config), ...(o.args ?? [])];
  const r = await startKcat(args, { ...o, onStdout }).done;
  if (r.code !== 0 || lines !== records || wrongSize !== undefined) {
    throw new Error(`kcat -C ${topic} from ${bootstrap}: exit ${r.code}, ${lines} of ${records} records${wrongSize === undefined ? '' : `, a value of ${wrongSize} bytes (expected ${o.valueBytes})`}: ${r.stderr.trim().slice(-2000)}`);
  }
  return r.seconds;
}
