/**
 * Workload kind `transfer`: strata's sendfile and buffered transfers shipping a partition log over
 * loopback, beside the C loops of the same system calls on the same segment files into the same
 * sink (the limit strata is held to) and iperf3 (plain and -Z). Each repetition runs every sender
 * once, in alternating order (reversed on odd repetitions, so neither end of a repetition favours
 * one sender). A strata cell carries its per-repetition ratios to the C loop of its own transfer
 * (`toLoop.*`: sendfile to the sendfile loop, buffered to the pread+write loop).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LOG_CONFIG } from '../../../core/config/log-config.js';
import { Log } from '../../../core/log/log.js';
import { silentLogger } from '../../../core/tokens.js';
import type { Transfer } from '../../../core/transfer.js';
import { pwriteEngine } from '../../../engines/pwrite.js';
import { BufferedTransfer, bufferedTransfer } from '../../../engines/transfer/buffered.js';
import { createSendfileTransfer } from '../../../engines/transfer/sendfile.js';
import { iperfVersion } from '../../baselines/iperf.js';
import { fingerprint, repoRoot } from '../../fingerprint.js';
import type { BenchResults, Metrics } from '../../results.js';
import { round } from '../../stats.js';
import { workloadHash } from '../../workload.js';
import { focusedCell, focusedResults, kindOptions, type KindRun } from '../kind.js';
import { cSenderBinary, cSenderOnce, hotRegionOnce, iperfOnce, sendReceiveOnce, shipOnce, startSink, TOPIC, type Sample } from './senders.js';
import { renderTransferReport } from './report.js';

export interface TransferOptions {
  logMib: number;
  sendfileChunkKib: number;
  rwChunkKib: number;
  /** Also `strata send` into a real `strata receive`. */
  sendReceive: boolean;
}

export function transferOptions(run: KindRun): TransferOptions {
  const o = kindOptions(run, 'transfer');
  const out = {
    // --quick: a log small enough for a smoke run, whatever the file asks
    logMib: o.count('logMib', 1024, 64 * 1024, run.quick ? 64 : undefined),
    sendfileChunkKib: o.count('sendfileChunkKib', 2048, 1 << 20),
    rwChunkKib: o.count('rwChunkKib', 128, 1 << 20),
    sendReceive: o.bool('sendReceive', false),
  };
  o.done();
  return out;
}

/** A sender: its cell's shape, and the C loop a strata cell is set against. */
interface Sender {
  id: string;
  engine: string;
  transfer: string;
  logImpl: string;
  title: string;
  loop?: string;
  run: () => Promise<Sample>;
}

function metrics(s: Sample): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(s)) if (Number.isFinite(v)) out[`ship.${k}`] = round(v);
  return out;
}

