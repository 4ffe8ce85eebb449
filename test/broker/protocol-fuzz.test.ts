/**
 * Protocol fuzzing against a real `strata serve` (issue 13): valid requests of every supported API
 * (fuzz-seeds.ts), mutated - bytes flipped, int32s set to edge values, cut short, extended, size
 * prefixes lied about - and wholly random frames, sent on a socket. For every frame the server
 * must answer or close that connection, never crash and never leak (RSS bounded), and a
 * well-behaved client beside it keeps being answered and acknowledged throughout.
 *
 * Bounded and seeded: STRATA_FUZZ_SEED=<n> replays a run, STRATA_FUZZ_FRAMES=<n> sets its size.
 * A frame nobody answers within FRAME_WAIT_MS (a mutated Fetch may legally park up to 30 s, a
 * mutated size prefix leaves the server waiting for bytes that never come) ends its connection.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from '../../broker/raw-client.js';
import { ApiKey } from '../../broker/protocol/api-keys.js';
import { ErrorCode } from '../../broker/protocol/errors.js';
import { buildBatch } from '../../core/format/records.js';
import { tempDir } from './helpers.js';
import { FUZZ_TOPIC, seedFrames } from './fuzz-seeds.js';
import { MiB, memoryOf, metadata, produce, serveChild, type ServeChild } from './hostile-helpers.js';
import { prng } from '../../harness/payload.js';

const SEED = Number(process.env.STRATA_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FRAMES = Number(process.env.STRATA_FUZZ_FRAMES ?? 4000);
const FRAME_WAIT_MS = 250;
const EDGE_INT32 = [0, -1, 1, 0x7fffffff, -0x80000000, 0x10000, 0x3fffffff];

function mutate(seed: Buffer, rand: () => number): { frame: Buffer; kind: string } {
  const int = (n: number) => Math.floor(rand() * n);
  const f = Buffer.from(seed);
  const fixSize = (b: Buffer) => (b.writeInt32BE(b.length - 4, 0), b);
  switch (int(7)) {
    case 0: {
      for (let i = 1 + int(8); i > 0; i--) f[4 + int(f.length - 4)] ^= 1 << int(8);
      return { frame: f, kind: 'bit flips' };
    }
    case 1: {
      for (let i = 1 + int(3); i > 0; i--) {
        const at = 4 + int(Math.max(1, f.length - 8));
        if (at + 4 <= f.length) f.writeInt32BE(EDGE_INT32[int(EDGE_INT32.length)]!, at);
      }
      return { frame: f, kind: 'edge int32s' };
    }
    case 2:
      return { frame: fixSize(f.subarray(0, 4 + 8 + int(f.length - 12))), kind: 'cut short' };
    case 3: {
      const tail = Buffer.alloc(1 + int(64));
      for (let i = 0; i < tail.length; i++) tail[i] = int(256);
      return { frame: fixSize(Buffer.concat([f, tail])), kind: 'extended' };
    }
    case 4:
      f.writeInt32BE(f.length - 4 + (rand() < 0.5 ? -1 - int(8) : 1 + int(8)), 0);
      return { frame: f, kind: 'size prefix lies' };
    case 5: {
      const body = Buffer.alloc(8 + int(120));
      for (let i = 0; i < body.length; i++) body[i] = int(256);
      body.writeInt16BE(seed.readInt16BE(4), 0); // a real API key
      body.writeInt16BE(int(12), 2);
      return { frame: fixSize(Buffer.concat([Buffer.alloc(4), body])), kind: 'random body' };
    }
    default: {
      for (let i = 0; i < 16; i++) f[4 + 8 + int(Math.max(1, f.length - 12))] = int(256);
      return { frame: f, kind: 'random bytes' };
    }
  }
}

let server: ServeChild;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir('fuzz');
  server = await serveChild(dataDir, ['group.initial.rebalance.delay.ms=0', 'socket.request.max.bytes=1048576']);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Sends one frame on `c`; resolves how the server reacted. */
function exchange(c: RawKafkaClient, frame: Buffer, endAfter = false): Promise<'answered' | 'closed' | 'no answer'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no answer'), FRAME_WAIT_MS);
    c.nextResponse().then(
      () => (clearTimeout(timer), resolve('answered')),
      () => (clearTimeout(timer), resolve('closed')),
    );
    c.writeRaw(frame);
    // a frame promising more bytes than it has: the server waits for them; end the stream instead
    if (endAfter) c.socket.end();
  });
}

describe('protocol fuzzing', () => {
  it(`${FRAMES} mutated and random frames (seed ${SEED})`, async () => {
    process.stdout.write(`protocol fuzz: seed ${SEED} (STRATA_FUZZ_SEED=${SEED} replays it), ${FRAMES} frames\n`);
    const seeds = await seedFrames();
    // every seed is valid: answered, connection kept
    const check = await RawKafkaClient.connect(server.port);
    for (const s of seeds) expect(await exchange(check, s)).toBe('answered');
    await check.close();

    const rand = prng(SEED);
    const bystander = await RawKafkaClient.connect(server.port);
    await bystander.request(ApiKey.Metadata, 1, (w) => w.arrayLength(1).string('bystander')); // auto-creates it
    let bystanderAcks = 0;
    let fuzzing = true;
    const bystanderLoop = (async () => {
      while (fuzzing) {
        await metadata(bystander);
        const [r] = await produce(bystander, 'bystander', [{ index: 0, records: buildBatch([{ value: Buffer.from(`b${bystanderAcks}`) }]) }]);
        expect(r!.errorCode).toBe(ErrorCode.NONE);
        expect(r!.baseOffset).toBe(bystanderAcks);
        bystanderAcks++;
      }
    })();
    const rssBefore = memoryOf(server.child.pid!).rssBytes;
    const outcomes: Record<string, number> = { answered: 0, closed: 0, 'no answer': 0 };
    const kinds: Record<string, number> = {};
    let c = await RawKafkaClient.connect(server.port);
    for (let i = 0; i < FRAMES; i++) {
      const { frame, kind } = mutate(seeds[Math.floor(rand() * seeds.length)]!, rand);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      const outcome = await exchange(c, frame, kind === 'size prefix lies');
      outcomes[outcome]!++;
      if (outcome !== 'answered') {
        c.socket.destroy();
        c = await RawKafkaClient.connect(server.port);
      }
      expect(server.child.exitCode).toBeNull();
    }
    c.socket.destroy();
    fuzzing = false;
    await bystanderLoop;
    const rssAfter = memoryOf(server.child.pid!).rssBytes;
    process.stdout.write(
      `protocol fuzz: ${FRAMES} frames ${JSON.stringify(kinds)} -> ${JSON.stringify(outcomes)}; bystander acks ${bystanderAcks}; server RSS ${(rssBefore / MiB).toFixed(0)} -> ${(rssAfter / MiB).toFixed(0)} MiB\n`,
    );
    // the bystander was answered throughout and still is; nothing it was told is lost
    expect(bystanderAcks).toBeGreaterThan(10);
    await metadata(bystander);
    await bystander.close();
    expect(rssAfter - rssBefore).toBeLessThan(256 * MiB);
    expect(server.child.exitCode).toBeNull();
    // no request brought out an internal error (a crash of a handler)
    expect(server.stderr().split('\n').filter((l) => /internal error/.test(l))).toEqual([]);
  }, 120_000);
});
