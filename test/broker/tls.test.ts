/**
 * The TLS listener (`strata serve --listen-tls … --tls-cert … --tls-key …`, Kafka's SSL listener):
 * kcat (librdkafka) and the Java client (Kafka's ProducerPerformance and ConsoleConsumer) produce
 * and consume over TLS with a self-signed certificate made here (openssl; keytool for the Java
 * truststore), a plaintext client beside them on the same broker reads the same bytes, each
 * listener advertises itself, and Fetch on the TLS socket goes through a transfer that can write
 * to it (sendfile cannot: with it the TLS consume fails).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadNative } from '../../native/index.js';
import { startBroker } from '../../broker/start.js';
import { KAFKA_MAIN, runKafkaTool, startKafka } from '../../harness/peers/kafka/kafka-peer.js';
import { KAFKA_LIB_DIR, KAFKA_VERSION } from '../../harness/peers/kafka/kafka-tools.js';
import { javaClientSsl, kcatSsl, makeTlsIdentity, tlsToolsMissing, type TlsIdentity } from '../../harness/peers/tls-identity.js';
import { captureLogger, run, startTestBroker, tempDir, validateSegments, type TestBroker } from './helpers.js';

const KCAT = '/usr/bin/kcat';
const missing = tlsToolsMissing() ?? (fs.existsSync(KCAT) ? undefined : 'kcat not found (apt-get install kcat)');
const javaMissing = fs.existsSync(join(KAFKA_LIB_DIR, `kafka-clients-${KAFKA_VERSION}.jar`)) ? undefined : `Kafka jars not in ${KAFKA_LIB_DIR} (npm run peer:kafka)`;
if (missing) console.warn(`tls.test.ts skipped: ${missing}`);

let id: TlsIdentity;
let broker: TestBroker;
let tlsBootstrap: string;
const dir = tempDir('tls');

beforeAll(async () => {
  if (missing) return;
  id = makeTlsIdentity(join(dir, 'tls'));
  // the default transfer: sendfile when the addon is built, which a TLS socket cannot take
  broker = await startTestBroker({ tls: { port: 0, certFile: id.certFile, keyFile: id.keyFile } });
  tlsBootstrap = `127.0.0.1:${broker.server.tlsPort}`;
});

afterAll(async () => {
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const kcatTls = (args: string[], input?: string) => run(KCAT, ['-b', tlsBootstrap, ...kcatSsl(id), ...args], input);
const values = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}-${'x'.repeat(i % 300)}`);

describe.skipIf(missing)('TLS listener', () => {
  it('listens on both listeners; Fetch over TLS uses a transfer that can write to a TLS socket', () => {
    expect(broker.server.port).toBeGreaterThan(0);
    expect(broker.server.tlsPort).toBeGreaterThan(0);
    expect(broker.server.tlsTransfer?.supports.encryptedSockets).toBe(true);
    if (loadNative()) {
      expect(broker.lines).toContain('INFO TLS listener: fetches use the buffered transfer (sendfile cannot write to a TLS socket)');
    }
  });

  it('kcat produces and consumes over TLS (lz4, acks=all), byte-identical, and a plaintext kcat reads the same', async () => {
    const topic = 'tls-kcat';
    const sent = values(5000, 'tls');
    const p = await kcatTls(['-P', '-t', topic, '-z', 'lz4', '-X', 'acks=-1', '-X', 'linger.ms=10'], sent.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const [overTls, plain] = await Promise.all([
      kcatTls(['-C', '-t', topic, '-e', '-q', '-o', 'beginning']),
      run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-q', '-o', 'beginning']),
    ]);
    expect(overTls.code, overTls.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    expect(overTls.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
    expect(plain.stdout.equals(overTls.stdout)).toBe(true);
    expect(validateSegments(join(broker.dataDir, `${topic}-0`)).batches).toBeGreaterThan(0);
  });

  it('each listener advertises itself: Metadata over TLS names the TLS port, plaintext the plaintext one', async () => {
    const overTls = await kcatTls(['-L']);
    expect(overTls.code, overTls.stderr).toBe(0);
    expect(overTls.stdout.toString()).toContain(`broker 0 at ${tlsBootstrap}`);
    const plain = await run(KCAT, ['-L', '-b', broker.bootstrap]);
    expect(plain.stdout.toString()).toContain(`broker 0 at ${broker.bootstrap}`);
  });

  it('a client without the CA is refused in the handshake, and the broker says so', { timeout: 60_000 }, async () => {
    const r = await run(KCAT, ['-L', '-b', tlsBootstrap, '-X', 'security.protocol=ssl', '-m', '10'], undefined, 30_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/certificate verify failed|SSL handshake failed/);
    // the server may see the client's alert or close a moment after kcat gives up
    await vi.waitFor(() => expect(broker.lines.some((l) => l.startsWith('INFO TLS handshake with 127.0.0.1:') && l.includes('failed')), broker.lines.join('\n')).toBe(true), { timeout: 15_000 });
  });

  it.skipIf(javaMissing)('the Java client over SSL: ProducerPerformance in, ConsoleConsumer (a group) out', { timeout: 180_000 }, async () => {
    const topic = 'tls-java';
    const count = 3000;
    const ssl = javaClientSsl(id);
    const props = Object.entries(ssl).map(([k, v]) => `${k}=${v}`);
    const perf = await runKafkaTool(KAFKA_MAIN.producerPerformance, ['--topic', topic, '--num-records', String(count), '--record-size', '100',
      '--throughput', '-1', '--producer-props', `bootstrap.servers=${tlsBootstrap}`, 'acks=all', 'compression.type=lz4', ...props]);
    expect(perf.code, perf.stderr).toBe(0);
    expect(perf.stdout).toMatch(new RegExp(`${count} records sent`));
    // a group: FindCoordinator must answer with the TLS listener, or the consumer would go plaintext
    const consumed = await runKafkaTool(KAFKA_MAIN.consoleConsumer, ['--bootstrap-server', tlsBootstrap, '--topic', topic, '--group', 'tls-group',
      '--from-beginning', '--max-messages', String(count), '--timeout-ms', '60000', ...props.flatMap((p) => ['--consumer-property', p])]);
    expect(consumed.code, consumed.stderr).toBe(0);
    const lines = consumed.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(count);
    expect(lines.every((l) => l.length === 100)).toBe(true);
    // the same records through the plaintext listener
    const plain = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-q', '-o', 'beginning']);
    expect(plain.stdout.toString().split('\n').filter((l) => l.length > 0)).toEqual(lines);
  });
});

describe.skipIf(missing || javaMissing)("Kafka's SSL listener (the peer's ssl option, what the tls-fetch workload compares with)", () => {
  it('kcat produces and consumes over SSL beside PLAINTEXT, the same records on both', { timeout: 180_000 }, async () => {
    const kafka = await startKafka({ ssl: { keystoreFile: id.keystoreFile, password: id.password } });
    try {
      const sent = values(500, 'kafka-ssl');
      const sslArgs = ['-b', kafka.sslBootstrap, ...kcatSsl(id)];
      const p = await run(KCAT, ['-P', ...sslArgs, '-t', 'ssl-topic', '-X', 'acks=-1'], sent.join('\n') + '\n', 60_000);
      expect(p.code, p.stderr).toBe(0);
      const overSsl = await run(KCAT, ['-C', ...sslArgs, '-t', 'ssl-topic', '-e', '-q', '-o', 'beginning'], undefined, 60_000);
      expect(overSsl.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
      const plain = await run(KCAT, ['-C', '-b', kafka.bootstrap, '-t', 'ssl-topic', '-e', '-q', '-o', 'beginning'], undefined, 60_000);
      expect(plain.stdout.equals(overSsl.stdout)).toBe(true);
      const meta = await run(KCAT, ['-L', ...sslArgs]);
      expect(meta.stdout.toString()).toContain(`broker 1 at ${kafka.sslBootstrap}`);
    } finally {
      await kafka.cleanup();
    }
  });
});

describe.skipIf(missing)('TLS listener: bad certificate input', () => {
  it('a missing file, a file that is not PEM and a key that is not the certificate\'s are named', async () => {
    const logger = captureLogger([]);
    const data = join(dir, 'bad-data');
    const start = (certFile: string, keyFile: string) => startBroker({ dataDir: data, port: 0, logger, tls: { port: 0, certFile, keyFile } });
    const nope = join(dir, 'nope.pem');
    await expect(start(nope, id.keyFile)).rejects.toThrow(`--tls-cert ${nope}: cannot read it: ENOENT`);
    await expect(start(id.truststoreFile, id.keyFile)).rejects.toThrow(`--tls-cert ${id.truststoreFile}: no PEM block`);
    const other = makeTlsIdentity(join(dir, 'other'));
    await expect(start(id.certFile, other.keyFile)).rejects.toThrow(new RegExp(`--tls-cert ${id.certFile} with --tls-key ${other.keyFile}: .*(key values mismatch|mismatch)`));
    // nothing was opened or created for the failed starts
    expect(fs.existsSync(data)).toBe(false);
  });
});

describe.skipIf(missing)('strata serve --listen-tls (the CLI, dist/ from npm run build)', () => {
  const bin = join(import.meta.dirname, '../../bin/strata.js');

  it('TLS only: no plaintext listener unless --listen is given; SIGTERM stops it cleanly', { timeout: 30_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const data = join(dir, 'cli-data');
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', data, '--listen-tls', '127.0.0.1:0', '--tls-cert', id.certFile, '--tls-key', id.keyFile, '--auto-create-topics'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        const m = /serving Kafka protocol over TLS on 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`strata serve exited ${code}: ${err}`)));
    });
    try {
      const p = await run(KCAT, ['-P', '-b', `127.0.0.1:${port}`, ...kcatSsl(id), '-t', 'cli-tls'], 'a\nb\n');
      expect(p.code, p.stderr).toBe(0);
      const c = await run(KCAT, ['-C', '-b', `127.0.0.1:${port}`, ...kcatSsl(id), '-t', 'cli-tls', '-e', '-q']);
      expect(c.stdout.toString()).toBe('a\nb\n');
      expect(err).not.toMatch(/serving Kafka protocol on /);
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('names a TLS flag without its partners and a bad --listen-tls', async () => {
    const data = join(dir, 'cli-bad');
    const cases: [string[], string][] = [
      [['--listen-tls', '127.0.0.1:0'], '--listen-tls needs --tls-cert FILE and --tls-key FILE (PEM)'],
      [['--tls-cert', id.certFile, '--tls-key', id.keyFile], '--tls-cert and --tls-key need --listen-tls HOST:PORT'],
      [['--listen-tls', '127.0.0.1:x', '--tls-cert', id.certFile, '--tls-key', id.keyFile], '--listen-tls port "x" is not a port number'],
    ];
    for (const [args, message] of cases) {
      const r = await run(process.execPath, [bin, 'serve', '--data-dir', data, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });
});
