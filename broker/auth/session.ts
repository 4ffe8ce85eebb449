/**
 * One connection's security state: who it is (its principal) and, on a SASL listener, how far its
 * authentication has got. As Kafka's SaslServerAuthenticator: before authentication only
 * ApiVersions and SaslHandshake are served, then only SaslAuthenticate; anything else closes the
 * connection. A failed authentication is answered with SASL_AUTHENTICATION_FAILED and its message
 * after connection.failed.authentication.delay.ms, then the connection is closed, so a client
 * guessing passwords gets one guess per connection and per delay.
 */
import { isIPv6, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ApiKey, apiName } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { CLUSTER_NAME, type AclOperation, type ResourceType } from './authorizer.js';
import { ANONYMOUS, subjectDn, userPrincipal } from './principal.js';
import { SASL_TOKEN_BYTES_MAX, SaslAuthenticationError, createSaslServer, type SaslServer } from './sasl-server.js';
import type { ListenerSecurity } from './security.js';

type SaslState = 'handshake' | 'authenticate' | 'complete' | 'failed';

export interface SaslAuthenticateOutcome {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

export class Session {
  principal = ANONYMOUS;
  /** The peer's address, for ACL rules naming a host. */
  readonly host: string;
  /** Set when the response being written is the last: the connection closes after it. */
  closeAfterResponse = false;
  private state: SaslState;
  private sasl: SaslServer | undefined;

  constructor(
    readonly listener: ListenerSecurity,
    socket?: Socket,
  ) {
    this.host = socket?.remoteAddress ?? '';
    this.state = listener.sasl ? 'handshake' : 'complete';
    const tlsSocket = socket as TLSSocket | undefined;
    // with ssl.client.auth=requested an unverified certificate is no identity: ANONYMOUS, as Kafka
    if (tlsSocket && 'encrypted' in tlsSocket && tlsSocket.authorized) {
      const cert = tlsSocket.getPeerX509Certificate();
      if (cert) this.principal = userPrincipal(subjectDn(cert));
    }
  }

  /** The peer's address as Kafka prints it (Java's InetAddress.toString): "/127.0.0.1", "/0:0:0:0:0:0:0:1"; '' without a socket. */
  get clientAddress(): string {
    return this.host === '' ? '' : `/${javaHostAddress(this.host)}`;
  }

  get authenticated(): boolean {
    return this.state === 'complete';
  }

  /** The largest request frame accepted now: sasl.server.max.receive.size until authenticated. */
  frameLimit(socketRequestMaxBytes: number): { bytes: number; key: string } {
    const preAuth = this.listener.saslServerMaxReceiveBytes;
    if (this.state === 'complete' || preAuth >= socketRequestMaxBytes) return { bytes: socketRequestMaxBytes, key: 'socket.request.max.bytes' };
    return { bytes: preAuth, key: 'sasl.server.max.receive.size before authentication' };
  }

  /** Throws (closing the connection) for a request this connection may not send yet. */
  admit(apiKey: number): void {
    if (this.state === 'complete') return;
    const allowed = this.state === 'handshake' ? apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake : this.state === 'authenticate' && apiKey === ApiKey.SaslAuthenticate;
    if (!allowed) {
      throw new ProtocolError(`${apiName(apiKey)} request before SASL authentication completed (${this.listener.protocol} listener); closing the connection`);
    }
  }

