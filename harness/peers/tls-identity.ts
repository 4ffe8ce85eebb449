/**
 * A throwaway TLS identity for tests and benchmarks on 127.0.0.1: a self-signed certificate (its
 * own CA) made with openssl, in the forms each party reads:
 *   - PEM cert + key: `strata serve --tls-cert/--tls-key`, and the CA file kcat/librdkafka trusts
 *     (`-X ssl.ca.location=`);
 *   - a PKCS12 keystore: Kafka's SSL listener (`ssl.keystore.location`, type PKCS12);
 *   - a PKCS12 truststore made with the JDK's keytool: the Java client (`ssl.truststore.location`).
 * The certificate names 127.0.0.1 and localhost as subjectAltName, so hostname verification
 * (librdkafka's and Java's default `ssl.endpoint.identification.algorithm=https`) passes as is.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsIdentity {
  dir: string;
  certFile: string;
  keyFile: string;
  /** The CA clients trust: the self-signed certificate itself. */
  caFile: string;
  /** PKCS12 with the key and certificate (Kafka broker's keystore). */
  keystoreFile: string;
  /** PKCS12 holding the certificate as a trusted entry (Java client's truststore). */
  truststoreFile: string;
  /** Password of both stores. */
  password: string;
}

const TOOL_TIMEOUT_MS = 60_000;

/** Why a TLS test cannot run here, or undefined: openssl and keytool must be on PATH. */
export function tlsToolsMissing(): string | undefined {
  for (const [tool, args, pkg] of [['openssl', ['version'], 'openssl'], ['keytool', ['-help'], 'openjdk-17-jdk-headless']] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore', timeout: TOOL_TIMEOUT_MS });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} not found (Debian: apt-get install ${pkg})`;
    }
  }
  return undefined;
}

export function makeTlsIdentity(dir: string, password = 'strata-test'): TlsIdentity {
  mkdirSync(dir, { recursive: true });
  const id: TlsIdentity = {
    dir,
    certFile: join(dir, 'cert.pem'),
    keyFile: join(dir, 'key.pem'),
    caFile: join(dir, 'cert.pem'),
    keystoreFile: join(dir, 'keystore.p12'),
    truststoreFile: join(dir, 'truststore.p12'),
    password,
  };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: TOOL_TIMEOUT_MS });
  // EC P-256: generated in milliseconds (an RSA key takes a noticeable part of a second)
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', id.keyFile, '-out', id.certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE']);
  run('openssl', ['pkcs12', '-export', '-in', id.certFile, '-inkey', id.keyFile, '-name', 'strata', '-out', id.keystoreFile, '-passout', `pass:${password}`]);
  run('keytool', ['-importcert', '-noprompt', '-alias', 'strata-ca', '-file', id.certFile, '-keystore', id.truststoreFile, '-storetype', 'PKCS12', '-storepass', password]);
  return id;
}

/** The Java client's SSL properties (Kafka's keys) for a truststore of `id`. */
export function javaClientSsl(id: TlsIdentity): Record<string, string> {
  return {
    'security.protocol': 'SSL',
    'ssl.truststore.location': id.truststoreFile,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.password': id.password,
  };
}

/** kcat / librdkafka `-X` arguments for TLS against `id`'s certificate. */
export function kcatSsl(id: TlsIdentity): string[] {
  return ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${id.caFile}`];
}
