/**
 * max.connections.per.ip and max.connections.per.ip.overrides (Kafka's ConnectionQuotas): one
 * address filling its share cannot lock out another. On loopback every client is 127.0.0.1, so a
 * second client connects from 127.0.0.2 (Linux routes all of 127/8 to lo). Refusals are logged once
 * per interval with a count, not once each.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ConnectionQuotas } from '../../broker/connection-quotas.js';
import { REFUSALS_LOG_RATE } from '../../broker/rate-limited-log.js';
import { brokerConfigFrom } from '../../broker/broker-config.js';
import { captureLogger, startTestBroker, type TestBroker } from './helpers.js';
import { metadata } from './hostile-helpers.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({
    config: { 'max.connections': '50', 'max.connections.per.ip': '4', 'max.connections.per.ip.overrides': '127.0.0.3:1' },
  });
});
afterAll(async () => {
  await broker.close();
});

/** Connects from `from`; resolves true when the broker answers Metadata, false when it closed the socket. */
async function served(from: string, keep: RawKafkaClient[]): Promise<boolean> {
  const c = await RawKafkaClient.connect(broker.port, '127.0.0.1', from);
  try {
    await metadata(c);
    keep.push(c);
    return true;
  } catch {
    return false;
  }
}

describe('max.connections.per.ip', () => {
  it('one address at its limit is refused; another address still gets in and is served', async () => {
    const held: RawKafkaClient[] = [];
    for (let i = 0; i < 4; i++) expect(await served('127.0.0.1', held)).toBe(true);
    expect(await served('127.0.0.1', held)).toBe(false);
    expect(await served('127.0.0.2', held)).toBe(true);
    expect(broker.lines.some((l) => /WARN refusing connection from 127\.0\.0\.1:\d+ on the PLAINTEXT listener: max.connections.per.ip \(4\) reached for 127\.0\.0\.1/.test(l)), broker.lines.join('\n')).toBe(true);
    // a closed connection gives its address's share back
    await held[0]!.close();
    await waitFor(() => broker.server.quotas.countOf('127.0.0.1') === 3);
    expect(await served('127.0.0.1', held)).toBe(true);
    await Promise.all(held.map((c) => c.close()));
    await waitFor(() => broker.server.quotas.count === 0);
  });

  it('an override gives one address its own limit', async () => {
    const held: RawKafkaClient[] = [];
    expect(await served('127.0.0.3', held)).toBe(true);
    expect(await served('127.0.0.3', held)).toBe(false);
    expect(await served('127.0.0.2', held)).toBe(true);
    expect(await served('127.0.0.2', held)).toBe(true);
    await Promise.all(held.map((c) => c.close()));
  });

  it('refusals are logged once per interval, then with the count of those not logged', async () => {
    const lines: string[] = [];
    let nowMs = 1_000_000;
    const quotas = new ConnectionQuotas(brokerConfigFrom({ 'max.connections.per.ip': '0' }), captureLogger(lines), () => nowMs);
    const server = net.createServer((s) => quotas.admit(s, 'PLAINTEXT'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const refusedOnce = async () => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.on('error', () => {});
      await new Promise((r) => s.on('close', r));
    };
    for (let i = 0; i < 30; i++) await refusedOnce();
    expect(lines).toHaveLength(1);
    nowMs += REFUSALS_LOG_RATE.intervalMs;
    await refusedOnce();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/max.connections.per.ip \(0\) reached for 127\.0\.0\.1 \(29 more such lines not logged since the last one\)/);
    expect(quotas.count).toBe(0);
    await new Promise((r) => server.close(r));
  });

  it('the keys are checked: a malformed override or a name that is not an address is named', () => {
    expect(() => brokerConfigFrom({ 'max.connections.per.ip.overrides': '127.0.0.1' })).toThrow(/"127.0.0.1" is not host:count/);
    expect(() => brokerConfigFrom({ 'max.connections.per.ip.overrides': 'broker1:3' })).toThrow(/"broker1" is not an IP address/);
    expect(brokerConfigFrom({ 'max.connections.per.ip.overrides': '127.0.0.1:3, ::1:2,[fe80::1]:7' }).maxConnectionsPerIpOverrides).toEqual(
      new Map([['127.0.0.1', 3], ['::1', 2], ['fe80::1', 7]]),
    );
    expect(brokerConfigFrom({}).maxConnectionsPerIp).toBe(2 ** 31 - 1);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; log: ${broker.lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
