/**
 * `strata serve` as a real child process: SIGTERM shuts down gracefully (exit 0, Kafka's
 * clean-shutdown marker in every partition directory); after SIGKILL the next start recovers and
 * every acknowledged record is still there. Also the idle-connection limit.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { killServes, startServeListening, type ServeProcess } from '../../harness/serve-process.js';
import { run, startTestBroker, tempDirsRemovedAfterAll, validateSegments } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const tempDirOf = tempDirsRemovedAfterAll('lifecycle');

afterEach(killServes);

const serve = (dataDir: string): Promise<ServeProcess> =>
  startServeListening(['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--auto-create-topics', '--config', 'group.initial.rebalance.delay.ms=0']);

function lines(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}-${i}`);
}

async function consumeAll(port: number, topic: string): Promise<string[]> {
  const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q']);
  expect(c.code).toBe(0);
  return c.stdout.toString().split('\n').slice(0, -1);
}

describe('strata serve lifecycle', () => {
  it('SIGTERM flushes, closes the logs with clean-shutdown markers and exits 0', async () => {
    const dataDir = tempDirOf('sigterm');
    const s = await serve(dataDir);
    const sent = lines(500, 'term');
    const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${s.port}`, '-t', 'life', '-X', 'acks=1'], sent.join('\n') + '\n');
    expect(p.code).toBe(0);
    // a connected idle client must not keep the shutdown from completing
    const idle = await RawKafkaClient.connect(s.port);
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    await idle.closed;
    expect(s.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(fs.existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true); // at the log dir root, as Kafka keeps it
    expect(validateSegments(join(dataDir, 'life-0')).batches).toBeGreaterThan(0);

    const again = await serve(dataDir);
    expect(await consumeAll(again.port, 'life')).toEqual(sent);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 60_000);

  it('after SIGKILL the next start recovers and keeps every acknowledged record', async () => {
    const dataDir = tempDirOf('sigkill');
    const s = await serve(dataDir);
    const sent = lines(2000, 'kill');
    const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${s.port}`, '-t', 'crash', '-X', 'acks=-1'], sent.join('\n') + '\n');
    expect(p.code).toBe(0);
    s.child.kill('SIGKILL');
    expect((await s.exited).signal).toBe('SIGKILL');
    expect(fs.existsSync(join(dataDir, 'crash-0', '.kafka_cleanshutdown'))).toBe(false);

    const again = await serve(dataDir);
    expect(await consumeAll(again.port, 'crash')).toEqual(sent);
    // and it keeps accepting writes after recovery, at the next offsets
    const more = lines(10, 'after');
    expect((await run(KCAT, ['-P', '-b', `127.0.0.1:${again.port}`, '-t', 'crash', '-X', 'acks=-1'], more.join('\n') + '\n')).code).toBe(0);
    expect(await consumeAll(again.port, 'crash')).toEqual([...sent, ...more]);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(validateSegments(join(dataDir, 'crash-0')).batches).toBeGreaterThan(0);
  }, 60_000);

  it('closes a connection idle for connections.max.idle.ms, with a log line', async () => {
    const broker = await startTestBroker({ config: { 'connections.max.idle.ms': '200' } });
    const c = await RawKafkaClient.connect(broker.port);
    const t0 = Date.now();
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(broker.lines.some((l) => /idle for connections.max.idle.ms \(200 ms\)/.test(l))).toBe(true);
    await broker.close();
  });
});
