/**
 * Seeded record payloads and keys. Payloads are made before a cell's timed loop starts (a pool the
 * producer cycles through), so the measured loop spends nothing on generating bytes; the same seed
 * gives the same bytes on every run and every machine.
 */
import type { KeyDistribution, PayloadProfile } from './workload.js';

/** mulberry32: tiny, fast, good enough for test data (not for anything secret). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes the payload pool may hold, so large records do not exhaust memory. */
const POOL_BYTES_MAX = 64 * 1024 * 1024;
const POOL_RECORDS_MAX = 1024;

const WORDS = ['request', 'served', 'user', 'session', 'cache', 'miss', 'hit', 'latency', 'order', 'payment', 'accepted', 'rejected', 'retry', 'timeout', 'checkout', 'login', 'logout', 'page', 'view', 'click'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'DEBUG', 'ERROR'];

function jsonLike(rand: () => number, bytes: number, index: number): Buffer {
  // log-line-shaped JSON: repeated field names, small alphabets, growing numbers (like real logs)
  let text = '';
  let n = 0;
  while (text.length < bytes) {
    const word = () => WORDS[Math.floor(rand() * WORDS.length)]!;
    text += JSON.stringify({
      ts: 1_700_000_000_000 + index * 1000 + n,
      level: LEVELS[Math.floor(rand() * LEVELS.length)],
      service: `svc-${Math.floor(rand() * 16)}`,
      user: `u${Math.floor(rand() * 100_000)}`,
      msg: `${word()} ${word()} ${word()} in ${Math.floor(rand() * 500)} ms`,
      bytes: Math.floor(rand() * 65536),
    });
    text += '\n';
    n++;
  }
  return Buffer.from(text.slice(0, bytes), 'utf8');
}

export function makePayload(profile: PayloadProfile, rand: () => number, bytes: number, index: number): Buffer {
  switch (profile) {
    case 'random': {
      const buf = Buffer.allocUnsafe(bytes);
      for (let i = 0; i < bytes; i += 4) {
        const v = (rand() * 4294967296) >>> 0;
        buf[i] = v & 0xff;
        if (i + 1 < bytes) buf[i + 1] = (v >>> 8) & 0xff;
        if (i + 2 < bytes) buf[i + 2] = (v >>> 16) & 0xff;
        if (i + 3 < bytes) buf[i + 3] = (v >>> 24) & 0xff;
      }
      return buf;
    }
    case 'json':
      return jsonLike(rand, bytes, index);
    case 'repetitive': {
      const pattern = Buffer.from(`strata-${index % 8}-`, 'utf8');
      const buf = Buffer.allocUnsafe(bytes);
      for (let i = 0; i < bytes; i += pattern.length) pattern.copy(buf, i, 0, Math.min(pattern.length, bytes - i));
      return buf;
    }
  }
}

export function makePayloadPool(profile: PayloadProfile, seed: number, recordBytes: number): Buffer[] {
  const rand = prng(seed);
  const count = Math.max(1, Math.min(POOL_RECORDS_MAX, Math.floor(POOL_BYTES_MAX / recordBytes)));
  const pool: Buffer[] = [];
  for (let i = 0; i < count; i++) pool.push(makePayload(profile, rand, recordBytes, i));
  return pool;
}

/** Keys by distribution; `next()` returns null for `none`. */
export class KeyGenerator {
  private readonly rand: () => number;
  private sequence = 0;
  private readonly zipfCdf?: Float64Array;

  constructor(
    private readonly distribution: KeyDistribution,
    private readonly keyCount: number,
    private readonly keyBytes: number,
    seed: number,
  ) {
    this.rand = prng(seed ^ 0x9e3779b9);
    if (distribution === 'zipf') {
      // s = 1 (classic Zipf); table capped so a huge keyCount stays cheap (tail keys share a bucket)
      const n = Math.min(keyCount, 100_000);
      const cdf = new Float64Array(n);
      let sum = 0;
      for (let k = 1; k <= n; k++) sum += 1 / k;
      let acc = 0;
      for (let k = 1; k <= n; k++) {
        acc += 1 / k / sum;
        cdf[k - 1] = acc;
      }
      this.zipfCdf = cdf;
    }
  }

  next(): Buffer | null {
    let k: number;
    switch (this.distribution) {
      case 'none':
        return null;
      case 'sequential':
        k = this.sequence++ % this.keyCount;
        break;
      case 'uniform':
        k = Math.floor(this.rand() * this.keyCount);
        break;
      case 'zipf': {
        const cdf = this.zipfCdf!;
        const u = this.rand();
        let lo = 0;
        let hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        k = lo;
        break;
      }
    }
    const text = `key-${k}`;
    const buf = Buffer.alloc(this.keyBytes, 0x2e); // padded with '.'
    buf.write(text.slice(-this.keyBytes), 0, 'latin1');
    return buf;
  }
}
