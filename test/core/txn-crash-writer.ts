/**
 * The child of the transactions crash test: writes an aborted transaction across a roll, a
 * committed one, and leaves one open, prints `ready` with the offsets the parent expects, and waits
 * to be SIGKILLed (no close: no clean-shutdown snapshot; the page cache keeps what was written).
 *
 * argv: partitionDir
 */
import { logConfigFrom } from '../../core/config/log-config.js';
import { buildBatch } from '../../core/format/records.js';
import { Log } from '../../core/log/log.js';
import { silentLogger } from '../../core/tokens.js';
import { pwriteEngine } from '../../engines/pwrite.js';

const dir = process.argv[2]!;
const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1' }), { engine: pwriteEngine, logger: silentLogger });
const txn = (producerId: number, baseSequence: number, count: number): Buffer =>
  buildBatch(Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${producerId}:${baseSequence + i}`) })), { producerId, producerEpoch: 0, baseSequence, transactional: true });

const aborted = await log.append(txn(1, 0, 3)); // 0-2
await log.forceRoll(); // snapshot at 3: producer 1's transaction open
const open = await log.append(txn(2, 0, 2)); // 3-4, left open
await log.append(txn(1, 3, 1)); // 5
const abortMarker = await log.appendEndTxnMarker(1, 0, false, 4); // 6
await log.append(txn(3, 0, 1)); // 7
await log.appendEndTxnMarker(3, 0, true, 4); // 8
await log.append(txn(2, 2, 1)); // 9, still open
process.stdout.write(`ready ${JSON.stringify({ abortedFirst: aborted.firstOffset, openFirst: open.firstOffset, abortMarker: abortMarker.firstOffset, end: log.logEndOffset })}\n`);
setInterval(() => {}, 60_000);
