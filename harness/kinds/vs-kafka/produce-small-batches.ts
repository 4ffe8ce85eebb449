/**
 * Produce of small batches, side by side: kcat -P with batch.num.messages=N (the 2014 benchmark's
 * 64 records of 100 B, uncompressed: many small Produce requests on one connection) against each
 * target in turn (a fresh server each, warmed up first by --warmup records: JIT compilation on both
 * sides), records/s, server and client (kcat) CPU per GB. --cpu-prof profiles strata serve
 * (/tmp/produce-cpu-prof/) and prints its top functions by self time.
 *   npm run build && npx tsx harness/kinds/vs-kafka/produce-small-batches.ts [targets] [--records N] [--warmup N] [--batch N] [--lz4] [--reps 3] [--cpu-prof]
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { spread } from '../../stats.js';
import { kcatProduce } from '../../clients/kcat.js';
import { RecordFiles } from './clients.js';
import { summarizeCpuProfile } from './profile.js';
import { cpuSeconds, ensureTopics, exitedChildrenCpuSeconds, parseTargets, startTarget } from './servers.js';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const targets = parseTargets(argv[0] && !argv[0].startsWith('--') ? argv[0] : 'kafka,strata-pwrite-sendfile');
const records = flag('--records', 2_000_000);
const warmup = flag('--warmup', records);
const batch = flag('--batch', 64);
const codec = argv.includes('--lz4') ? 'lz4' : 'none';
const reps = flag('--reps', 3);
const cpuProfDir = argv.includes('--cpu-prof') ? '/tmp/produce-cpu-prof' : undefined;
const RECORD_BYTES = 100;

const dir = fs.mkdtempSync('/tmp/produce-small-');
const files = new RecordFiles(join(dir, 'records'));
const file = files.get(records, RECORD_BYTES);
const warmupFile = files.get(warmup, RECORD_BYTES);
const gb = (records * RECORD_BYTES) / 1e9;
process.stdout.write(`# produce-small-batches ${targets.map((t) => t.id).join(',')} --records ${records} --warmup ${warmup} --batch ${batch} ${codec} --reps ${reps}; ${new Date().toISOString()}\n`);
const rates = new Map<string, number[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const target of targets) {
    const server = await startTarget(target, { dir: join(dir, `${target.id}-${rep}`), kafkaHeap: '1G', cpuProfDir: rep === reps - 1 ? cpuProfDir : undefined });
    try {
      await ensureTopics(server.bootstrap, ['warmup', 't']);
      await kcatProduce({ bootstrap: server.bootstrap, topic: 'warmup', file: warmupFile, codec, acks: 1, config: { 'batch.num.messages': String(batch), 'linger.ms': '1' } });
      const c0 = cpuSeconds(server.pid);
      const k0 = exitedChildrenCpuSeconds();
      const seconds = await kcatProduce({ bootstrap: server.bootstrap, topic: 't', file, codec, acks: 1, config: { 'batch.num.messages': String(batch), 'linger.ms': '1' } });
      const serverCpuPerGb = (cpuSeconds(server.pid) - c0) / gb;
      const kcatCpuPerGb = (exitedChildrenCpuSeconds() - k0) / gb;
      const rate = records / seconds;
      rates.set(target.id, [...(rates.get(target.id) ?? []), rate]);
      process.stdout.write(`${target.id} rep ${rep}: ${Math.round(rate).toLocaleString('en-US')} records/s, server CPU ${serverCpuPerGb.toFixed(2)} s/GB, kcat CPU ${kcatCpuPerGb.toFixed(2)} s/GB\n`);
    } finally {
      await server.stop();
    }
  }
}
const kafka = spread(rates.get('kafka')!).median;
for (const [id, xs] of rates) {
  const m = spread(xs).median;
  process.stdout.write(`# ${id}: median ${Math.round(m).toLocaleString('en-US')} records/s (${(m / kafka).toFixed(2)}x Kafka)\n`);
}
if (cpuProfDir) {
  for (const f of fs.readdirSync(cpuProfDir).filter((n) => n.endsWith('.cpuprofile'))) {
    const s = summarizeCpuProfile(join(cpuProfDir, f), 25);
    process.stdout.write(`# cpu profile ${f}: ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms\n`);
    for (const fn of s.functions) process.stdout.write(`#   ${JSON.stringify(fn)}\n`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
