/**
 * The conformance suite's crash test (test/conformance/suite.ts) with a power cut instead of a
 * bare SIGKILL: a real writer process appends with concurrent appenders and prints every append
 * once it counts as durable; at a random moment the power goes (crashfs drops everything not
 * durable, sometimes letting a random half of the dirty pages through first), the writer is
 * killed, the file system is unmounted and mounted again, and the log is reopened (recovery):
 * every append reported durable must read back byte-identical, every batch must be valid, and the
 * offline verifier must pass the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { logConfigFrom, parseConfigPairs } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { verifyDataDir } from '../../core/log/log-verifier.js';
import { silentLogger } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { crashRecordValue } from '../conformance/crash-values.js';
import { CrashFs, type CrashFsStats } from './crashfs.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Power cuts per engine: 200 unless STRATA_POWER_CUTS says otherwise (fewer for local runs). */
export const POWER_CUTS = Number(process.env.STRATA_POWER_CUTS ?? 200);

/**
 * Bundles a TypeScript entry into one JavaScript file, so a child starts in ~0.3 s instead of
 * tsx's ~0.9 s. It goes to REPO/tmp/<name>/, two levels below the package as dist/cli/ is, where
 * native/index.ts finds the addon and packages resolve from REPO/node_modules.
 */
