/**
 * Pieces of the security tests: users in a credentials file (through `strata users add`'s code
 * path: makeScramCredential + CredentialStore.save), an ACL file, and a TLS client certificate
 * signed by the test identity's self-signed certificate (which is its own CA, CA:TRUE).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialStore } from '../../broker/auth/credentials.js';
import { makeScramCredential, SCRAM_MECHANISMS } from '../../broker/auth/scram.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { RawKafkaClient } from '../../broker/raw-client.js';
import type { TlsIdentity } from '../../harness/peers/tls-identity.js';

export function writeCredentials(file: string, users: Record<string, string>): void {
  const store = new CredentialStore();
  for (const [name, password] of Object.entries(users)) for (const m of SCRAM_MECHANISMS) store.set(name, m, makeScramCredential(m, password));
  store.save(file);
}

export function writeAcls(file: string, acls: object[]): void {
  writeFileSync(file, JSON.stringify({ acls }, null, 2));
}

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  /** PKCS12 keystore with both (the Java client's ssl.keystore.location), password of `id`. */
  keystoreFile: string;
}

/** A client certificate for `subject` (openssl form, "/C=US/O=strata/CN=app"), signed by `id`'s certificate. */
export function makeClientCertificate(id: TlsIdentity, name: string, subject: string): ClientCertificate {
  const out: ClientCertificate = { certFile: join(id.dir, `${name}.pem`), keyFile: join(id.dir, `${name}.key`), keystoreFile: join(id.dir, `${name}.p12`) };
  const csr = join(id.dir, `${name}.csr`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', out.keyFile, '-out', csr, '-subj', subject]);
  run(['x509', '-req', '-in', csr, '-CA', id.certFile, '-CAkey', id.keyFile, '-CAcreateserial', '-out', out.certFile, '-days', '2']);
  run(['pkcs12', '-export', '-in', out.certFile, '-inkey', out.keyFile, '-name', name, '-out', out.keystoreFile, '-passout', `pass:${id.password}`]);
  return out;
}

/** A connection logged in with SASL/PLAIN over raw frames (SaslHandshake v1, SaslAuthenticate v1); throws when refused. */
export async function plainLogin(port: number, user: string, password: string): Promise<RawKafkaClient> {
  const c = await RawKafkaClient.connect(port);
  const handshake = await c.request(ApiKey.SaslHandshake, 1, (w) => w.string('PLAIN'));
  if (handshake.int16() !== ErrorCode.NONE) throw new Error(`SaslHandshake PLAIN refused for ${user}`);
  const r = await c.request(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from(`\0${user}\0${password}`)));
  const errorCode = r.int16();
  if (errorCode !== ErrorCode.NONE) throw new Error(`login of ${user} refused: ${errorCode} ${r.nullableString()}`);
  return c;
}
