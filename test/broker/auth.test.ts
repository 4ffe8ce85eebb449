/**
 * Authentication and authorization of `strata serve` at the protocol level (real sockets, raw
 * frames): SCRAM against RFC 7677's published exchange, the credentials and ACL files, the
 * authorizer's rules, what an unauthenticated connection may send, the answer to a wrong password
 * (58 with a message, after connection.failed.authentication.delay.ms, then the connection is
 * closed), Metadata leaving out or refusing topics as Kafka does, auto-creation needing Create,
 * and the one-line warning about a listener anyone can reach.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclAuthorizer, parseAclRules, parseSuperUsers } from '../../broker/auth/authorizer.js';
import { CredentialStore } from '../../broker/auth/credentials.js';
import { DENIALS_LOG_RATE, RateLimitedLog } from '../../broker/rate-limited-log.js';

const LINES_PER_SECOND_MAX = DENIALS_LOG_RATE.linesMax;
import { ScramServerExchange, makeScramCredential, parseClientFirst } from '../../broker/auth/scram.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { writeAcls, writeCredentials } from './security-helpers.js';

describe('SCRAM', () => {
  it("SCRAM-SHA-256 checks RFC 7677's example exchange and answers its server-final-message", () => {
    // RFC 7677 section 3: user "user", password "pencil"
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const credential = makeScramCredential('SCRAM-SHA-256', 'pencil', 4096, salt);
    const first = parseClientFirst('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const exchange = new ScramServerExchange('SCRAM-SHA-256', first, credential);
    expect(exchange.serverFirstMessage('%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(exchange.finish('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('a wrong proof, a changed nonce and channel binding are refused', () => {
    const credential = makeScramCredential('SCRAM-SHA-512', 'right');
    const exchange = new ScramServerExchange('SCRAM-SHA-512', parseClientFirst('n,,n=u,r=abc'), credential);
    const nonce = /^r=([^,]+)/.exec(exchange.serverFirstMessage())![1];
    expect(exchange.finish(`c=biws,r=${nonce},p=${Buffer.alloc(64, 1).toString('base64')}`)).toBeNull();
    expect(() => exchange.finish(`c=biws,r=${nonce}x,p=AAAA`)).toThrow('nonce does not match');
    expect(() => parseClientFirst('p=tls-unique,,n=u,r=abc')).toThrow('channel binding is not supported');
  });
});

describe('credentials file', () => {
  const dir = tempDir('credentials');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds salted hashes only, mode 0600, and reads back', () => {
    const file = join(dir, 'users.json');
    writeCredentials(file, { alice: 'a-very-distinct-password' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('a-very-distinct-password');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const store = CredentialStore.load(file);
    expect(store.list()).toEqual([{ username: 'alice', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
  });

  it('every problem names the file and the entry', () => {
    const file = join(dir, 'bad.json');
    expect(() => CredentialStore.parse('{"version":1,"users":{"bob":{"SCRAM-SHA-1":{}}}}', file)).toThrow(`${file}: users["bob"]["SCRAM-SHA-1"]: unknown mechanism`);
    const c = makeScramCredential('SCRAM-SHA-256', 'x');
    const entry = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: 1000 };
    expect(() => CredentialStore.parse(JSON.stringify({ version: 1, users: { bob: { 'SCRAM-SHA-256': entry } } }), file)).toThrow(`${file}: users["bob"]["SCRAM-SHA-256"]: iterations must be an integer from 4096 to 16384, got 1000`);
    expect(() => CredentialStore.parse('{"version":1,', file)).toThrow(`${file}: not JSON`);
    expect(() => CredentialStore.load(dir)).toThrow(`credentials file ${dir}: not a regular file`);
  });
});

describe('authorizer', () => {
  const rules = parseAclRules(
    JSON.stringify({
      acls: [
        { principal: 'User:alice', operations: ['Write'], resourceType: 'Topic', patternType: 'prefixed', name: 'orders-' },
        { principal: 'User:alice', permission: 'Deny', operations: ['Write'], resourceType: 'Topic', name: 'orders-locked' },
        { principal: 'User:*', operations: ['Read'], resourceType: 'Topic', name: 'public' },
        { principal: 'User:bob', operations: ['All'], resourceType: 'Group', name: '*' },
      ],
    }),
    'acls.json',
  );
  const a = new AclAuthorizer(rules, parseSuperUsers('User:admin; User:CN=ops,O=example'));

  it("follows Kafka's rules: prefixed and literal names, Deny wins, Write implies Describe, User:* matches all, super users pass", () => {
    expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 'orders-eu')).toBe(true);
    expect(a.authorize('User:alice', '10.0.0.1', 'Describe', 'Topic', 'orders-eu')).toBe(true);
    expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 'orders-eu')).toBe(false);
    expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 'orders-locked')).toBe(false);
    expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 'other')).toBe(false);
    expect(a.authorize('User:carol', '10.0.0.1', 'Read', 'Topic', 'public')).toBe(true);
    expect(a.authorize('User:bob', '10.0.0.1', 'Read', 'Group', 'any-group')).toBe(true);
    expect(a.authorize('User:bob', '10.0.0.1', 'Read', 'Topic', 'orders-eu')).toBe(false);
    expect(a.authorize('User:CN=ops,O=example', '10.0.0.1', 'Delete', 'Topic', 'anything')).toBe(true);
    expect(a.authorizeAny('User:alice', '10.0.0.1', 'Write', 'Topic')).toBe(true);
    expect(a.authorizeAny('User:carol', '10.0.0.1', 'Write', 'Topic')).toBe(false);
  });

  it('a bad rule names the file and its index', () => {
    expect(() => parseAclRules('{"acls":[{"principal":"User:a","operations":["Wirte"],"resourceType":"Topic","name":"t"}]}', 'f.json')).toThrow('f.json: acls[0]: an operation must be one of');
    expect(() => parseAclRules('{"acls":[{"principal":"alice","operations":["Read"],"resourceType":"Topic","name":"t"}]}', 'f.json')).toThrow('f.json: acls[0]: a principal is TYPE:NAME');
    expect(() => parseSuperUsers('admin')).toThrow('super.users: "admin"');
  });
});

describe('the log of failed logins and denials', () => {
  it(`writes at most ${LINES_PER_SECOND_MAX} lines a second and counts the rest in the next line`, () => {
    const lines: string[] = [];
    let now = 0;
    const log = new RateLimitedLog((m) => lines.push(m), DENIALS_LOG_RATE, () => now);
    for (let i = 0; i < 1000; i++) log.log(`guess ${i}`);
    expect(lines).toHaveLength(LINES_PER_SECOND_MAX);
    now = 1000;
    log.log('next second');
    expect(lines.at(-1)).toBe(`next second (${1000 - LINES_PER_SECOND_MAX} more such lines not logged since the last one)`);
  });
});

/** A SASL/PLAIN or SCRAM client over raw frames: SaslHandshake v1, SaslAuthenticate v1. */
async function saslHandshake(c: RawKafkaClient, mechanism: string): Promise<number> {
  const r = await c.request(ApiKey.SaslHandshake, 1, (w) => w.string(mechanism));
  return r.int16();
}

