/**
 * The security settings of `strata serve`, with Kafka's keys where Kafka has one:
 *   sasl.enabled.mechanisms          PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (default: the two SCRAM ones)
 *   ssl.client.auth                  none | requested | required (TLS client certificates)
 *   ssl.truststore.location          PEM file of the CAs client certificates must chain to
 *   super.users                      principals allowed everything, ';'-separated
 *   connection.failed.authentication.delay.ms   a failed authentication's answer waits this long (100)
 *   sasl.server.max.receive.size     largest request frame before SASL authentication (524288)
 * and two of strata's own, since Kafka keeps these in its metadata log:
 *   sasl.credentials.file            the salted SCRAM credentials (`strata users add`)
 *   authorizer.acl.file              the ACL rules; setting it turns authorization on
 * The listeners' protocols (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL) come from `--listeners`.
 */
import { StrataError } from '../../core/errors.js';
import { SASL_MECHANISMS, isSaslMechanism, type SaslMechanism } from './sasl-server.js';

export type SslClientAuth = 'none' | 'requested' | 'required';
export type SecurityProtocol = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL';

export interface SecurityConfig {
  saslEnabledMechanisms: SaslMechanism[];
  sslClientAuth: SslClientAuth;
  sslTruststoreLocation: string | undefined;
  superUsers: string | undefined;
  connectionFailedAuthenticationDelayMs: number;
  saslServerMaxReceiveSize: number;
  saslCredentialsFile: string | undefined;
  authorizerAclFile: string | undefined;
}

export const DEFAULT_SECURITY_CONFIG: Readonly<SecurityConfig> = Object.freeze({
  // Kafka's default is GSSAPI, which strata does not speak; PLAIN sends the password itself, so it is opt-in
  saslEnabledMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as SaslMechanism[],
  sslClientAuth: 'none',
  sslTruststoreLocation: undefined,
  superUsers: undefined,
  connectionFailedAuthenticationDelayMs: 100,
  saslServerMaxReceiveSize: 524288,
  saslCredentialsFile: undefined,
  authorizerAclFile: undefined,
});

const KEYS = [
  'sasl.enabled.mechanisms',
  'ssl.client.auth',
  'ssl.truststore.location',
  'ssl.truststore.type',
  'super.users',
  'connection.failed.authentication.delay.ms',
  'sasl.server.max.receive.size',
  'sasl.credentials.file',
  'authorizer.acl.file',
] as const;

export function isSecurityConfigKey(key: string): boolean {
  return (KEYS as readonly string[]).includes(key);
}

export function securityConfigFrom(props: Readonly<Record<string, string>>): SecurityConfig {
  const config: SecurityConfig = { ...DEFAULT_SECURITY_CONFIG };
  const bad = (key: string, what: string) => new StrataError('INVALID_CONFIG', `${key}: ${what}`);
  for (const [key, raw] of Object.entries(props)) {
    const text = raw.trim();
    switch (key) {
      case 'sasl.enabled.mechanisms': {
        const names = text.split(',').map((m) => m.trim()).filter((m) => m !== '');
        const unknown = names.filter((m) => !isSaslMechanism(m));
        if (names.length === 0 || unknown.length > 0) throw bad(key, `unsupported mechanism ${JSON.stringify(unknown[0] ?? '')} (supported: ${SASL_MECHANISMS.join(', ')})`);
        config.saslEnabledMechanisms = [...new Set(names as SaslMechanism[])];
        break;
      }
      case 'ssl.client.auth':
        if (text !== 'none' && text !== 'requested' && text !== 'required') throw bad(key, `must be none, requested or required, got "${text}"`);
        config.sslClientAuth = text;
        break;
      case 'ssl.truststore.location':
        config.sslTruststoreLocation = text;
        break;
      case 'ssl.truststore.type':
        if (text !== 'PEM') throw bad(key, `only PEM truststores are read, got "${text}"`);
        break;
      case 'super.users':
        config.superUsers = text;
        break;
      case 'connection.failed.authentication.delay.ms':
        if (!/^\d+$/.test(text) || Number(text) > 60_000) throw bad(key, `must be an integer from 0 to 60000, got "${text}"`);
        config.connectionFailedAuthenticationDelayMs = Number(text);
        break;
      case 'sasl.server.max.receive.size':
        if (!/^\d+$/.test(text) || Number(text) < 1024 || Number(text) > 2 ** 31 - 1) throw bad(key, `must be an integer from 1024 to ${2 ** 31 - 1}, got "${text}"`);
        config.saslServerMaxReceiveSize = Number(text);
        break;
      case 'sasl.credentials.file':
        config.saslCredentialsFile = text;
        break;
      case 'authorizer.acl.file':
        config.authorizerAclFile = text;
        break;
      default:
        throw bad(key, 'not a security config key');
    }
  }
  if (config.superUsers !== undefined && config.authorizerAclFile === undefined) {
    throw bad('super.users', 'needs authorizer.acl.file (authorization is off without it, so super users would mean nothing)');
  }
  return config;
}
