/**
 * `ConnectionQuotas`, as Kafka's: counts open sockets (from TCP accept to close, so a TLS handshake
 * in progress counts as much as a connection serving requests) against max.connections, and per
 * client address against max.connections.per.ip (with max.connections.per.ip.overrides). A
 * socket over either limit is closed on accept.
 *
 * Refusals are logged at most once per REFUSAL_LOG_INTERVAL_MS, with the number refused since the
 * last line: a client hammering a full broker must not turn into a log line per attempt.
 */
import type { Socket } from 'node:net';
import { assert } from '../core/errors.js';
import type { Logger } from '../core/tokens.js';
import { canonicalIp, type BrokerConfig } from './broker-config.js';

/** At most one refusal line per this interval; the next line counts the ones in between. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export type QuotaConfig = Pick<BrokerConfig, 'maxConnections' | 'maxConnectionsPerIp' | 'maxConnectionsPerIpOverrides'>;

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private suppressedRefusals = 0;
  private lastRefusalLogMs = -Infinity;

  constructor(
    private readonly config: QuotaConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Open sockets counted (handshaking or not). */
  get count(): number {
    return this.total;
  }

  /** Sockets counted for one address. */
  countOf(address: string): number {
    return this.perIp.get(canonicalIp(address)) ?? 0;
  }

  /**
   * Counts a socket just accepted, or closes it with a (rate-limited) log line when a limit is
   * reached. A counted socket is uncounted when it closes, however it closes.
   */
  admit(socket: Socket, listener: string): boolean {
    const ip = canonicalIp(socket.remoteAddress ?? 'unknown');
    const reason = this.refusal(ip);
    if (reason) {
      this.logRefusal(`refusing connection from ${ip}:${socket.remotePort} on the ${listener} listener: ${reason}`);
      socket.destroy();
      return false;
    }
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    socket.once('close', () => this.release(ip));
    return true;
  }

  private refusal(ip: string): string | undefined {
    if (this.total >= this.config.maxConnections) return `max.connections (${this.config.maxConnections}) reached`;
    const perIpMax = this.config.maxConnectionsPerIpOverrides.get(ip) ?? this.config.maxConnectionsPerIp;
    if ((this.perIp.get(ip) ?? 0) >= perIpMax) return `max.connections.per.ip (${perIpMax}) reached for ${ip}`;
    return undefined;
  }

  private release(ip: string): void {
    const n = this.perIp.get(ip) ?? 0;
    assert(n > 0 && this.total > 0, `connection quota released for ${ip} without a count`);
    if (n === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
    this.total--;
  }

  private logRefusal(line: string): void {
    const now = this.now();
    if (now - this.lastRefusalLogMs < REFUSAL_LOG_INTERVAL_MS) {
      this.suppressedRefusals++;
      return;
    }
    const suppressed = this.suppressedRefusals;
    this.suppressedRefusals = 0;
    this.lastRefusalLogMs = now;
    this.logger.warn(suppressed > 0 ? `${line} (${suppressed} more refused since the last such line, not logged one by one)` : line);
  }
}
