/**
 * `ConnectionQuotas`, as Kafka's: counts open sockets (from TCP accept to close, so a TLS handshake
 * in progress counts as much as a connection serving requests) against max.connections, and per
 * client address against max.connections.per.ip (with max.connections.per.ip.overrides). A
 * socket over either limit is closed on accept.
 *
 * Refusals are logged at most once per interval, with the number refused since the last line
 * (rate-limited-log.ts).
 */
import type { Socket } from 'node:net';
import { assert } from '../core/errors.js';
import type { Logger } from '../core/tokens.js';
import { canonicalIp, type BrokerConfig } from './broker-config.js';
import { REFUSALS_LOG_RATE, RateLimitedLog } from './rate-limited-log.js';

export type QuotaConfig = Pick<BrokerConfig, 'maxConnections' | 'maxConnectionsPerIp' | 'maxConnectionsPerIpOverrides'>;

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private readonly refusals: RateLimitedLog;

  constructor(
    private readonly config: QuotaConfig,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.refusals = new RateLimitedLog((line) => logger.warn(line), REFUSALS_LOG_RATE, now);
  }

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
      this.refusals.log(`refusing connection from ${ip}:${socket.remotePort} on the ${listener} listener: ${reason}`);
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
}
