/**
 * What password guessing costs the broker: `--connections` clients each try SASL/PLAIN with a
 * wrong password over and over (new connection each time, as the broker closes after a failure)
 * for `--seconds`, while one bystander logs in with SCRAM-SHA-512 and sends a Metadata request
 * every 200 ms. Reports the guesses answered per second, the broker's CPU seconds per second
 * (process.cpuUsage: event loop and libuv threadpool), and the bystander's login+Metadata times.
 *
 *   node --import tsx harness/bench/auth-flood.ts [--connections 200] [--seconds 10] [--delay-ms 100]
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CredentialStore } from '../../broker/auth/credentials.js';
import { makeScramCredential, SCRAM_MECHANISMS } from '../../broker/auth/scram.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startBroker } from '../../broker/start.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const connections = arg('connections', 200);
const seconds = arg('seconds', 10);
const delayMs = arg('delay-ms', 100);

const dir = fs.mkdtempSync(join(tmpdir(), 'strata-auth-flood-'));
const store = new CredentialStore();
for (const m of SCRAM_MECHANISMS) store.set('alice', m, makeScramCredential(m, 'right'));
store.save(join(dir, 'users.json'));
const broker = await startBroker({
  dataDir: join(dir, 'data'), port: 0, plaintextProtocol: 'SASL_PLAINTEXT',
  logger: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
  config: { 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512', 'sasl.credentials.file': join(dir, 'users.json'), 'connection.failed.authentication.delay.ms': String(delayMs), 'max.connections': String(connections + 16) },
});

async function exchange(c: RawKafkaClient, apiKey: number, version: number, body: (w: import('../../broker/protocol/writer.js').KafkaWriter) => void) {
  return c.request(apiKey, version, body);
}

let guesses = 0;
let stop = false;
async function guesser(): Promise<void> {
  while (!stop) {
    const c = await RawKafkaClient.connect(broker.port);
    try {
      await exchange(c, ApiKey.SaslHandshake, 1, (w) => w.string('PLAIN'));
      const r = await exchange(c, ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`\0alice\0guess-${randomBytes(4).toString('hex')}`)));
      if (r.int16() !== 58) throw new Error('a guess was not refused');
      guesses++;
    } catch (err) {
      if (!stop && !String(err).includes('closed')) throw err;
    } finally {
      c.socket.destroy();
    }
  }
}

async function bystander(): Promise<number[]> {
  const times: number[] = [];
  while (!stop) {
    const t0 = performance.now();
    const c = await RawKafkaClient.connect(broker.port);
    await exchange(c, ApiKey.SaslHandshake, 1, (w) => w.string('SCRAM-SHA-512'));
    const cnonce = randomBytes(16).toString('base64');
    const bare = `n=alice,r=${cnonce}`;
    const first = await exchange(c, ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`n,,${bare}`)));
    first.int16(); first.nullableString();
    const serverFirst = first.bytes().toString();
    const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    const salted = pbkdf2Sync('right', Buffer.from(a.s!, 'base64'), Number(a.i), 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const wp = `c=biws,r=${a.r}`;
    const sig = createHmac('sha512', createHash('sha512').update(clientKey).digest()).update(`${bare},${serverFirst},${wp}`).digest();
    const fin = await exchange(c, ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`${wp},p=${Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64')}`)));
    if (fin.int16() !== 0) throw new Error('the bystander was refused');
    await exchange(c, ApiKey.Metadata, 4, (w) => w.int32(0).bool(false));
    times.push(performance.now() - t0);
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
  }
  return times;
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const workers = Array.from({ length: connections }, () => guesser());
const by = bystander();
await new Promise((r) => setTimeout(r, seconds * 1000));
stop = true;
const elapsedS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await Promise.allSettled(workers);
const times = (await by).sort((x, y) => x - y);
await broker.close();
fs.rmSync(dir, { recursive: true, force: true });
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
// the guessers' own work (framing, sockets) runs in this process too: the CPU figure is an upper bound
console.log(JSON.stringify({ connections, seconds: +elapsedS.toFixed(1), delayMs, guessesPerS: Math.round(guesses / elapsedS), processCpuSPerS: +((cpu.user + cpu.system) / 1e6 / elapsedS).toFixed(2), bystanderLogins: times.length, bystanderMsP50: pct(50), bystanderMsMax: pct(100) }));
