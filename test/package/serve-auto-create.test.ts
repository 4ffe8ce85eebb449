/**
 * `strata serve` with no flags creates a topic on a producer's Metadata request, as Kafka does with
 * its default auto.create.topics.enable=true: real kcat produces to a new topic and reads it back.
 * `--no-auto-create-topics` turns it off (kcat then fails on the unknown topic).
 */
import { afterEach, expect, test } from 'vitest';
import { run, tempDirsRemovedAfterAll } from '../broker/helpers.js';
import { killServes, startServeListening } from '../../harness/serve-process.js';

const KCAT = '/usr/bin/kcat';
const dataDir = tempDirsRemovedAfterAll('autocreate');
afterEach(killServes);

async function serve(extra: string[]): Promise<number> {
  return (await startServeListening(['--data-dir', dataDir('serve'), '--listen', '127.0.0.1:0', ...extra])).port;
}

test('kcat -P to a new topic works against `strata serve` with no flags (auto.create.topics.enable=true)', async () => {
  const port = await serve([]);
  const sent = Array.from({ length: 20 }, (_, i) => `new-topic-${i}`);
  const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'brand-new', '-X', 'acks=1'], sent.join('\n') + '\n');
  expect(p.stderr).not.toMatch(/Unknown topic/);
  expect(p.code).toBe(0);
  const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, '-t', 'brand-new', '-o', 'beginning', '-e', '-q']);
  expect(c.code).toBe(0);
  expect(c.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
});

test('--no-auto-create-topics: kcat -P to an unknown topic is refused', async () => {
  const port = await serve(['--no-auto-create-topics']);
  const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, '-t', 'never-made', '-X', 'acks=1', '-X', 'message.timeout.ms=2000'], 'x\n');
  expect(p.code).not.toBe(0);
  // librdkafka waits for the topic to appear, then gives up on the message
  expect(p.stderr).toMatch(/Delivery failed|Unknown topic/);
});
