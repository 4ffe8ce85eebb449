/**
 * Where a warm kcat Fetch's CPU goes: the server's user and system seconds per GB apart, and the
 * whole machine's (/proc/stat: server, kcat and everything else), for each target in turn. With
 * --perf or --strace, one more repetition runs under perf record -g (/tmp/perf-TARGET.data) or
 * strace -c -f (/tmp/strace-TARGET.txt), printed apart: a tracer slows what it traces. With
 * --cpu-prof, strata serve runs under node --cpu-prof (/tmp/fetch-cpu-prof/).
 *   npx tsx harness/kinds/vs-kafka/fetch-cpu-split.ts kafka,strata-pwrite-sendfile 1000 [--reps 3] [--perf|--strace] [--cpu-prof]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { join } from 'node:path';
import { kcatConsume, kcatProduce } from '../../clients/kcat.js';
import { RecordFiles } from './clients.js';
import { cpuTimes, machineBusySeconds, parseTargets, startTarget } from './servers.js';

const argv = process.argv.slice(2);
const positional = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--reps'));
const targets = parseTargets(positional[0] ?? 'kafka,strata-pwrite-sendfile');
const mb = Number(positional[1] ?? 1000);
const repsAt = argv.indexOf('--reps');
const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : 3;
const tracer = argv.includes('--perf') ? 'perf' : argv.includes('--strace') ? 'strace' : undefined;
const cpuProfDir = argv.includes('--cpu-prof') ? '/tmp/fetch-cpu-prof' : undefined;
const RECORD_BYTES = 10_000;

function startTracer(pid: number, id: string): ChildProcess | undefined {
  if (tracer === 'perf') return spawn('perf', ['record', '-g', '-p', String(pid), '-o', `/tmp/perf-${id}.data`], { stdio: 'ignore' });
  if (tracer === 'strace') return spawn('strace', ['-c', '-f', '-p', String(pid), '-o', `/tmp/strace-${id}.txt`], { stdio: 'ignore' });
  return undefined;
}

/** One warm fetch of the whole topic, with the server's and the machine's CPU around it. */
async function measuredFetch(bootstrap: string, pid: number, records: number): Promise<string> {
  const before = cpuTimes(pid);
  const machineBefore = machineBusySeconds();
  const seconds = await kcatConsume(bootstrap, 'f', records);
  const after = cpuTimes(pid);
  const machine = machineBusySeconds() - machineBefore;
  const user = after.userSeconds - before.userSeconds;
  const system = after.systemSeconds - before.systemSeconds;
  const gb = mb / 1000;
  return `${(mb / seconds).toFixed(0)} MB/s, server user ${(user / gb).toFixed(3)} s/GB, system ${(system / gb).toFixed(3)} s/GB, machine ${(machine / gb).toFixed(3)} s/GB (server ${(((user + system) / machine) * 100).toFixed(0)}% of it)`;
}

const base = fs.mkdtempSync('/tmp/fetch-cpu-split-');
try {
  const files = new RecordFiles(join(base, 'files'));
  const records = Math.round((mb * 1e6) / RECORD_BYTES);
  for (const t of targets) {
    const server = await startTarget(t, { dir: join(base, t.id), kafkaHeap: '1G', cpuProfDir });
    try {
      await kcatProduce({ bootstrap: server.bootstrap, topic: 'f', file: files.get(records, RECORD_BYTES), codec: 'none', acks: 1 });
      await kcatConsume(server.bootstrap, 'f', records); // into the page cache, and the JIT warm
      for (let rep = 0; rep < reps; rep++) console.log(`${t.id} rep ${rep}: ${await measuredFetch(server.bootstrap, server.pid, records)}`);
      const traced = startTracer(server.pid, t.id);
      if (traced) {
        await new Promise((r) => setTimeout(r, 500)); // attached before the fetch starts
        console.log(`${t.id} under ${tracer} (slowed by it): ${await measuredFetch(server.bootstrap, server.pid, records)}`);
        traced.kill('SIGINT');
        await once(traced, 'exit');
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
