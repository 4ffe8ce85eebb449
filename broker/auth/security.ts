/**
 * What each listener asks of its clients, built once at start from the security config: its
 * protocol (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL), the SASL mechanisms and credentials when it
 * is a SASL listener, the TLS client-certificate check, and the authorizer every listener shares
 * (none: everything allowed, as before any of this is configured).
 */
import { isIP } from 'node:net';
import { StrataError } from '../../core/errors.js';
import type { Logger } from '../../core/tokens.js';
import { loadAclAuthorizer, parseSuperUsers, type AclAuthorizer } from './authorizer.js';
import { CredentialStore, readBoundedRegularFile } from './credentials.js';
import { DENIALS_LOG_RATE, RateLimitedLog } from '../rate-limited-log.js';
import { PASSWORD_CHECKS_MAX, Semaphore, type SaslMechanism } from './sasl-server.js';
import { DEFAULT_SECURITY_CONFIG, type SecurityConfig, type SecurityProtocol, type SslClientAuth } from './security-config.js';

export interface SaslSettings {
  readonly mechanisms: readonly SaslMechanism[];
  readonly credentials: CredentialStore;
  readonly passwordChecks: Semaphore;
}

export interface ListenerSecurity {
  readonly protocol: SecurityProtocol;
  /** null: not a SASL listener. */
  readonly sasl: SaslSettings | null;
  /** null: authorization is off, every request is allowed. */
  readonly authorizer: AclAuthorizer | null;
  readonly failedAuthenticationDelayMs: number;
  /** sasl.server.max.receive.size: the frame bound before authentication. */
  readonly saslServerMaxReceiveBytes: number;
  /** Failed logins and denials: rate-limited, shared by the broker's listeners. */
  readonly log: RateLimitedLog;
}

/** What node:tls needs for ssl.client.auth. */
export interface TlsClientAuthOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
  ca?: Buffer;
}

const TRUSTSTORE_BYTES_MAX = 1 << 20;

export class BrokerSecurity {
  private constructor(
    readonly config: SecurityConfig,
    private readonly sasl: SaslSettings | null,
    readonly authorizer: AclAuthorizer | null,
    private readonly truststore: Buffer | undefined,
    private readonly logger: Logger,
  ) {
    this.log = new RateLimitedLog((line) => logger.info(line), DENIALS_LOG_RATE);
  }

  private readonly log: RateLimitedLog;

  /** Reads the credentials, ACL and truststore files; every problem is one error naming the key or file. */
  static load(config: SecurityConfig, protocols: readonly SecurityProtocol[], logger: Logger): BrokerSecurity {
    const saslListener = protocols.some((p) => p.startsWith('SASL_'));
    const tlsListener = protocols.some((p) => p === 'SSL' || p === 'SASL_SSL');
    let sasl: SaslSettings | null = null;
    if (saslListener) {
      if (config.saslCredentialsFile === undefined) throw new StrataError('INVALID_CONFIG', 'a SASL listener needs sasl.credentials.file (made with `strata users add`)');
      const credentials = CredentialStore.load(config.saslCredentialsFile);
      if (credentials.size === 0) logger.warn(`sasl.credentials.file ${config.saslCredentialsFile} has no users: every SASL client will be refused`);
      sasl = { mechanisms: config.saslEnabledMechanisms, credentials, passwordChecks: new Semaphore(PASSWORD_CHECKS_MAX) };
    }
    let truststore: Buffer | undefined;
    if (config.sslClientAuth !== 'none') {
      if (!tlsListener) throw new StrataError('INVALID_CONFIG', `ssl.client.auth=${config.sslClientAuth} needs an SSL or SASL_SSL listener`);
      if (config.sslTruststoreLocation === undefined) throw new StrataError('INVALID_CONFIG', `ssl.client.auth=${config.sslClientAuth} needs ssl.truststore.location (a PEM file of the CAs client certificates are checked against)`);
      truststore = Buffer.from(readBoundedRegularFile(config.sslTruststoreLocation, TRUSTSTORE_BYTES_MAX, 'ssl.truststore.location'));
      if (!truststore.includes('-----BEGIN CERTIFICATE-----')) throw new StrataError('INVALID_CONFIG', `ssl.truststore.location ${config.sslTruststoreLocation}: no PEM certificate in it`);
    }
    const superUsers = parseSuperUsers(config.superUsers ?? '');
    const authorizer = config.authorizerAclFile === undefined ? null : loadAclAuthorizer(config.authorizerAclFile, superUsers);
    return new BrokerSecurity(config, sasl, authorizer, truststore, logger);
  }

  /** No SASL, no client certificates, no authorization: what serve is without security config. */
  static open(logger: Logger): BrokerSecurity {
    return new BrokerSecurity({ ...DEFAULT_SECURITY_CONFIG }, null, null, undefined, logger);
  }

  listener(protocol: SecurityProtocol): ListenerSecurity {
    const isSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
    if (isSasl && !this.sasl) throw new Error(`assertion failed: ${protocol} listener without SASL settings`);
    return { protocol, sasl: isSasl ? this.sasl : null, authorizer: this.authorizer, failedAuthenticationDelayMs: this.config.connectionFailedAuthenticationDelayMs, saslServerMaxReceiveBytes: this.config.saslServerMaxReceiveSize, log: this.log };
  }

  tlsClientAuth(): TlsClientAuthOptions {
    const auth: SslClientAuth = this.config.sslClientAuth;
    return { requestCert: auth !== 'none', rejectUnauthorized: auth === 'required', ...(this.truststore ? { ca: this.truststore } : {}) };
  }

  /**
   * One line naming the listeners on a non-loopback address that let anyone in (no SASL, no
   * required client certificate), or undefined when there are none.
   */
  exposedListenersWarning(listeners: readonly { protocol: SecurityProtocol; host: string; port: number }[]): string | undefined {
    const open = listeners.filter((l) => !isLoopback(l.host) && (l.protocol === 'PLAINTEXT' || (l.protocol === 'SSL' && this.config.sslClientAuth !== 'required')));
    if (open.length === 0) return undefined;
    const names = open.map((l) => `${l.protocol}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`).join(', ');
    return `listening on ${names} with no authentication: anyone who reaches ${open.length === 1 ? 'it' : 'them'} can create topics, produce and consume${this.authorizer ? ' as User:ANONYMOUS' : ''} (see docs/security.md: SASL_PLAINTEXT/SASL_SSL listeners, ssl.client.auth=required)`;
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.startsWith('::ffff:127.');
}