  handshake(mechanism: string): { errorCode: number; mechanisms: readonly string[] } {
    const sasl = this.listener.sasl;
    const mechanisms = sasl?.mechanisms ?? [];
    if (!sasl || this.state !== 'handshake') return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (!(mechanisms as readonly string[]).includes(mechanism)) {
      this.fail(`unsupported SASL mechanism "${mechanism.slice(0, 64)}" (enabled: ${mechanisms.join(', ')})`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    this.sasl = createSaslServer(mechanism as (typeof mechanisms)[number], sasl.credentials, sasl.passwordChecks);
    this.state = 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  /** SaslHandshake v0 would be followed by tokens without Kafka framing, which strata does not read. */
  refuseUnframedHandshake(): { errorCode: number; mechanisms: readonly string[] } {
    this.fail('SaslHandshake v0 (unframed SASL tokens) is not supported; clients use v1 with SaslAuthenticate');
    return { errorCode: ErrorCode.UNSUPPORTED_VERSION, mechanisms: this.listener.sasl?.mechanisms ?? [] };
  }

  async authenticate(token: Buffer): Promise<SaslAuthenticateOutcome> {
    if (this.state !== 'authenticate' || !this.sasl) {
      const message = this.state === 'complete' ? 'SaslAuthenticate after authentication completed (re-authentication is not supported)' : 'SaslAuthenticate before SaslHandshake';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: message, authBytes: Buffer.alloc(0) };
    }
    const mechanism = this.sasl.mechanism;
    try {
      if (token.length > SASL_TOKEN_BYTES_MAX) throw new SaslAuthenticationError(`${mechanism}: a token of ${token.length} bytes is larger than ${SASL_TOKEN_BYTES_MAX}`);
      const step = await this.sasl.evaluate(token);
      if (step.username !== undefined) {
        this.principal = userPrincipal(step.username);
        this.state = 'complete';
        this.sasl = undefined;
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.challenge };
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) throw err;
      this.fail(`authentication with ${mechanism} failed: ${err.message}`);
      // the delay keeps a password guesser to one guess per connection per delay (Kafka's
      // connection.failed.authentication.delay.ms)
      await new Promise((resolve) => setTimeout(resolve, this.listener.failedAuthenticationDelayMs));
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: err.message, authBytes: Buffer.alloc(0) };
    }
  }

  private fail(why: string): void {
    this.state = 'failed';
    this.sasl = undefined;
    this.closeAfterResponse = true;
    this.listener.log.log(`${this.host}: ${why}; closing the connection after the response`);
  }

  /**
   * Whether this connection's principal may do `operation` on the resource; true when authorization
   * is off. A denial is logged unless `logIfDenied` is false: filtering a list (Metadata for all
   * topics) or a check with a fallback, as Kafka's logIfDenied=false.
   */
  authorize(operation: AclOperation, type: ResourceType, name: string, logIfDenied = true): boolean {
    const a = this.listener.authorizer;
    if (!a || a.authorize(this.principal, this.host, operation, type, name)) return true;
    if (logIfDenied) this.listener.log.log(`denied ${this.principal} from ${this.host}: ${operation} on ${type}:${name}`);
    return false;
  }

  authorizeCluster(operation: AclOperation): boolean {
    return this.authorize(operation, 'Cluster', CLUSTER_NAME, false);
  }

  /** Whether it may do `operation` on some resource of `type` (Kafka's authorizeByResourceType). */
  authorizeAny(operation: AclOperation, type: ResourceType): boolean {
    const a = this.listener.authorizer;
    return !a || a.authorizeAny(this.principal, this.host, operation, type);
  }
}

/**
 * Java's getHostAddress of a peer: an IPv4-mapped IPv6 address is the IPv4 one (Java makes it an
 * Inet4Address), another IPv6 address is written out in eight groups without '::' compression.
 */
export function javaHostAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const [withV4, scope] = address.split('%');
  // a trailing dotted IPv4 part is two groups
  const addr = withV4!.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail] = addr!.includes('::') ? addr!.split('::') : [addr!, undefined];
  const left = head === '' ? [] : head!.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const text = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  return scope === undefined ? text : `${text}%${scope}`;
}

/** A connection's own context: the listener's, with a Session of its own for this socket. */
export function connectionContext<C extends { readonly session: Session }>(listenerCtx: C, socket: Socket): C {
  return { ...listenerCtx, session: new Session(listenerCtx.session.listener, socket) };
}
