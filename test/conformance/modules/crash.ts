/**
 * The crash test: a real child process (crash-writer.ts) appends with 8 concurrent appenders and is
 * SIGKILLed at random moments; after each kill every append it reported durable must read back
 * byte-identical and every batch must be valid. A process kill keeps the page cache, so this checks
 * what the Log and engine had handed to the kernel, not power loss; an engine without durableAppend
 * is flushed by the writer before it reports an append.
 */
import { spawn } from 'node:child_process';
import { logConfigFrom } from '../../../core/config/log-config.js';
import { Log } from '../../../core/log/log.js';
import { silentLogger } from '../../../core/tokens.js';
import { crashRecordValue } from '../crash-values.js';
import { childScript, type Scope, type Suite } from '../context.js';

const APPENDERS = 8;

/** Runs the writer until a random moment, kills it, and returns the "offset id" lines it completed. */
async function runAndKill(dir: string, engineModule: string, delayMs: number): Promise<[number, number][]> {
  const { script, nodeArgs } = childScript('crash-writer');
  const child = spawn(process.execPath, [...nodeArgs, script, dir, engineModule, String(APPENDERS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) ready();
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await Promise.race([readyP, exited]);
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  await exited;
  // only complete lines count: a line is printed after its append was durable
  return out.split('\n').slice(1, -1).map((line) => line.split(' ').map(Number) as [number, number]);
}

async function checkAcked(s: Scope, dir: string, acked: Map<number, number>, cycle: number): Promise<void> {
  const log = await Log.open(dir, logConfigFrom({ 'segment.bytes': String(256 * 1024), 'retention.ms': '-1' }), { engine: s.engine, logger: silentLogger });
  try {
    const present = new Map<number, Buffer>();
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const batches = await log.readBatches(offset, 1 << 20); // decodeBatch validates every CRC
      for (const b of batches) for (const r of b.records) present.set(r.offset, Buffer.from(r.value!));
      const last = batches[batches.length - 1]!.header;
      offset = last.baseOffset + last.lastOffsetDelta + 1;
    }
    for (const [off, id] of acked) {
      const value = present.get(off);
      if (!value || !value.equals(crashRecordValue(id))) {
        throw new Error(`cycle ${cycle}: acknowledged offset ${off} (id ${id}) ${value ? 'reads back different bytes' : 'is missing'}`);
      }
    }
  } finally {
    await log.close();
  }
}

export function crash(suite: Suite): void {
  const { engineModule } = suite.options;
  const cycles = suite.options.crashCycles ?? 20;
  if (!engineModule) {
    process.stderr.write(`conformance ${suite.engine.name}: crash test skipped (no engineModule: a child process cannot load the engine)\n`);
    return;
  }
  suite.test(`keeps every durable append across ${cycles} SIGKILLs of a real writer`, async (s) => {
    const dir = s.dir();
    const acked = new Map<number, number>();
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let cycle = 0; cycle < cycles; cycle++) {
      for (const [offset, id] of await runAndKill(dir, engineModule, 20 + random() * 150)) acked.set(offset, id);
      await checkAcked(s, dir, acked, cycle);
    }
    if (acked.size <= cycles) throw new Error(`only ${acked.size} appends acknowledged over ${cycles} cycles: the writer hardly ran`);
  }, 180_000);
}
