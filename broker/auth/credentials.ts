/**
 * The SASL credentials file (`sasl.credentials.file`): each user's salted SCRAM credentials, never a
 * password. Written by `strata users add`, read once when the broker starts. JSON:
 *
 *   { "version": 1, "users": { "alice": { "SCRAM-SHA-512": { "salt": B64, "storedKey": B64,
 *     "serverKey": B64, "iterations": 4096 } } } }
 *
 * Kafka keeps the same four values per user and mechanism (ScramCredential) in its metadata log.
 * Every problem names the file and the entry; the file is replaced atomically (write, fsync, rename)
 * with mode 0600 so a crash leaves the old or the new file, never half of one.
 */
import { closeSync, fsyncSync, statSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { StrataError } from '../../core/errors.js';
import { SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, isScramMechanism, scramHashBytes, type ScramCredential, type ScramMechanism } from './scram.js';

/** A credentials file of a few thousand users is well under this. */
export const CREDENTIALS_FILE_BYTES_MAX = 16 * 1024 * 1024;
const FORMAT_VERSION = 1;

export class CredentialStore {
  private readonly users = new Map<string, Map<ScramMechanism, ScramCredential>>();

  get(username: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(username)?.get(mechanism);
  }

  /** The user's credential for PLAIN: SCRAM-SHA-512's when there is one, else SCRAM-SHA-256's. */
  forPlain(username: string): { mechanism: ScramMechanism; credential: ScramCredential } | undefined {
    const entry = this.users.get(username);
    if (!entry) return undefined;
    for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const) {
      const credential = entry.get(mechanism);
      if (credential) return { mechanism, credential };
    }
    return undefined;
  }

  set(username: string, mechanism: ScramMechanism, credential: ScramCredential): void {
    if (username.length === 0) throw new StrataError('INVALID_ARGUMENT', 'a username cannot be empty');
    let entry = this.users.get(username);
    if (!entry) this.users.set(username, (entry = new Map()));
    entry.set(mechanism, credential);
  }

  /** Removes the user (every mechanism, or one); false when there was nothing to remove. */
  remove(username: string, mechanism?: ScramMechanism): boolean {
    const entry = this.users.get(username);
    if (!entry) return false;
    if (mechanism === undefined) return this.users.delete(username);
    const removed = entry.delete(mechanism);
    if (entry.size === 0) this.users.delete(username);
    return removed;
  }

  list(): { username: string; mechanisms: { mechanism: ScramMechanism; iterations: number }[] }[] {
    return [...this.users].map(([username, m]) => ({ username, mechanisms: [...m].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })) }));
  }

  get size(): number {
    return this.users.size;
  }

  toJSON(): unknown {
    const users: Record<string, Record<string, unknown>> = {};
    for (const [name, m] of this.users) {
      users[name] = {};
      for (const [mechanism, c] of m) {
        users[name][mechanism] = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
      }
    }
    return { version: FORMAT_VERSION, users };
  }

  /** Parses a file's text; `file` names it in every error. */
  static parse(text: string, file: string): CredentialStore {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new StrataError('INVALID_CONFIG', `${file}: not JSON: ${(err as Error).message}`);
    }
    const bad = (where: string, what: string) => new StrataError('INVALID_CONFIG', `${file}: ${where}: ${what}`);
    if (!isObject(doc)) throw bad('top level', 'must be an object {"version": 1, "users": {...}}');
    if (doc.version !== FORMAT_VERSION) throw bad('version', `must be ${FORMAT_VERSION}, got ${JSON.stringify(doc.version)}`);
    if (!isObject(doc.users)) throw bad('users', 'must be an object of username → mechanisms');
    const store = new CredentialStore();
    for (const [username, mechanisms] of Object.entries(doc.users)) {
      if (username.length === 0) throw bad('users[""]', 'a username cannot be empty');
      if (!isObject(mechanisms)) throw bad(`users[${JSON.stringify(username)}]`, 'must be an object of mechanism → credential');
      for (const [mechanism, raw] of Object.entries(mechanisms)) {
        const where = `users[${JSON.stringify(username)}][${JSON.stringify(mechanism)}]`;
        if (!isScramMechanism(mechanism)) throw bad(where, `unknown mechanism (known: ${SCRAM_MECHANISMS.join(', ')})`);
        store.set(username, mechanism, parseCredential(raw, mechanism, (what) => bad(where, what)));
      }
    }
    return store;
  }

  /** Reads a credentials file: a regular file (symlinks followed, as Kubernetes mounts secrets), at most CREDENTIALS_FILE_BYTES_MAX. */
  static load(file: string): CredentialStore {
    return CredentialStore.parse(readBoundedRegularFile(file, CREDENTIALS_FILE_BYTES_MAX, 'credentials file'), file);
  }

  /** Replaces `file` with this store: a temporary file, fsync, rename; mode 0600. */
  save(file: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.toJSON(), null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseCredential(raw: unknown, mechanism: ScramMechanism, bad: (what: string) => Error): ScramCredential {
  if (!isObject(raw)) throw bad('must be an object {salt, storedKey, serverKey, iterations}');
  const bytes = scramHashBytes(mechanism);
  const b64 = (key: string, exact: number | undefined): Buffer => {
    const v = raw[key];
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) throw bad(`${key} must be a base64 string`);
    const buf = Buffer.from(v, 'base64');
    if (exact !== undefined && buf.length !== exact) throw bad(`${key} must be ${exact} bytes for ${mechanism}, got ${buf.length}`);
    if (buf.length === 0 || buf.length > 1024) throw bad(`${key} must be 1 to 1024 bytes, got ${buf.length}`);
    return buf;
  };
  const iterations = raw.iterations;
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) {
    throw bad(`iterations must be an integer from ${SCRAM_ITERATIONS_MIN} to ${SCRAM_ITERATIONS_MAX}, got ${JSON.stringify(iterations)}`);
  }
  return { salt: b64('salt', undefined), storedKey: b64('storedKey', bytes), serverKey: b64('serverKey', bytes), iterations };
}

/** A configuration file's text: refused when it is not a regular file or is larger than `bytesMax`. */
export function readBoundedRegularFile(file: string, bytesMax: number, what: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new StrataError('INVALID_CONFIG', `${what} ${file}: cannot read it: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new StrataError('INVALID_CONFIG', `${what} ${file}: not a regular file`);
  if (st.size > bytesMax) throw new StrataError('INVALID_CONFIG', `${what} ${file}: ${st.size} bytes, more than the ${bytesMax} allowed`);
  return readFileSync(file, 'utf8');
}
