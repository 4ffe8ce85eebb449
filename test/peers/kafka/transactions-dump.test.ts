/**
 * Kafka's own DumpLogSegments (Apache Kafka 4.1.1, from the jars) reads what strata's log writes
 * for transactions: the `.txnindex` entries (decoded by Kafka's TransactionIndex) and the
 * transactional batches and COMMIT / ABORT control batches of the `.log`; `strata dump` prints the
 * same lines. No broker: the tool reads files.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_MAIN, KAFKA_VERSION, runKafkaTool } from '../../../harness/peers/kafka/kafka-peer.js';
import { logConfigFrom } from '../../../core/config/log-config.js';
import { buildBatch } from '../../../core/format/records.js';
import { Log } from '../../../core/log/log.js';
import { silentLogger } from '../../../core/tokens.js';
import { pwriteEngine } from '../../../engines/pwrite.js';
import { strataCli, withoutLogLines } from './helpers.js';

const txn = (producerId: number, baseSequence: number, count: number): Buffer =>
  buildBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`${producerId}:${baseSequence + i}`) })), { producerId, producerEpoch: 3, baseSequence, transactional: true });

describe(`Kafka ${KAFKA_VERSION} DumpLogSegments on strata's transactional segments and .txnindex`, { timeout: 300_000 }, () => {
  const root = fs.mkdtempSync(join(os.tmpdir(), 'strata-txn-dls-'));
  const dir = join(root, 'txn-0');
  let files: string[] = [];

  beforeAll(async () => {
    const log = await Log.open(dir, logConfigFrom({ 'retention.ms': '-1' }), { engine: pwriteEngine, logger: silentLogger });
    await log.append(txn(7, 0, 3)); // 0-2
    await log.append(txn(8, 0, 2)); // 3-4
    await log.forceRoll();
    await log.appendEndTxnMarker(7, 3, false, 11); // 5: LSO 3 (8 open)
    await log.append(txn(9, 0, 1)); // 6
    await log.appendEndTxnMarker(8, 3, true, 11); // 7
    await log.appendEndTxnMarker(9, 3, false, 12); // 8: LSO 9
    await log.close();
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.log') || f.endsWith('.txnindex')).sort().map((f) => join(dir, f));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("Kafka decodes strata's .txnindex entries and control batches, and strata dump prints the same lines", async () => {
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['00000000000000000000.log', '00000000000000000005.log', '00000000000000000005.txnindex']);
    const args = ['--deep-iteration', '--print-data-log', '--files', files.join(',')];
    const kafka = await runKafkaTool(KAFKA_MAIN.dumpLog, args);
    expect(kafka.code, kafka.stderr).toBe(0);
    expect(withoutLogLines(kafka.stderr)).toEqual([]);
    const kafkaLines = kafka.stdout.trimEnd().split('\n');
    // Kafka's TransactionIndex read strata's bytes as these aborted transactions
    expect(kafkaLines.filter((l) => l.startsWith('version: '))).toEqual([
      'version: 0 producerId: 7 firstOffset: 0 lastOffset: 5 lastStableOffset: 3',
      'version: 0 producerId: 9 firstOffset: 6 lastOffset: 8 lastStableOffset: 9',
    ]);
    expect(kafkaLines.filter((l) => l.includes('endTxnMarker:')).map((l) => l.replace(/^.* (endTxnMarker: .*)$/, '$1'))).toEqual([
      'endTxnMarker: ABORT coordinatorEpoch: 11',
      'endTxnMarker: COMMIT coordinatorEpoch: 11',
      'endTxnMarker: ABORT coordinatorEpoch: 12',
    ]);
    const strata = strataCli(['dump', ...args]);
    expect(strata.code, strata.stderr).toBe(0);
    expect(strata.stdout.trimEnd().split('\n')).toEqual(kafkaLines);
  });
});