async function saslAuthenticate(c: RawKafkaClient, token: Buffer): Promise<{ errorCode: number; message: string | null; bytes: Buffer }> {
  const r = await c.request(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(token));
  const errorCode = r.int16();
  const message = r.nullableString();
  const bytes = r.bytes();
  r.int64();
  return { errorCode, message, bytes };
}

async function plainLogin(port: number, user: string, password: string): Promise<RawKafkaClient> {
  const c = await RawKafkaClient.connect(port);
  expect(await saslHandshake(c, 'PLAIN')).toBe(ErrorCode.NONE);
  const r = await saslAuthenticate(c, Buffer.from(`\0${user}\0${password}`));
  expect(r.errorCode, r.message ?? '').toBe(ErrorCode.NONE);
  return c;
}

/** A SCRAM-SHA-512 login written from RFC 5802, independent of the server's code. */
async function scramLogin(port: number, user: string, password: string): Promise<{ c: RawKafkaClient; errorCode: number; message: string | null }> {
  const c = await RawKafkaClient.connect(port);
  expect(await saslHandshake(c, 'SCRAM-SHA-512')).toBe(ErrorCode.NONE);
  const cnonce = randomBytes(16).toString('base64');
  const bare = `n=${user},r=${cnonce}`;
  const first = await saslAuthenticate(c, Buffer.from(`n,,${bare}`));
  if (first.errorCode !== ErrorCode.NONE) return { c, errorCode: first.errorCode, message: first.message };
  const serverFirst = first.bytes.toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 64, 'sha512');
  const clientKey = createHmac('sha512', salted).update('Client Key').digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const sig = createHmac('sha512', createHash('sha512').update(clientKey).digest()).update(`${bare},${serverFirst},${withoutProof}`).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  const final = await saslAuthenticate(c, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  return { c, errorCode: final.errorCode, message: final.message };
}

