/**
 * Log shipping: partition 0's measured records sent to a `strata receive` on another host (the
 * NIC under test), its append included in the time.
 */
import { sendLog } from '../../engines/transfer/ship/sender.js';
import { RssSampler, residency, usageDelta, usageNow } from '../os-probes.js';
import { PHASE_TIMEOUT_MS, type CellRun } from './cell-run.js';
import { cacheStatsOf, phaseUsage, readMetrics, type ReadMetrics } from './metrics.js';

/** Topic the harness ships under; the receiver must be started with --topic strata-bench. */
export const RECEIVER_TOPIC = 'strata-bench';
/** How long a ship waits for the receiver to accept (it restarts between streams). */
const RECEIVER_CONNECT_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function shipPhase(run: CellRun, receiver: { host: string; port: number }, paths: readonly string[], records: number): Promise<ReadMetrics> {
  const before = await residency(paths);
  const cacheBefore = cacheStatsOf(run.components);
  const ru0 = usageNow();
  const sampler = new RssSampler();
  const r = await sendWithRetry(run, receiver);
  const usage = phaseUsage(usageDelta(ru0, usageNow()), sampler.stop(), r.bytes);
  return readMetrics(usage, { readers: 1, bytes: r.bytes, seconds: r.elapsedMs / 1000, records, residentBytesBefore: before.residentBytes, cacheBefore, cacheAfter: cacheStatsOf(run.components), clientCpuS: 0 });
}

/** The receiver takes one stream per process: give a restarting one a moment to accept. */
async function sendWithRetry(run: CellRun, receiver: { host: string; port: number }): ReturnType<typeof sendLog> {
  const deadline = Date.now() + RECEIVER_CONNECT_WAIT_MS;
  for (;;) {
    try {
      return await sendLog({ log: run.logs[0]!.coreLog, topic: RECEIVER_TOPIC, partition: 0, fromOffset: run.startOffsets[0]!, host: receiver.host, port: receiver.port, transfer: run.components.transfer, replyTimeoutMs: PHASE_TIMEOUT_MS });
    } catch (err) {
      if (!/cannot connect/.test((err as Error).message) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}
