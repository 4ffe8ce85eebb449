/**
 * Where a warm kcat Fetch's CPU goes: the server's user and system seconds per GB apart, and the
 * whole machine's (/proc/stat: server, kcat and everything else), for each target in turn; with
 * --perf a perf record -g of the server during the last repetition (/tmp/perf-TARGET.data), with
 * --strace an strace -c -f (/tmp/strace-TARGET.txt).
 *   npx tsx harness/bench/vs-kafka/fetch-cpu-split.ts kafka,strata-pwrite-sendfile 1000 [--perf] [--strace] [--cpu-prof]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { RecordFiles, kcatConsume, kcatProduce } from './clients.js';
import { parseTargets, startTarget } from './servers.js';

const targets = parseTargets(process.argv[2] ?? 'kafka,strata-pwrite-sendfile');
const mb = Number(process.argv[3] ?? 1000);
const perf = process.argv.includes('--perf');
/** --cpu-prof: node --cpu-prof for strata serve, into /tmp/fetch-cpu-prof/ */
const cpuProfDir = process.argv.includes('--cpu-prof') ? '/tmp/fetch-cpu-prof' : undefined;
const base = fs.mkdtempSync('/tmp/fetchprof-');
const files = new RecordFiles(join(base, 'files'));
const records = Math.round((mb * 1e6) / 10_000);
const stat = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { u: Number(f[11]) / 100, s: Number(f[12]) / 100 };
};
/** busy jiffies of the whole machine (everything but idle and iowait), seconds */
const machine = () => {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
};
for (const t of targets) {
  const server = await startTarget(t, { dir: join(base, t.id), kafkaHeap: '1G', cpuProfDir });
  try {
    await kcatProduce({ bootstrap: server.bootstrap, topic: 'f', file: files.get(records, 10_000), codec: 'none', acks: 1 });
    await kcatConsume(server.bootstrap, 'f', records); // warm
    for (let rep = 0; rep < 3; rep++) {
      let perfChild;
      if (perf && rep === 2) perfChild = spawn('perf', ['record', '-g', '-p', String(server.pid), '-o', `/tmp/perf-${t.id}.data`], { stdio: 'ignore' });
      if (process.argv.includes('--strace') && rep === 2) perfChild = spawn('strace', ['-c', '-f', '-p', String(server.pid), '-o', `/tmp/strace-${t.id}.txt`], { stdio: 'ignore' });
      if (perfChild) await new Promise((r) => setTimeout(r, 500));
      const a = stat(server.pid);
      const m0 = machine();
      const sec = await kcatConsume(server.bootstrap, 'f', records);
      const b = stat(server.pid);
      const m1 = machine();
      if (perfChild) { perfChild.kill('SIGINT'); await new Promise((r) => perfChild.once('exit', r)); }
      const gb = mb / 1000;
      console.log(`${t.id} rep ${rep}: ${(mb / sec).toFixed(0)} MB/s, user ${((b.u - a.u) / gb).toFixed(3)} s/GB, sys ${((b.s - a.s) / gb).toFixed(3)} s/GB, machine ${((m1 - m0) / gb).toFixed(3)} s/GB (server ${(((b.u + b.s - a.u - a.s) / (m1 - m0)) * 100).toFixed(0)}%)`);
    }
  } finally {
    await server.stop();
  }
}
fs.rmSync(base, { recursive: true, force: true });
