/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677): the stored form of a password and the
 * server side of one exchange. Only the salted form is ever kept: StoredKey = H(HMAC(SaltedPassword,
 * "Client Key")) lets the server check a client's proof, ServerKey = HMAC(SaltedPassword, "Server
 * Key") lets it prove itself; neither gives the password back. As in Kafka's ScramSaslServer, the
 * iteration count comes from the stored credential (4096 to 16384), channel binding is refused,
 * and the only extension accepted is none.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's ScramMechanism bounds on the iteration count of a stored credential. */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-512';
}

export function scramHashBytes(mechanism: ScramMechanism): number {
  return HASH[mechanism].bytes;
}

function hmac(mechanism: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(HASH[mechanism].name, key).update(data).digest();
}

function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(HASH[mechanism].name).update(data).digest();
}

function keysFromSaltedPassword(mechanism: ScramMechanism, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  return { storedKey: hash(mechanism, hmac(mechanism, salted, 'Client Key')), serverKey: hmac(mechanism, salted, 'Server Key') };
}

/** A new credential for `password`: a random salt of the hash's length, `iterations` rounds of PBKDF2. */
/** `salt` is for reproducing published test vectors; a credential for use takes the random one. */
export function makeScramCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_ITERATIONS_MIN, salt = randomBytes(HASH[mechanism].bytes)): ScramCredential {
  if (!Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) {
    throw new RangeError(`${mechanism}: iterations must be an integer from ${SCRAM_ITERATIONS_MIN} to ${SCRAM_ITERATIONS_MAX}, got ${iterations}`);
  }
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH[mechanism].bytes, HASH[mechanism].name);
  return { salt, iterations, ...keysFromSaltedPassword(mechanism, salted) };
}

/**
 * Whether `password` is the one `credential` was made from (PLAIN against stored SCRAM
 * credentials). PBKDF2 runs in libuv's threadpool, off the event loop.
 */
export async function scramPasswordMatches(mechanism: ScramMechanism, credential: ScramCredential, password: string): Promise<boolean> {
  const { name, bytes } = HASH[mechanism];
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(Buffer.from(password, 'utf8'), credential.salt, credential.iterations, bytes, name, (err, key) => (err ? reject(err) : resolve(key))),
  );
  const { storedKey } = keysFromSaltedPassword(mechanism, salted);
  return storedKey.length === credential.storedKey.length && timingSafeEqual(storedKey, credential.storedKey);
}

/** The client refused or sent what RFC 5802 does not allow; the message is safe to show the client. */
export class ScramError extends Error {}

/** RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is malformed. */
export function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramError(`invalid username encoding "${text}"`);
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed SCRAM attribute "${part.slice(0, 40)}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 printable nonce: any printable ASCII but ','. */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ClientFirst {
  username: string;
  gs2Header: string;
  clientFirstBare: string;
  clientNonce: string;
}

/** Parses client-first-message: gs2 header "n,," or "n,a=ID," then "n=USER,r=NONCE". */
export function parseClientFirst(message: string): ClientFirst {
  const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
  if (!m) throw new ScramError(message.startsWith('p=') ? 'channel binding is not supported' : 'malformed client-first-message');
  const gs2Header = message.slice(0, message.length - m[3]!.length);
  const clientFirstBare = m[3]!;
  const attrs = attributes(clientFirstBare);
  const user = attrs.get('n');
  const clientNonce = attrs.get('r');
  if (user === undefined || clientNonce === undefined || !NONCE.test(clientNonce)) throw new ScramError('client-first-message lacks a username or a valid nonce');
  if (attrs.has('m')) throw new ScramError('mandatory extensions are not supported');
  const username = decodeSaslName(user);
  if (m[2] !== undefined && decodeSaslName(m[2].slice(2)) !== username) {
    throw new ScramError('authorization id differs from the username');
  }
  return { username, gs2Header, clientFirstBare, clientNonce };
}

/** One server-side SCRAM exchange: client-first → server-first → client-final → server-final. */
export class ScramServerExchange {
  private serverFirst = '';
  private nonce = '';

  constructor(
    readonly mechanism: ScramMechanism,
    readonly first: ClientFirst,
    private readonly credential: ScramCredential,
  ) {}

  /** `serverNonce` is for reproducing published test vectors. */
  serverFirstMessage(serverNonce = randomBytes(18).toString('base64')): string {
    this.nonce = this.first.clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    return this.serverFirst;
  }

  /** Checks client-final-message; the server-final-message when the proof is right, null when it is not. */
  finish(clientFinal: string): string | null {
    if (this.nonce === '') throw new Error('assertion failed: client-final before server-first');
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final-message has no proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.first.gs2Header).toString('base64')) throw new ScramError('channel binding attribute does not match the gs2 header');
    // librdkafka before 2.1 sends its own nonce again in front of the combined one (Kafka accepted
    // that with an endsWith check); that form and the RFC's exact echo are the two accepted
    const echoed = attrs.get('r');
    if (echoed !== this.nonce && echoed !== this.first.clientNonce + this.nonce) throw new ScramError('nonce does not match');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${this.first.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.mechanism, this.credential.storedKey, authMessage);
    if (proof.length !== signature.length) return null;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    if (!timingSafeEqual(hash(this.mechanism, clientKey), this.credential.storedKey)) return null;
    return `v=${hmac(this.mechanism, this.credential.serverKey, authMessage).toString('base64')}`;
  }
}
