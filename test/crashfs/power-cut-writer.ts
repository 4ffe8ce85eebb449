/**
 * The child process of the power-cut test: the conformance suite's crash writer
 * (test/conformance/crash-writer.ts: concurrent appenders printing "offset id" for every append
 * once durable), with two changes that test needs.
 *
 * - It loads, prints "loaded" and waits for "go" on stdin before opening the log, so the parent
 *   can start the next cycle's writer while the current one runs: a cycle then costs the writer's
 *   run, not Node's start-up (~0.3 s here).
 * - `ack` says when an append counts as durable: `flush` as crash-writer.ts (the append's promise
 *   for a durableAppend engine, after log.flush() otherwise), `append` when the append's promise
 *   resolves, whatever the engine: right for flush.messages=1 (the Log flushes before it
 *   resolves), and wrong for plain pwrite, which is what the loss test shows.
 *
 * argv: dataDir engine appenders ack(flush|append) [key=value config...]
 */
import { DEFAULT_LOG_CONFIG, logConfigFrom, parseConfigPairs } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { crashRecordValue } from '../conformance/crash-values.js';

const [dataDir, engineSpec, appendersText, ack, ...pairs] = process.argv.slice(2);
if (ack !== 'flush' && ack !== 'append') throw new Error(`power-cut-writer: ack must be flush or append, not ${ack}`);
const engine = await loadEngine(engineSpec!);
const config = logConfigFrom({ 'segment.bytes': String(256 * 1024), 'index.interval.bytes': '1024', ...parseConfigPairs(pairs) }, DEFAULT_LOG_CONFIG);
// the parent reads until it kills us; a closed pipe must not turn into an uncaught error first
process.stdout.on('error', () => {});
process.stdout.write('loaded\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const log = await Log.open(dataDir!, config, { engine, logger: silentLogger });
const explicitFlush = ack === 'flush' && !engine.supports.durableAppend;
let nextId = Date.now() * 1000;

async function appender(): Promise<void> {
  for (;;) {
    const ids = Array.from({ length: 1 + (nextId % 5) }, () => nextId++);
    const info = await log.appendRecords(ids.map((id) => ({ key: Buffer.from(String(id)), value: crashRecordValue(id) })));
    if (explicitFlush) await log.flush();
    process.stdout.write(ids.map((id, i) => `${info.firstOffset + i} ${id}\n`).join(''));
  }
}

process.stdout.write('ready\n');
// after the power cut every call fails with EIO: the appenders stop, and the process waits for
// its SIGKILL like the rest of a machine without power
const appenders = Number(appendersText ?? '1');
await Promise.all(Array.from({ length: appenders }, () => appender().catch(() => undefined)));
setInterval(() => {}, 1 << 30);
