/**
 * The child process of the crash test: appends through the engine under test as fast as it can
 * with several concurrent appenders, and prints "offset id" for every append once it is durable
 * (acknowledged by a durable-append engine, or after log.flush() for the others). The parent
 * SIGKILLs it at a random moment and checks that every printed offset survived.
 *
 * argv: dataDir engineModuleOrName appenders
 */
import { DEFAULT_LOG_CONFIG, logConfigFrom } from '../../core/config/log-config.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { loadEngine } from '../../engines/index.js';
import { crashRecordValue } from './crash-values.js';

const [dataDir, engineSpec, appendersText] = process.argv.slice(2);
const engine = await loadEngine(engineSpec!);
const config = logConfigFrom({ 'segment.bytes': String(256 * 1024), 'index.interval.bytes': '1024' }, DEFAULT_LOG_CONFIG);
const log = await Log.open(dataDir!, config, { engine, logger: silentLogger });
const appenders = Number(appendersText ?? '1');
let nextId = Date.now() * 1000;

async function appender(): Promise<never> {
  for (;;) {
    const ids = Array.from({ length: 1 + (nextId % 5) }, () => nextId++);
    const info = await log.appendRecords(ids.map((id) => ({ key: Buffer.from(String(id)), value: crashRecordValue(id) })));
    if (!engine.supports.durableAppend) await log.flush();
    process.stdout.write(ids.map((id, i) => `${info.firstOffset + i} ${id}\n`).join(''));
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: appenders }, () => appender()));
