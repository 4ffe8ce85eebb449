/**
 * The SASL / mTLS client matrix: kcat (librdkafka 2.0.2), Kafka's Java client (4.1.1) and
 * confluent-kafka (Python, its own librdkafka) against `strata serve` with a SASL_PLAINTEXT
 * listener and an SSL listener with ssl.client.auth=required, and a second broker with SASL_SSL.
 * For each of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and a client certificate: the right password
 * produces and consumes through a group; a wrong one is SASL_AUTHENTICATION_FAILED (58), which each
 * client reports as an authentication failure; a topic the principal has no ACL for is
 * TOPIC_AUTHORIZATION_FAILED (29), a group without one GROUP_AUTHORIZATION_FAILED (30); the Java
 * AdminClient's deleteTopics without Delete is a TopicAuthorizationException. The users are in a credentials file of salted SCRAM hashes,
 * the rules in an ACL file.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_LIB_DIR, KAFKA_VERSION } from '../../harness/peers/kafka/kafka-tools.js';
import { makeTlsIdentity, tlsToolsMissing, type TlsIdentity } from '../../harness/peers/tls-identity.js';
import { runJava } from '../peers/java-client/kafka-lib.js';
import { peerPython } from '../peers/python/python-peer.js';
import { run, startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { makeClientCertificate, writeAcls, writeCredentials, type ClientCertificate } from './security-helpers.js';

const KCAT = '/usr/bin/kcat';
const missing = tlsToolsMissing() ?? (fs.existsSync(KCAT) ? undefined : 'kcat not found (apt-get install kcat)');
const javaMissing = fs.existsSync(join(KAFKA_LIB_DIR, `kafka-clients-${KAFKA_VERSION}.jar`)) ? undefined : `Kafka jars not in ${KAFKA_LIB_DIR} (npm run peer:kafka)`;
const SECURE_JAVA = join(import.meta.dirname, '../peers/java-client/StrataSecureClient.java');
const SECURE_PY = join(import.meta.dirname, '../peers/python/secure_client.py');

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const PASSWORD = 'alice-s3cret';
const SUBJECT = '/C=US/O=strata/OU=test/CN=app1';
const PRINCIPAL_DN = 'CN=app1,OU=test,O=strata,C=US';

const dir = tempDir('security-clients');
let id: TlsIdentity;
let client: ClientCertificate;
let broker: TestBroker;
let saslSsl: TestBroker;
let requested: TestBroker;
let saslBootstrap: string;
let sslBootstrap: string;
let saslSslBootstrap: string;

beforeAll(async () => {
  if (missing) return;
  id = makeTlsIdentity(join(dir, 'tls'));
  client = makeClientCertificate(id, 'app1', SUBJECT);
  const credentials = join(dir, 'credentials.json');
  writeCredentials(credentials, { alice: PASSWORD });
  const acls = join(dir, 'acls.json');
  // alice and the certificate's principal: topics and groups by prefix; nothing else for anyone
  writeAcls(acls, [
    { principal: 'User:alice', operations: ['Write', 'Read', 'Create'], resourceType: 'Topic', patternType: 'prefixed', name: 'ok-' },
    { principal: 'User:alice', operations: ['Read'], resourceType: 'Group', patternType: 'prefixed', name: 'g-' },
    // Describe (implied) without Write, and Write without Read: Produce and Fetch check on their own
    { principal: 'User:alice', operations: ['Read', 'Create'], resourceType: 'Topic', name: 'read-only' },
    { principal: 'User:alice', operations: ['Write', 'Create'], resourceType: 'Topic', name: 'write-only' },
    { principal: `User:${PRINCIPAL_DN}`, operations: ['All'], resourceType: 'Topic', patternType: 'prefixed', name: 'ok-' },
    { principal: `User:${PRINCIPAL_DN}`, operations: ['Read'], resourceType: 'Group', patternType: 'prefixed', name: 'g-' },
    { principal: 'User:ANONYMOUS', operations: ['Write', 'Create', 'Read'], resourceType: 'Topic', patternType: 'prefixed', name: 'anon-' },
  ]);
  const config = {
    'sasl.enabled.mechanisms': MECHANISMS.join(','),
    'sasl.credentials.file': credentials,
    'authorizer.acl.file': acls,
    'ssl.client.auth': 'required',
    'ssl.truststore.location': id.caFile,
  };
  broker = await startTestBroker({ plaintextProtocol: 'SASL_PLAINTEXT', tls: { port: 0, certFile: id.certFile, keyFile: id.keyFile }, config });
  saslBootstrap = broker.bootstrap;
  sslBootstrap = `127.0.0.1:${broker.server.tlsPort}`;
  const { 'ssl.client.auth': _auth, ...saslConfig } = config;
  saslSsl = await startTestBroker({ plaintext: false, tls: { port: 0, certFile: id.certFile, keyFile: id.keyFile, protocol: 'SASL_SSL' }, config: saslConfig });
  saslSslBootstrap = `127.0.0.1:${saslSsl.server.tlsPort}`;
  requested = await startTestBroker({ plaintext: false, tls: { port: 0, certFile: id.certFile, keyFile: id.keyFile }, config: { ...config, 'ssl.client.auth': 'requested' } });
});

afterAll(async () => {
  await broker?.close();
  await saslSsl?.close();
  await requested?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const librdkafkaSasl = (mechanism: string, password: string, protocol = 'SASL_PLAINTEXT'): Record<string, string> => ({
  'security.protocol': protocol,
  'sasl.mechanisms': mechanism,
  'sasl.username': 'alice',
  'sasl.password': password,
  ...(protocol === 'SASL_SSL' ? { 'ssl.ca.location': id.caFile } : {}),
});
const librdkafkaMtls = (): Record<string, string> => ({
  'security.protocol': 'SSL',
  'ssl.ca.location': id.caFile,
  'ssl.certificate.location': client.certFile,
  'ssl.key.location': client.keyFile,
});
const x = (conf: Record<string, string>) => Object.entries(conf).flatMap(([k, v]) => ['-X', `${k}=${v}`]);

describe.skipIf(missing)('kcat (librdkafka 2.0.2)', () => {
  const cases = [
    ...MECHANISMS.map((m) => ({ name: m, bootstrap: () => saslBootstrap, conf: (pw: string) => librdkafkaSasl(m, pw) })),
    { name: 'SASL_SSL SCRAM-SHA-512', bootstrap: () => saslSslBootstrap, conf: (pw: string) => librdkafkaSasl('SCRAM-SHA-512', pw, 'SASL_SSL') },
  ];
  for (const c of cases) {
    it(`${c.name}: produces and consumes; a wrong password is an authentication failure; a topic without an ACL is 29`, { timeout: 90_000 }, async () => {
      const topic = `ok-kcat-${c.name.replace(/\W/g, '')}`;
      const sent = Array.from({ length: 200 }, (_, i) => `${c.name}-${i}`);
      const p = await run(KCAT, ['-b', c.bootstrap(), ...x(c.conf(PASSWORD)), '-P', '-t', topic, '-X', 'acks=-1'], sent.join('\n') + '\n');
      expect(p.code, p.stderr).toBe(0);
      const got = await run(KCAT, ['-b', c.bootstrap(), ...x(c.conf(PASSWORD)), '-C', '-t', topic, '-e', '-q', '-o', 'beginning']);
      expect(got.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
      const wrong = await run(KCAT, ['-b', c.bootstrap(), ...x(c.conf('wrong-password')), '-L', '-m', '5'], undefined, 30_000);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/SASL authentication error: Authentication failed/);
      const denied = await run(KCAT, ['-b', c.bootstrap(), ...x(c.conf(PASSWORD)), '-P', '-t', 'secret', '-X', 'message.timeout.ms=10000'], 'x\n', 30_000);
      expect(denied.stderr).toMatch(/Topic authorization failed/);
    });
  }

  it('Produce checks Write and Fetch checks Read themselves (Metadata lets both topics through)', { timeout: 60_000 }, async () => {
    const conf = x(librdkafkaSasl('SCRAM-SHA-512', PASSWORD));
    const ro = await run(KCAT, ['-b', saslBootstrap, ...conf, '-P', '-t', 'read-only', '-X', 'message.timeout.ms=10000'], 'x\n', 30_000);
    expect(ro.stderr).toMatch(/Topic authorization failed/);
    expect(broker.server.topics.get('read-only')).toBeDefined(); // created: alice may Create it
    const wo = await run(KCAT, ['-b', saslBootstrap, ...conf, '-P', '-t', 'write-only'], 'w\n');
    expect(wo.code, wo.stderr).toBe(0);
    const read = await run(KCAT, ['-b', saslBootstrap, ...conf, '-C', '-t', 'write-only', '-e', '-o', 'beginning'], undefined, 30_000);
    expect(read.stderr).toMatch(/Topic authorization failed/);
    expect(read.stdout.toString()).not.toContain('w');
  });

  it('mTLS: the certificate is the principal; without a certificate the handshake fails; a topic without an ACL is 29', { timeout: 90_000 }, async () => {
    const sent = Array.from({ length: 200 }, (_, i) => `mtls-${i}`);
    const p = await run(KCAT, ['-b', sslBootstrap, ...x(librdkafkaMtls()), '-P', '-t', 'ok-kcat-mtls', '-X', 'acks=-1'], sent.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const got = await run(KCAT, ['-b', sslBootstrap, ...x(librdkafkaMtls()), '-C', '-t', 'ok-kcat-mtls', '-e', '-q', '-o', 'beginning']);
    expect(got.stdout.toString().split('\n').slice(0, -1)).toEqual(sent);
    const noCert = await run(KCAT, ['-b', sslBootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${id.caFile}`, '-L', '-m', '5'], undefined, 30_000);
    expect(noCert.code).not.toBe(0);
    const denied = await run(KCAT, ['-b', sslBootstrap, ...x(librdkafkaMtls()), '-P', '-t', 'secret', '-X', 'message.timeout.ms=10000'], 'x\n', 30_000);
    expect(denied.stderr).toMatch(/Topic authorization failed/);
  });
});

describe.skipIf(missing)('ssl.client.auth=requested', () => {
  it('a client without a certificate is User:ANONYMOUS (its ACLs apply); with one, the certificate is the principal', { timeout: 60_000 }, async () => {
    const bootstrap = `127.0.0.1:${requested.server.tlsPort}`;
    const anon = ['-b', bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${id.caFile}`];
    const p = await run(KCAT, [...anon, '-P', '-t', 'anon-topic'], 'a\n');
    expect(p.code, p.stderr).toBe(0);
    const denied = await run(KCAT, [...anon, '-P', '-t', 'ok-requested', '-X', 'message.timeout.ms=10000'], 'x\n', 30_000);
    expect(denied.stderr).toMatch(/Topic authorization failed/);
    const withCert = await run(KCAT, ['-b', bootstrap, ...x(librdkafkaMtls()), '-P', '-t', 'ok-requested'], 'c\n');
    expect(withCert.code, withCert.stderr).toBe(0);
    expect(requested.lines).toContain('INFO denied User:ANONYMOUS from 127.0.0.1: Describe on Topic:ok-requested');
  });
});

describe.skipIf(missing || javaMissing)("Kafka's Java client 4.1.1", () => {
  it('each mechanism and mTLS: success, wrong password → SaslAuthenticationException, denied topic → TopicAuthorizationException', { timeout: 240_000 }, async () => {
    const jaas = (m: string, pw: string) =>
      `${m === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule'} required username="alice" password="${pw}";`;
    const sasl = (m: string, pw: string, protocol = 'SASL_PLAINTEXT', bootstrap = saslBootstrap) => ({
      'bootstrap.servers': bootstrap,
      'security.protocol': protocol,
      'sasl.mechanism': m,
      'sasl.jaas.config': jaas(m, pw),
      ...(protocol === 'SASL_SSL' ? { 'ssl.truststore.location': id.truststoreFile, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.password': id.password } : {}),
    });
    const mtls = {
      'bootstrap.servers': sslBootstrap,
      'security.protocol': 'SSL',
      'ssl.truststore.location': id.truststoreFile,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.password': id.password,
      'ssl.keystore.location': client.keystoreFile,
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.password': id.password,
    };
    const cases: Record<string, Record<string, string>> = {};
    for (const m of MECHANISMS) {
      cases[`ok-${m}`] = { ...sasl(m, PASSWORD), 'strata.topic': `ok-java-${m}`, 'strata.group': `g-java-${m}` };
      cases[`wrong-${m}`] = { ...sasl(m, 'wrong-password'), 'strata.topic': `ok-java-${m}`, 'strata.group': `g-java-${m}` };
      cases[`denied-${m}`] = { ...sasl(m, PASSWORD), 'strata.topic': 'secret', 'strata.group': `g-java-${m}` };
    }
    cases['group-denied'] = { ...sasl('SCRAM-SHA-512', PASSWORD), 'strata.topic': 'ok-java-group', 'strata.group': 'not-alices' };
    cases['ok-SASL_SSL'] = { ...sasl('SCRAM-SHA-512', PASSWORD, 'SASL_SSL', saslSslBootstrap), 'strata.topic': 'ok-java-saslssl', 'strata.group': 'g-java-saslssl' };
    cases['ok-mtls'] = { ...mtls, 'strata.topic': 'ok-java-mtls', 'strata.group': 'g-java-mtls' };
    cases['denied-mtls'] = { ...mtls, 'strata.topic': 'secret', 'strata.group': 'g-java-mtls' };
    // AdminClient.deleteTopics: alice may Describe ok-* (Write implies it) but not Delete; the certificate's principal has All
    cases['admin-delete-denied'] = { ...sasl('SCRAM-SHA-512', PASSWORD), 'strata.delete.topic': 'ok-java-PLAIN' };
    cases['admin-delete-mtls'] = { ...mtls, 'strata.delete.topic': 'ok-java-mtls' };
    const files = Object.entries(cases).map(([name, props]) => {
      const file = join(dir, `${name}.properties`);
      fs.writeFileSync(file, Object.entries({ ...props, 'strata.count': '500' }).map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`).join('\n'));
      return file;
    });
    const r = await runJava([SECURE_JAVA, ...files], 200_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = new Map(r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => { const o = JSON.parse(l) as Record<string, unknown>; return [String(o.case).replace('.properties', ''), o]; }));
    for (const name of Object.keys(cases)) {
      const got = results.get(name);
      if (name === 'admin-delete-denied') expect(got, name).toMatchObject({ error: 'TopicAuthorizationException' });
      else if (name === 'admin-delete-mtls') expect(got, name).toMatchObject({ deleted: true });
      else if (name.startsWith('ok-')) expect(got, name).toMatchObject({ produced: 500, consumed: 500 });
      else if (name.startsWith('wrong-')) expect(got, name).toMatchObject({ error: 'SaslAuthenticationException', message: expect.stringMatching(/Authentication failed/) });
      else if (name === 'group-denied') expect(got, name).toMatchObject({ error: 'GroupAuthorizationException' });
      else expect(got, name).toMatchObject({ error: 'TopicAuthorizationException' });
    }
    expect(broker.server.topics.get('ok-java-PLAIN')).toBeDefined();
    expect(broker.server.topics.get('ok-java-mtls')).toBeUndefined();
  });
});

describe.skipIf(missing)('confluent-kafka (Python)', () => {
  it('each mechanism and mTLS: success, wrong password → _AUTHENTICATION, denied topic → TOPIC_AUTHORIZATION_FAILED', { timeout: 240_000 }, async () => {
    const cases: { case: string; conf: Record<string, string>; topic: string; group: string; count: number }[] = [];
    for (const m of MECHANISMS) {
      const conf = (pw: string) => ({ 'bootstrap.servers': saslBootstrap, ...librdkafkaSasl(m, pw) });
      cases.push({ case: `ok-${m}`, conf: conf(PASSWORD), topic: `ok-py-${m}`, group: `g-py-${m}`, count: 300 });
      cases.push({ case: `wrong-${m}`, conf: conf('wrong-password'), topic: `ok-py-${m}`, group: `g-py-${m}`, count: 1 });
      cases.push({ case: `denied-${m}`, conf: conf(PASSWORD), topic: 'secret', group: `g-py-${m}`, count: 1 });
    }
    cases.push({ case: 'group-denied', conf: { 'bootstrap.servers': saslBootstrap, ...librdkafkaSasl('SCRAM-SHA-512', PASSWORD) }, topic: 'ok-py-group', group: 'not-alices', count: 10 });
    cases.push({ case: 'ok-mtls', conf: { 'bootstrap.servers': sslBootstrap, ...librdkafkaMtls() }, topic: 'ok-py-mtls', group: 'g-py-mtls', count: 300 });
    cases.push({ case: 'denied-mtls', conf: { 'bootstrap.servers': sslBootstrap, ...librdkafkaMtls() }, topic: 'secret', group: 'g-py-mtls', count: 1 });
    const file = join(dir, 'py-cases.json');
    fs.writeFileSync(file, JSON.stringify(cases));
    const r = await run(peerPython(), [SECURE_PY, file], undefined, 220_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const results = new Map(r.stdout.toString().split('\n').filter((l) => l.startsWith('{')).map((l) => { const o = JSON.parse(l) as Record<string, unknown>; return [o.case as string, o]; }));
    for (const c of cases) {
      const got = results.get(c.case);
      if (c.case.startsWith('ok-')) expect(got, c.case).toMatchObject({ produced: c.count, consumed: c.count });
      else if (c.case.startsWith('wrong-')) {
        expect(got, c.case).toMatchObject({ produced: 0, errors: expect.arrayContaining(['_AUTHENTICATION']) });
        expect((got!.messages as string[]).join(' '), c.case).toMatch(/SASL authentication error: Authentication failed/);
      } else if (c.case === 'group-denied') expect(got, c.case).toMatchObject({ produced: c.count, consumed: 0, errors: expect.arrayContaining(['GROUP_AUTHORIZATION_FAILED']) });
      else expect(got, c.case).toMatchObject({ produced: 0, errors: expect.arrayContaining(['TOPIC_AUTHORIZATION_FAILED']) });
    }
  });
});
