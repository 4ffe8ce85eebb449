/**
 * The server side of the SASL mechanisms strata speaks, each checked against the salted SCRAM
 * credentials of the credentials file: SCRAM-SHA-256 and SCRAM-SHA-512 (two round trips,
 * scram.ts), and PLAIN (one: "authzid NUL username NUL password"), whose password is run through
 * the user's stored salt and iteration count and compared with the StoredKey, so no password is
 * ever kept. PLAIN's PBKDF2 is the one costly step a client can ask for with a guessed password:
 * at most PASSWORD_CHECKS_MAX run at once, the rest wait their turn (each connection has at most
 * one request in progress, so the queue is bounded by max.connections).
 */
import type { CredentialStore } from './credentials.js';
import { ScramError, ScramServerExchange, isScramMechanism, parseClientFirst, scramPasswordMatches, type ScramMechanism } from './scram.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** PBKDF2 runs for PLAIN at once: one threadpool thread (one core) at most, whatever the number of guessers. */
export const PASSWORD_CHECKS_MAX = 1;
/** The largest token a client sends in any of these mechanisms (RFC 4616 caps PLAIN's fields at 255 bytes each). */
export const SASL_TOKEN_BYTES_MAX = 8192;

/** Authentication failed; the message goes to the client in SaslAuthenticate's error_message. */
export class SaslAuthenticationError extends Error {}

export interface SaslStep {
  /** Bytes for the client (SaslAuthenticate's auth_bytes). */
  challenge: Buffer;
  /** Set when the exchange is complete and succeeded: the authenticated username. */
  username?: string;
}

export interface SaslServer {
  readonly mechanism: SaslMechanism;
  evaluate(token: Buffer): Promise<SaslStep>;
}

/** FIFO limit on concurrent async work. */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

export function createSaslServer(mechanism: SaslMechanism, credentials: CredentialStore, passwordChecks: Semaphore): SaslServer {
  return mechanism === 'PLAIN' ? new PlainServer(credentials, passwordChecks) : new ScramServer(mechanism, credentials);
}

const invalidCredentials = (mechanism: string) => new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);

class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;
  constructor(
    private readonly credentials: CredentialStore,
    private readonly passwordChecks: Semaphore,
  ) {}

  async evaluate(token: Buffer): Promise<SaslStep> {
    if (this.done) throw new SaslAuthenticationError('PLAIN: the exchange is already complete');
    this.done = true;
    const fields = token.toString('utf8').split('\0');
    if (fields.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, username, password] = fields as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    const stored = this.credentials.forPlain(username);
    if (!stored) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    const ok = await this.passwordChecks.run(() => scramPasswordMatches(stored.mechanism, stored.credential, password));
    if (!ok) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    return { challenge: Buffer.alloc(0), username };
  }
}

class ScramServer implements SaslServer {
  private exchange: ScramServerExchange | undefined;
  private done = false;
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly credentials: CredentialStore,
  ) {
    if (!isScramMechanism(mechanism)) throw new Error(`assertion failed: ${mechanism} is not SCRAM`);
  }

  async evaluate(token: Buffer): Promise<SaslStep> {
    if (this.done) throw new SaslAuthenticationError(`${this.mechanism}: the exchange is already complete`);
    try {
      if (!this.exchange) {
        const first = parseClientFirst(token.toString('utf8'));
        const credential = this.credentials.get(first.username, this.mechanism);
        if (!credential) throw invalidCredentials(this.mechanism);
        this.exchange = new ScramServerExchange(this.mechanism, first, credential);
        return { challenge: Buffer.from(this.exchange.serverFirstMessage()) };
      }
      this.done = true;
      const serverFinal = this.exchange.finish(token.toString('utf8'));
      if (serverFinal === null) throw invalidCredentials(this.mechanism);
      return { challenge: Buffer.from(serverFinal), username: this.exchange.first.username };
    } catch (err) {
      this.done = true;
      if (err instanceof ScramError) throw new SaslAuthenticationError(`${this.mechanism}: ${err.message}`);
      throw err;
    }
  }
}