export async function bundle(entry: string, name: string): Promise<string> {
  const outdir = join(REPO, 'tmp', `${name}-${process.pid}`);
  await build({ entryPoints: [join(REPO, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outdir, packages: 'external', logLevel: 'error' });
  return outdir;
}

export interface PowerCutOptions {
  engine: string;
  /** When the writer reports an append durable (see power-cut-writer.ts). */
  ack: 'flush' | 'append';
  /** Log config of the writer (key=value), e.g. flush.messages=1. */
  config?: string[];
  cuts: number;
  /** The bundled power-cut-writer.js. */
  writer: string;
  /** Where the backing directory and the mountpoint go. */
  baseDir: string;
  /** crashfs options, e.g. --strict-dirs. */
  crashfsFlags?: string[];
  /** Stop at the first cycle that loses an acknowledged append (the loss test). */
  stopAtLoss?: boolean;
}

export interface PowerCutResult {
  cuts: number;
  /** Appends reported durable, over all cycles. */
  acknowledged: number;
  /** Of those, missing or different after recovery. */
  lost: number;
  /** The first few losses, for the message. */
  losses: string[];
  elapsedMs: number;
  /** crashfs counters summed over the cycles (syncs seen, bytes dropped...). */
  totals: Partial<CrashFsStats>;
  /** Milliseconds spent per phase over all cycles: where a cycle's time goes. */
  phasesMs: Record<'load' | 'start' | 'run' | 'cut' | 'remount' | 'open' | 'read' | 'close' | 'verify', number>;
}

interface Writer {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<void>;
}

function startWriter(script: string, dir: string, o: PowerCutOptions): Writer {
  const child = spawn(process.execPath, [script, dir, o.engine, '8', o.ack, ...(o.config ?? [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.stdin!.on('error', () => {});
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor(w: Writer, line: string): Promise<void> {
  while (!w.out().includes(`${line}\n`)) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) throw new Error(`power-cut writer exited before "${line}": ${w.err()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function addStats(totals: Partial<CrashFsStats>, s: CrashFsStats): void {
  for (const [k, v] of Object.entries(s) as [keyof CrashFsStats, number][]) if (k !== 'dirty_bytes' && k !== 'pending_ops') totals[k] = (totals[k] ?? 0) + v;
}

/** Reads the whole recovered log (decodeBatch checks every CRC); throws on offsets out of order. */
async function readAll(log: Log): Promise<Map<number, Buffer>> {
  const present = new Map<number, Buffer>();
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = await log.readBatches(offset, 1 << 20);
    if (batches.length === 0) throw new Error(`no batch at offset ${offset} below the log end ${log.logEndOffset}`);
    for (const b of batches) {
      if (b.header.baseOffset < offset) throw new Error(`batch at ${b.header.baseOffset} goes back before ${offset}`);
      for (const r of b.records) present.set(r.offset, Buffer.from(r.value!));
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return present;
}

/**
 * Cycles that append to one log: every cycle checks every append acknowledged since the log's
 * first cycle (recovery must never cut into acknowledged data, however many cuts later), and
 * reading it all back each time costs what the log holds, so a fresh log starts after this many
 * (5: a cycle's recovery then stays ~0.1 s on this loaded VM; 10 doubled it).
 */
const CYCLES_PER_LOG = 5;

export async function runPowerCuts(o: PowerCutOptions): Promise<PowerCutResult> {
  const started = Date.now();
  const mnt = join(o.baseDir, 'mnt');
  const dataDirOf = (cycle: number) => join(mnt, `data-${Math.floor(cycle / CYCLES_PER_LOG)}`);
  const dirOf = (cycle: number) => join(dataDirOf(cycle), 'crash-0');
  let crashfs = await CrashFs.mount(join(o.baseDir, 'backing'), mnt, o.crashfsFlags);
  for (let c = 0; c < o.cuts; c += CYCLES_PER_LOG) fs.mkdirSync(dirOf(c), { recursive: true });
  crashfs.sync(); // the directories exist before the first cut
  const engine = await loadEngine(o.engine);
  const config = logConfigFrom({ 'segment.bytes': String(256 * 1024), ...parseConfigPairs(o.config ?? []), 'retention.ms': '-1' });
  const acked = new Map<number, number>();
  const result: PowerCutResult = { cuts: 0, acknowledged: 0, lost: 0, losses: [], elapsedMs: 0, totals: {}, phasesMs: { load: 0, start: 0, run: 0, cut: 0, remount: 0, open: 0, read: 0, close: 0, verify: 0 } };
  let mark = Date.now();
  const phase = (name: keyof PowerCutResult['phasesMs']) => {
    const now = Date.now();
    result.phasesMs[name] += now - mark;
    mark = now;
  };
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let next = startWriter(o.writer, dirOf(0), o);
  try {
    for (let cycle = 0; cycle < o.cuts; cycle++) {
      const dir = dirOf(cycle);
      if (cycle % CYCLES_PER_LOG === 0) acked.clear();
      const writer = next;
      await waitFor(writer, 'loaded');
      phase('load');
      writer.child.stdin!.write('go\n');
      await waitFor(writer, 'ready');
      phase('start');
      // the next cycle's writer loads while this one runs
      next = startWriter(o.writer, dirOf(cycle + 1), o);
      await new Promise((r) => setTimeout(r, 5 + random() * 60));
      phase('run');
      crashfs.cut(cycle % 2 === 1 ? cycle : undefined);
      addStats(result.totals, crashfs.stats());
      writer.child.kill('SIGKILL');
      await writer.exited;
      result.cuts++;
      // only complete lines count: a line is printed after its append was durable
      for (const line of writer.out().split('\n').slice(2, -1)) {
        const [offset, id] = line.split(' ').map(Number);
        acked.set(offset!, id!);
        result.acknowledged++;
      }
      phase('cut');
      crashfs = await crashfs.remount();
      phase('remount');
      const log = await Log.open(dir, config, { engine, logger: silentLogger });
      phase('open');
      try {
        const present = await readAll(log);
        phase('read');
        for (const [off, id] of acked) {
          const value = present.get(off);
          if (value && value.equals(crashRecordValue(id))) continue;
          result.lost++;
          if (result.losses.length < 5) result.losses.push(`cycle ${cycle}: acknowledged offset ${off} (id ${id}) ${value ? 'reads back different bytes' : 'is missing'}`);
          acked.delete(off); // its offset is handed out again from now on
        }
      } finally {
        await log.close();
      }
      phase('close');
      const report = await verifyDataDir(dataDirOf(cycle));
      phase('verify');
      if (report.problem) throw new Error(`cycle ${cycle}: the recovered log is not valid: ${report.problem}`);
      if (o.stopAtLoss && result.lost > 0) break;
    }
  } finally {
    next.child.kill('SIGKILL');
    await next.exited;
    await crashfs.forceUnmount();
  }
  result.elapsedMs = Date.now() - started;
  return result;
}