async function metadata(c: RawKafkaClient, topics: string[] | null, autoCreate: boolean): Promise<{ name: string; errorCode: number }[]> {
  const r = await c.request(ApiKey.Metadata, 4, (w) => {
    w.int32(topics === null ? -1 : topics.length);
    for (const t of topics ?? []) w.string(t);
    w.bool(autoCreate);
  });
  r.int32();
  for (let i = r.int32(); i > 0; i--) (r.int32(), r.string(), r.int32(), r.nullableString());
  r.nullableString();
  r.int32();
  const out: { name: string; errorCode: number }[] = [];
  for (let i = r.int32(); i > 0; i--) {
    const errorCode = r.int16();
    const name = r.string();
    r.bool();
    for (let j = r.int32(); j > 0; j--) {
      r.int16(), r.int32(), r.int32();
      for (let k = r.int32(); k > 0; k--) r.int32();
      for (let k = r.int32(); k > 0; k--) r.int32();
    }
    out.push({ name, errorCode });
  }
  return out;
}

describe('a SASL_PLAINTEXT listener with an ACL file', () => {
  const dir = tempDir('auth');
  let broker: TestBroker;
  const DELAY_MS = 300;
  beforeAll(async () => {
    writeCredentials(join(dir, 'users.json'), { alice: 'pw-alice', admin: 'pw-admin' });
    writeAcls(join(dir, 'acls.json'), [
      { principal: 'User:alice', operations: ['Create', 'Write'], resourceType: 'Topic', patternType: 'prefixed', name: 'mine-' },
      { principal: 'User:alice', operations: ['Read'], resourceType: 'Topic', name: 'readable' },
    ]);
    broker = await startTestBroker({
      plaintextProtocol: 'SASL_PLAINTEXT',
      config: {
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'sasl.credentials.file': join(dir, 'users.json'),
        'authorizer.acl.file': join(dir, 'acls.json'),
        'super.users': 'User:admin',
        'connection.failed.authentication.delay.ms': String(DELAY_MS),
      },
    });
  });
  afterAll(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('before authentication a Metadata request closes the connection and creates nothing', async () => {
    const c = await RawKafkaClient.connect(broker.port);
    // ApiVersions is served before authentication (clients ask it first)
    const v = await c.request(ApiKey.ApiVersions, 0, () => {});
    expect(v.int16()).toBe(ErrorCode.NONE);
    await expect(metadata(c, ['unauth-topic'], true)).rejects.toThrow('connection closed by the broker');
    expect(broker.server.topics.get('unauth-topic')).toBeUndefined();
    expect(broker.lines.some((l) => l.includes('Metadata request before SASL authentication completed'))).toBe(true);
  });

  it('before authentication a frame above sasl.server.max.receive.size (512 KiB) closes the connection as soon as its size is read', async () => {
    const c = await RawKafkaClient.connect(broker.port);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(600_000);
    c.writeRaw(prefix); // the size alone: nothing of the 600 KB body is sent, or held
    await c.closed;
    expect(broker.lines.some((l) => l.includes('request of 600000 bytes exceeds sasl.server.max.receive.size before authentication (524288)'))).toBe(true);
  });

  it(`a wrong password: 58 with a message, after connection.failed.authentication.delay.ms, then the connection is closed`, async () => {
    for (const login of [() => scramLogin(broker.port, 'alice', 'wrong'), async () => {
      const c = await RawKafkaClient.connect(broker.port);
      expect(await saslHandshake(c, 'PLAIN')).toBe(ErrorCode.NONE);
      const r = await saslAuthenticate(c, Buffer.from('\0alice\0wrong'));
      return { c, errorCode: r.errorCode, message: r.message };
    }]) {
      const started = performance.now();
      const { c, errorCode, message } = await login();
      expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
      expect(errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect(message).toMatch(/Authentication failed/);
      await c.closed; // the broker closed it
    }
    // an unknown mechanism: UNSUPPORTED_SASL_MECHANISM, then closed
    const c = await RawKafkaClient.connect(broker.port);
    expect(await saslHandshake(c, 'GSSAPI')).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    await c.closed;
  });

  it('Metadata: a topic without Describe is 29, auto-creation needs Create, all topics leaves out the others', async () => {
    const { c, errorCode } = await scramLogin(broker.port, 'alice', 'pw-alice');
    expect(errorCode).toBe(ErrorCode.NONE);
    // alice may create mine-*, not others
    expect(await metadata(c, ['mine-1', 'theirs-1'], true)).toEqual([
      { name: 'mine-1', errorCode: ErrorCode.NONE },
      { name: 'theirs-1', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED },
    ]);
    expect(broker.server.topics.get('mine-1')).toBeDefined();
    expect(broker.server.topics.get('theirs-1')).toBeUndefined();
    // Describe (implied by Read) without Create: not created, 29
    expect(await metadata(c, ['readable'], true)).toEqual([{ name: 'readable', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }]);
    expect(broker.server.topics.get('readable')).toBeUndefined();
    expect(broker.lines).toContain('INFO denied User:alice from 127.0.0.1: Describe on Topic:theirs-1');
    // admin (a super user) creates one alice cannot see
    const admin = await plainLogin(broker.port, 'admin', 'pw-admin');
    expect(await metadata(admin, ['hidden'], true)).toEqual([{ name: 'hidden', errorCode: ErrorCode.NONE }]);
    expect(await metadata(c, ['hidden'], true)).toEqual([{ name: 'hidden', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }]);
    const all = (await metadata(c, null, false)).map((t) => t.name);
    expect(all).toContain('mine-1');
    expect(all).not.toContain('hidden');
    expect((await metadata(admin, null, false)).map((t) => t.name)).toEqual(expect.arrayContaining(['mine-1', 'hidden']));
    // a SaslHandshake after authentication is ILLEGAL_SASL_STATE
    expect(await saslHandshake(c, 'PLAIN')).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    await Promise.all([c.close(), admin.close()]);
  });
});

async function createTopic(c: RawKafkaClient, name: string): Promise<{ errorCode: number; message: string | null }> {
  const r = await c.request(ApiKey.CreateTopics, 4, (w) => {
    w.int32(1).string(name).int32(1).int16(1).int32(0).int32(0);
    w.int32(10_000).bool(false);
  });
  r.int32();
  expect(r.int32()).toBe(1);
  r.string();
  return { errorCode: r.int16(), message: r.nullableString() };
}

async function initProducerId(c: RawKafkaClient): Promise<number> {
  const r = await c.request(ApiKey.InitProducerId, 0, (w) => w.nullableString(null).int32(60_000));
  r.int32();
  return r.int16();
}

describe('CreateTopics and InitProducerId under ACLs', () => {
  const dir = tempDir('auth-admin');
  let broker: TestBroker;
  beforeAll(async () => {
    writeCredentials(join(dir, 'users.json'), { alice: 'pw-alice', bob: 'pw-bob' });
    writeAcls(join(dir, 'acls.json'), [{ principal: 'User:alice', operations: ['Create', 'Write'], resourceType: 'Topic', patternType: 'prefixed', name: 'mine-' }]);
    broker = await startTestBroker({
      plaintextProtocol: 'SASL_PLAINTEXT',
      config: { 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.credentials.file': join(dir, 'users.json'), 'authorizer.acl.file': join(dir, 'acls.json') },
    });
  });
  afterAll(async () => {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('CreateTopics needs Create (29 "Authorization failed."); an idempotent producer needs Write somewhere (else 31)', async () => {
    const alice = await plainLogin(broker.port, 'alice', 'pw-alice');
    const bob = await plainLogin(broker.port, 'bob', 'pw-bob');
    expect(await createTopic(alice, 'mine-2')).toEqual({ errorCode: ErrorCode.NONE, message: null });
    expect(await createTopic(alice, 'other-2')).toEqual({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: 'Authorization failed.' });
    expect(broker.server.topics.get('other-2')).toBeUndefined();
    expect(await initProducerId(alice)).toBe(ErrorCode.NONE);
    expect(await initProducerId(bob)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe('the warning about a listener anyone can reach', () => {
  it('one line for a non-loopback PLAINTEXT listener; none on loopback or with SASL', async () => {
    const open = await startTestBroker({ host: '0.0.0.0' });
    const loop = await startTestBroker({ host: '127.0.0.1' });
    try {
      const warned = open.lines.filter((l) => l.includes('with no authentication'));
      expect(warned).toEqual([`WARN listening on PLAINTEXT://0.0.0.0:${open.port} with no authentication: anyone who reaches it can create topics, produce and consume (see docs/security.md: SASL_PLAINTEXT/SASL_SSL listeners, ssl.client.auth=required)`]);
      expect(loop.lines.some((l) => l.includes('with no authentication'))).toBe(false);
    } finally {
      await Promise.all([open.close(), loop.close()]);
    }
    const dir = tempDir('auth-warn');
    writeCredentials(join(dir, 'users.json'), { u: 'p' });
    const sasl = await startTestBroker({ host: '0.0.0.0', plaintextProtocol: 'SASL_PLAINTEXT', config: { 'sasl.credentials.file': join(dir, 'users.json') } });
    try {
      expect(sasl.lines.some((l) => l.includes('with no authentication'))).toBe(false);
    } finally {
      await sasl.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a SASL listener without a credentials file, and super.users without an ACL file, are refused at start', async () => {
    await expect(startTestBroker({ plaintextProtocol: 'SASL_PLAINTEXT' })).rejects.toThrow('a SASL listener needs sasl.credentials.file');
    await expect(startTestBroker({ config: { 'super.users': 'User:a' } })).rejects.toThrow('super.users: needs authorizer.acl.file');
    await expect(startTestBroker({ config: { 'sasl.enabled.mechanisms': 'GSSAPI' } })).rejects.toThrow('sasl.enabled.mechanisms: unsupported mechanism "GSSAPI"');
  });
});
