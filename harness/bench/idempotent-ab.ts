/**
 * Idempotent produce, two checkouts of strata in the same run: `strata serve` of each in turn,
 * alternating, against Kafka's ProducerPerformance with the Java producer's defaults
 * (enable.idempotence=true, acks=all; records/s as it reports them) and kcat -X
 * enable.idempotence=true (records/s over its whole run). Prints each run, then
 * per client the medians and the ratio after / before of records/s and of the server's CPU
 * (utime + stime from /proc/PID/stat, all threads) per million records. Shorter runs than the
 * default are dominated by the noise of a shared machine (and by /proc's 10 ms CPU ticks).
 *
 *   git clone -q --shared . /tmp/strata-base && git -C /tmp/strata-base checkout -q BASE_COMMIT
 *   ln -s "$PWD/node_modules" /tmp/strata-base/node_modules && cp -r native/build /tmp/strata-base/native/
 *   node --import tsx harness/bench/idempotent-ab.ts --before /tmp/strata-base [--after .] [--reps 3] [--records 1500000]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KAFKA_MAIN, kafkaScriptJvmFlags, runKafkaToolOk } from '../peers/kafka/kafka-tools.js';
import { killServes, startServeListening, type ServeProcess } from '../serve-process.js';

const { values: o } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: resolve(import.meta.dirname, '../..') },
    reps: { type: 'string', default: '3' },
    records: { type: 'string', default: '1500000' },
    'record-size': { type: 'string', default: '100' },
  },
});
if (!o.before) throw new Error('--before ROOT (a checkout of the base commit with node_modules and native/build) is required');
const REPS = Number(o.reps);
const RECORDS = Number(o.records);
const RECORD_BYTES = Number(o['record-size']);
const CLK_TCK = 100; // Linux USER_HZ, what /proc/PID/stat counts in

/** utime + stime of a process (all its threads), seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

type Client = 'java' | 'kcat';
interface Run {
  side: 'before' | 'after';
  client: Client;
  recordsPerS: number;
  cpuSPerMRecords: number;
}

const payloadFile = join(os.tmpdir(), `strata-idem-ab-${process.pid}.txt`);
fs.writeFileSync(payloadFile, Array.from({ length: RECORDS }, (_, i) => String(i).padStart(RECORD_BYTES, 'v')).join('\n') + '\n');

async function produce(client: Client, port: number, topic: string): Promise<number> {
  const start = process.hrtime.bigint();
  if (client === 'java') {
    const args = ['--topic', topic, '--num-records', String(RECORDS), '--record-size', String(RECORD_BYTES), '--throughput', '-1', '--producer-props', `bootstrap.servers=127.0.0.1:${port}`];
    const r = await runKafkaToolOk(KAFKA_MAIN.producerPerformance, args, { jvmFlags: kafkaScriptJvmFlags({ xmx: '512M' }) });
    // its own figure: from the first send to the last acknowledgement, without the JVM's start
    const summary = [...r.stdout.matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)].at(-1); // the last line is the total
    if (!summary || Number(summary[1]) !== RECORDS) throw new Error(`no ProducerPerformance summary of ${RECORDS} records: ${r.stdout.slice(-2000)}`);
    return Number(summary[2]);
  } else {
    const r = spawnSync('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-X', 'enable.idempotence=true', '-l', payloadFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kcat exited ${r.status}: ${r.stderr}`);
  }
  return RECORDS / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(side: 'before' | 'after', root: string, client: Client, rep: number): Promise<Run> {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-idem-ab-'));
  let served: ServeProcess | undefined;
  try {
    served = await startServeListening(['--data-dir', dataDir, '--listen', '127.0.0.1:0'], { root });
    const pid = served.child.pid!;
    const topic = `idem-${client}-${rep}`;
    const cpu0 = cpuSeconds(pid);
    const recordsPerS = await produce(client, served.port, topic);
    const cpu = cpuSeconds(pid) - cpu0;
    return { side, client, recordsPerS, cpuSPerMRecords: (cpu * 1e6) / RECORDS };
  } finally {
    served?.child.kill('SIGTERM');
    if (served) await served.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const roots = { before: resolve(o.before), after: resolve(o.after) };
  const commit = (root: string) => execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  process.stdout.write(`before ${roots.before} (${commit(roots.before)}), after ${roots.after} (${commit(roots.after)}); ${RECORDS} records of ${RECORD_BYTES} B, ${REPS} reps, alternating\n`);
  const runs: Run[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const client of ['java', 'kcat'] as const) {
      // the side that goes first alternates with each rep, so a drift in the machine hits both
      const order = rep % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      for (const side of order) {
        const run = await measure(side, roots[side], client, rep);
        runs.push(run);
        process.stdout.write(`rep ${rep} ${client} ${side}: ${run.recordsPerS.toFixed(0)} records/s, server ${run.cpuSPerMRecords.toFixed(2)} CPU s per 1M records\n`);
      }
    }
  }
  for (const client of ['java', 'kcat'] as const) {
    const of = (side: string, f: (r: Run) => number) => median(runs.filter((r) => r.client === client && r.side === side).map(f));
    const [rb, ra] = [of('before', (r) => r.recordsPerS), of('after', (r) => r.recordsPerS)];
    const [cb, ca] = [of('before', (r) => r.cpuSPerMRecords), of('after', (r) => r.cpuSPerMRecords)];
    process.stdout.write(
      `${client}: median records/s before ${rb.toFixed(0)}, after ${ra.toFixed(0)} (x${(ra / rb).toFixed(2)}); ` +
        `server CPU s per 1M records before ${cb.toFixed(2)}, after ${ca.toFixed(2)} (x${(ca / cb).toFixed(2)})\n`,
    );
  }
} finally {
  killServes();
  fs.rmSync(payloadFile, { force: true });
}