/** The log to ship, written in a child process: the garbage it leaves is not this process's CPU. */
function makeLog(dataDir: string, logMib: number): void {
  const root = repoRoot();
  const maker = join(root, 'test/transfer/fixtures/make-log.ts');
  if (!existsSync(maker)) throw new Error(`the transfer workload runs from a checkout of strata: it writes its log with ${maker}, which an installed package does not have`);
  // ~1 MiB batches (100 records of 10,400 B), 128 MiB segments
  execFileSync(process.execPath, ['--import', 'tsx', maker, dataDir, TOPIC, '0', String(logMib), '100', '10400', String(128 << 20)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function runTransferKind(run: KindRun): Promise<BenchResults> {
  const started = Date.now();
  const o = transferOptions(run);
  const iperf3 = await iperfVersion();
  const fp = await fingerprint(run.dataDir, workloadHash(run.workload), run.workload.seed, { iperf3 });
  const work = mkdtempSync(join(run.dataDir, 'strata-transfer-'));
  const sink = await startSink();
  try {
    run.log(`writing a ${o.logMib} MiB log ...`);
    const dataDir = join(work, 'data');
    makeLog(dataDir, o.logMib);
    const log = await Log.open(join(dataDir, `${TOPIC}-0`), DEFAULT_LOG_CONFIG, { engine: pwriteEngine, logger: silentLogger });
    try {
      const bytes = log.sizeBytes;
      const transfers: Transfer[] = [createSendfileTransfer(), bufferedTransfer, new BufferedTransfer({ readCachedInline: false })];
      // one warm-up ship each: page cache hot, JIT warm
      for (const t of transfers) await shipOnce(log, t, sink, bytes);
      const files = readdirSync(log.dir).filter((f) => f.endsWith('.log')).sort().map((f) => join(log.dir, f));
      const cSender = cSenderBinary(work);
      const sfChunk = o.sendfileChunkKib * 1024;
      const rwChunk = o.rwChunkKib * 1024;
      const senders: Sender[] = [
        { id: 'c-sendfile-loop', engine: 'c-loop', transfer: 'sendfile', logImpl: 'native/src/c_sender.c sendfile', title: `C sendfile loop (${o.sendfileChunkKib} KiB calls)`, run: () => cSenderOnce(cSender, 'sendfile', sfChunk, files, sink, bytes) },
        { id: 'strata-sendfile', engine: 'pwrite', transfer: 'sendfile', logImpl: 'strata sendfile transfer', title: 'strata sendfile', loop: 'c-sendfile-loop', run: () => shipOnce(log, transfers[0]!, sink, bytes) },
        { id: 'c-pread-write-loop', engine: 'c-loop', transfer: 'buffered', logImpl: 'native/src/c_sender.c rw', title: `C pread+write loop (${o.rwChunkKib} KiB)`, run: () => cSenderOnce(cSender, 'rw', rwChunk, files, sink, bytes) },
        { id: 'strata-buffered', engine: 'pwrite', transfer: 'buffered', logImpl: 'strata buffered transfer', title: 'strata buffered', loop: 'c-pread-write-loop', run: () => shipOnce(log, transfers[1]!, sink, bytes) },
        { id: 'strata-buffered-pool-reads', engine: 'pwrite', transfer: 'buffered', logImpl: 'strata buffered transfer, readCachedInline: false', title: 'strata buffered, every read in the thread pool', loop: 'c-pread-write-loop', run: () => shipOnce(log, transfers[2]!, sink, bytes) },
        ...(iperf3 ? [
          { id: 'iperf3', engine: 'iperf3', transfer: 'buffered', logImpl: iperf3, title: 'iperf3', run: () => iperfOnce(bytes, false) },
          { id: 'iperf3-zerocopy', engine: 'iperf3', transfer: 'sendfile', logImpl: iperf3, title: 'iperf3 -Z', run: () => iperfOnce(bytes, true) },
        ] : []),
        { id: 'strata-sendfile-hot-region', engine: 'pwrite', transfer: 'sendfile', logImpl: 'strata sendfile transfer', title: 'strata sendfile, one hot 128 KiB region (iperf3 -Z pattern)', run: () => hotRegionOnce(log, transfers[0]!, sink, bytes) },
      ];
      if (o.sendReceive) {
        for (const t of ['sendfile', 'buffered']) {
          senders.push({ id: `send-receive-${t}`, engine: 'pwrite', transfer: t, logImpl: `strata send --transfer ${t} | strata receive`, title: `strata send | strata receive, ${t}`, run: () => sendReceiveOnce(dataDir, t, join(work, `receive-${t}`)) });
        }
      }
      const samples = new Map<string, Sample[]>(senders.map((s) => [s.id, []]));
      for (let rep = 0; rep < run.workload.repetitions; rep++) {
        // alternate the order: what runs right after another sender (a hot or a busy CPU) changes
        for (const s of rep % 2 ? [...senders].reverse() : senders) samples.get(s.id)!.push(await s.run());
        run.log(`rep ${rep + 1}/${run.workload.repetitions} done`);
      }
      const cells = senders.map((s) => focusedCell({
        id: s.id, engine: s.engine, transfer: s.transfer, codec: 'none', recordBytes: 10_400, logImpl: s.logImpl,
        notes: [s.title, ...(s.loop ? [`toLoop.*: against ${s.loop} of the same repetition`] : [])],
        repetitions: samples.get(s.id)!.map((x, rep) => {
          const m = metrics(x);
          const loop = s.loop ? samples.get(s.loop)![rep]! : undefined;
          if (loop) {
            m['toLoop.mbPerSec'] = round(x.mbPerSec / loop.mbPerSec);
            m['toLoop.cpuSecondsPerGb'] = round(x.cpuSecondsPerGb / loop.cpuSecondsPerGb);
          }
          return m;
        }),
      }));
      const notes = [`log: ${bytes} bytes; receiver of every sender but iperf3: ${sink.kind}`, ...(iperf3 ? [] : ['iperf3 is not installed: its rows are left out'])];
      const details = { logBytes: bytes, sink: sink.kind, options: o };
      const results = focusedResults(run, fp, cells, details, notes, started);
      writeFileSync(join(run.outDir, 'report.md'), renderTransferReport(results));
      return results;
    } finally {
      await log.close();
    }
  } finally {
    sink.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
