/**
 * producer.id.expiration.ms as the broker schedules it over the logs' own producer state: a
 * producer idle past the expiration is forgotten by the log, so its next batch is accepted at any
 * sequence (Kafka's unknown-producer rule) instead of being refused as out of order.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LogManager, TOKENS, silentLogger } from '../../core/index.js';
import { buildBatch } from '../../core/format/records.js';
import { composeByName } from '../../engines/compose.js';
import { ProducerExpiration } from '../../broker/producer-expiration.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('forgets a producer idle longer than producer.id.expiration.ms, on the check interval', async () => {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), 'strata-producer-expiration-'));
  const manager = (await composeByName({ dataDir, engine: 'pwrite', logger: silentLogger })).get<LogManager>(TOKENS.LogManager);
  cleanups.push(() => manager.close());
  const log = await manager.getOrCreateLog('t', 0);
  const batch = (baseSequence: number, timestamp: number) => buildBatch([{ value: Buffer.from(`s${baseSequence}`) }], { producerId: 3, producerEpoch: 0, baseSequence, timestamp });
  await log.append(batch(0, Date.now() - 60_000)); // its last timestamp: a minute ago
  await expect(log.append(batch(7, Date.now()))).rejects.toMatchObject({ error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });

  const expiration = new ProducerExpiration(30_000, 20);
  cleanups.push(() => expiration.close());
  expiration.track(log);
  const deadline = Date.now() + 10_000;
  while (log.producerState.manager!.lastEntry(3) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(log.producerState.manager!.lastEntry(3)).toBeUndefined();
  expect(await log.append(batch(7, Date.now()))).toMatchObject({ firstOffset: 1 });
});
