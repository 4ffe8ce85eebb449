/**
 * Hostile input: truncated, corrupted and bomb blobs get a clear StrataError CORRUPT_RECORD naming the
 * codec and the problem, never a crash, never a decoded output past the limit, and never a huge
 * allocation (bombs below expand to 1 GiB; the tests check resident memory stays far below that).
 */
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import snappy from 'snappy';
import { beforeAll, describe, expect, test } from 'vitest';
import { StrataError } from '../../core/errors.js';
import type { Codec } from '../../core/codec.js';
import { recordsSectionOf, seededRandom } from '../../harness/micro/payloads.js';
import { XERIAL_HEADER_BYTES, compressXerialSync } from '../../codecs/snappy.js';
import { lz4HeaderChecksum } from '../../codecs/lz4-frame.js';
import { COMPRESSED, mixedRecords, registry } from './helpers.js';

const GIB = 1024 * 1024 * 1024;
const LIMIT = 4 * 1048588; // decodeBatch's default: 4 x message.max.bytes
const RSS_GROWTH_MAX = 256 * 1024 * 1024;

async function rejection(codec: Codec, blob: Buffer, limit = LIMIT): Promise<StrataError> {
  const err = await codec.decompress(blob, limit).then(
    (out) => new Error(`decoded ${out.length} bytes instead of rejecting`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StrataError);
  expect((err as StrataError).code).toBe('CORRUPT_RECORD');
  expect((err as Error).message.startsWith(`${codec.name}: `)).toBe(true);
  return err as StrataError;
}

/** Resident-set growth while `fn` runs: a 1 GiB inflation would show up as ~1 GiB. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 1);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - before;
}

function binary(cmd: string, args: string[], input: Buffer | string): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024, shell: false });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** 1 GiB of zeros through a shell pipe into a real compressor binary, streamed (never in memory here). */
function zerosThrough(command: string): Buffer {
  const r = spawnSync('sh', ['-c', `head -c ${GIB} /dev/zero | ${command}`], { maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function xerialBlockBoundaries(blob: Buffer): number[] {
  const out: number[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < blob.length; at += 4 + blob.readInt32BE(at)) out.push(at);
  return out;
}

const codecs = registry();
const valid = new Map<string, Buffer>();
const section = recordsSectionOf(mixedRecords('json', 64 * 1024));

beforeAll(async () => {
  for (const name of COMPRESSED) valid.set(name, await codecs.byNameOrThrow(name).compress(section));
  valid.set('snappy-xerial', compressXerialSync(section, 8 * 1024));
});

describe.each([...COMPRESSED, 'snappy-xerial'])('%s: truncated and corrupted blobs', (variant) => {
  const codec = () => codecs.byNameOrThrow(variant.replace('-xerial', ''));

  test('every truncation is rejected', async () => {
    const blob = valid.get(variant)!;
    expect((await codec().decompress(blob, LIMIT)).equals(section)).toBe(true);
    // cut points spread over the whole blob, header and trailer included
    const cuts = new Set<number>([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 17, 20, blob.length - 1, blob.length - 2, blob.length - 4, blob.length - 5]);
    for (let c = 0; c < blob.length; c += Math.max(1, Math.floor(blob.length / 40))) cuts.add(c);
    for (const cut of cuts) {
      if (cut >= blob.length) continue;
      const cutBlob = Buffer.from(blob.subarray(0, cut));
      if (variant === 'snappy-xerial' && xerialBlockBoundaries(blob).includes(cut) && cut > XERIAL_HEADER_BYTES) {
        // xerial has no end marker: a cut between blocks is a shorter valid stream. It decodes to a
        // strict prefix; the batch's record count (and CRC) catch it one level up (test below)
        const out = await codec().decompress(cutBlob, LIMIT);
        expect(out.length).toBeLessThan(section.length);
        expect(out.equals(section.subarray(0, out.length))).toBe(true);
        continue;
      }
      await rejection(codec(), cutBlob);
    }
  });

  test('random byte corruption never crashes, never exceeds the limit, errors are CORRUPT_RECORD', async () => {
    const blob = valid.get(variant)!;
    const rand = seededRandom(99);
    let rejected = 0;
    const limit = 2 * section.length;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(blob);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) bad[Math.floor(rand() * bad.length)] ^= 1 + Math.floor(rand() * 255);
      try {
        const out = await codec().decompress(bad, limit);
        // formats without checksums (raw snappy, lz4 without block checksums) can decode garbage;
        // the batch CRC catches that one level up. The bound must still hold.
        expect(out.length).toBeLessThanOrEqual(limit);
      } catch (err) {
        expect(err).toBeInstanceOf(StrataError);
        expect((err as StrataError).code).toBe('CORRUPT_RECORD');
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('decompression bombs (1 GiB of zeros) are refused fast, without inflating them', () => {
  test('gzip: zlib stops at the limit', async () => {
    // 16 gzip members of 64 MiB of zeros each: one valid multi-member gzip stream of 1 GiB
    const member = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(new Array<Buffer>(16).fill(member));
    expect(bomb.length).toBeLessThan(8 * 1024 * 1024);
    let err: StrataError | undefined;
    expect(await rssGrowth(async () => (err = await rejection(codecs.byNameOrThrow('gzip'), bomb)))).toBeLessThan(RSS_GROWTH_MAX);
    expect(err!.message).toMatch(/more than the limit of 4194352 \(a decompression bomb or a corrupt length\)/);
  }, 60_000);

  test('gzip: the threadpool path stops at the limit too', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 1 });
    const err = await rejection(codecs.byNameOrThrow('gzip'), bomb);
    expect(err.message).toMatch(/more than the limit/);
  }, 30_000);

  test('snappy raw: the length prefix is refused before any allocation', async () => {
    // a valid raw snappy stream of 1 GiB + 1 zeros: one literal, then 2^24 copies of 64 bytes
    const copies = 2 ** 24;
    const total = 1 + 64 * copies;
    const prefix: number[] = [];
    for (let v = total; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        prefix.push(v);
        break;
      }
      prefix.push((v & 0x7f) | 0x80);
    }
    const bomb = Buffer.alloc(prefix.length + 2 + 3 * copies);
    Buffer.from(prefix).copy(bomb, 0);
    bomb[prefix.length] = 0x00; // literal of length 1
    bomb[prefix.length + 1] = 0x00;
    for (let at = prefix.length + 2; at < bomb.length; at += 3) {
      bomb[at] = (63 << 2) | 2; // copy, 2-byte offset, length 64
      bomb[at + 1] = 1; // offset 1
    }
    // the same construction with 8 copies is a real snappy stream: the library decodes it to zeros
    const small = Buffer.concat([Buffer.from([1 + 64 * 8, 0x00, 0x00]), bomb.subarray(prefix.length + 2, prefix.length + 2 + 3 * 8)]);
    small.writeUInt8(0x81, 0); // varint 513 = 0x81 0x04
    const smallStream = Buffer.concat([Buffer.from([0x81, 0x04]), small.subarray(1)]);
    expect((snappy.uncompressSync(smallStream, { asBuffer: true }) as Buffer).equals(Buffer.alloc(513))).toBe(true);
    let err: StrataError | undefined;
    expect(await rssGrowth(async () => (err = await rejection(codecs.byNameOrThrow('snappy'), bomb)))).toBeLessThan(RSS_GROWTH_MAX);
    expect(err!.message).toMatch(new RegExp(`decompressed records would be ${total} bytes, more than the limit of ${LIMIT}`));
  }, 30_000);

  test('snappy xerial: block lengths are summed and refused before decoding any block', async () => {
    const block = snappy.compressSync(Buffer.alloc(32 * 1024));
    const blocks = GIB / (32 * 1024);
    const bomb = Buffer.alloc(XERIAL_HEADER_BYTES + blocks * (4 + block.length));
    compressXerialSync(Buffer.alloc(0)).copy(bomb, 0);
    for (let i = 0, at = XERIAL_HEADER_BYTES; i < blocks; i++, at += 4 + block.length) {
      bomb.writeInt32BE(block.length, at);
      block.copy(bomb, at + 4);
    }
    let err: StrataError | undefined;
    expect(await rssGrowth(async () => (err = await rejection(codecs.byNameOrThrow('snappy'), bomb)))).toBeLessThan(RSS_GROWTH_MAX);
    expect(err!.message).toMatch(/more than the limit/);
  }, 30_000);

  test('lz4: lz4 CLI bomb (4 MiB blocks, content checksum) is refused block by block', async () => {
    const bomb = zerosThrough('lz4 -1 -c');
    let err: StrataError | undefined;
    expect(await rssGrowth(async () => (err = await rejection(codecs.byNameOrThrow('lz4'), bomb)))).toBeLessThan(RSS_GROWTH_MAX);
    expect(err!.message).toMatch(/more than the limit of 4194352/);
  }, 60_000);

  test('lz4: a frame declaring a 1 GiB content size is refused from its header', async () => {
    // liblz4 writes the content size only for a file input: a sparse 1 GiB file of zeros
    const bomb = zerosThrough(`true; f=$(mktemp); truncate -s ${GIB} "$f"; lz4 -1 -c -q --content-size "$f"; rm -f "$f"; true`);
    expect(bomb[4]! & 0x08).toBe(0x08);
    const err = await rejection(codecs.byNameOrThrow('lz4'), bomb);
    expect(err.message).toMatch(/declares 1073741824 bytes of content/);
  }, 60_000);

  test('zstd: a streamed frame (no content size) is refused from its block headers', async () => {
    const bomb = zerosThrough('zstd -3 -c -q');
    let err: StrataError | undefined;
    expect(await rssGrowth(async () => (err = await rejection(codecs.byNameOrThrow('zstd'), bomb)))).toBeLessThan(RSS_GROWTH_MAX);
    expect(err!.message).toMatch(/would be up to 1073741824 bytes, more than the limit of 4194352/);
  }, 60_000);

  test('zstd: a frame declaring 1 GiB content is refused from its header', async () => {
    const bomb = zerosThrough(`zstd -3 -c -q --stream-size=${GIB}`);
    const err = await rejection(codecs.byNameOrThrow('zstd'), bomb);
    expect(err.message).toMatch(/declares 1073741824 bytes of content/);
  }, 60_000);

  test('zstd and lz4 blobs just under the limit still decode (the bound is not over-eager)', async () => {
    const data = Buffer.alloc(LIMIT - 1024, 'abc');
    for (const name of ['zstd', 'lz4'] as const) {
      const codec = codecs.byNameOrThrow(name);
      expect((await codec.decompress(await codec.compress(data), LIMIT)).equals(data)).toBe(true);
    }
    // the CLI tools' output with their own defaults too
    expect((await codecs.byNameOrThrow('zstd').decompress(binary('zstd', ['-3', '-c', '-q'], data), LIMIT)).equals(data)).toBe(true);
    expect((await codecs.byNameOrThrow('lz4').decompress(binary('lz4', ['-c', '-q'], data), LIMIT)).equals(data)).toBe(true);
  }, 30_000);
});

test('lz4: a frame whose walked bound passes the limit but whose content fits decodes block by block', async () => {
  const lz4 = codecs.byNameOrThrow('lz4');
  const data = recordsSectionOf(mixedRecords('json', 300 * 1024));
  for (const blockSize of ['-B4', '-B7']) {
    const blob = binary('lz4', ['-c', '-q', blockSize], data); // liblz4, with a content checksum
    // the bound is a block maximum per compressed block: 64 KiB x 5 or 4 MiB, both above 310 KiB
    const out = await lz4.decompress(blob, data.length + 10);
    expect(out.equals(data)).toBe(true);
    expect((await rejection(lz4, blob, data.length - 1)).message).toMatch(/more than the limit/);
  }
  // incompressible data: liblz4 stores blocks uncompressed, which the bound counts exactly
  const random = recordsSectionOf(mixedRecords('random', 200 * 1024));
  expect((await lz4.decompress(binary('lz4', ['-c', '-q', '-B4'], random), random.length)).equals(random)).toBe(true);
});

describe('header-level errors name the problem', () => {
  test('lz4: bad header checksum, linked blocks, bad magic', async () => {
    const lz4 = codecs.byNameOrThrow('lz4');
    const blob = Buffer.from(valid.get('lz4')!);
    const badHc = Buffer.from(blob);
    badHc[6] ^= 0xff;
    expect((await rejection(lz4, badHc)).message).toMatch(/header checksum 0x[0-9a-f]+ does not match/);
    // clear the block-independence bit and re-sign the header: a valid linked-block frame header
    const linked = Buffer.from(blob);
    linked[4] = linked[4]! & ~0x20;
    linked[6] = lz4HeaderChecksum(linked, 4, 6);
    expect((await rejection(lz4, linked)).message).toMatch(/linked \(dependent\) blocks, which Kafka rejects/);
    const badMagic = Buffer.from(blob);
    badMagic[0] = 0;
    expect((await rejection(lz4, badMagic)).message).toMatch(/bad frame magic/);
  });

  test('zstd: bad magic, reserved block type, a dictionary id', async () => {
    const zstd = codecs.byNameOrThrow('zstd');
    const blob = valid.get('zstd')!;
    const badMagic = Buffer.from(blob);
    badMagic[3] = 0;
    expect((await rejection(zstd, badMagic)).message).toMatch(/bad frame magic 0x00/);
    // the first block header follows magic (4), descriptor (1) and window descriptor (1) here
    expect(blob[4]! & 0x23).toBe(0); // no content size, not single segment, no dictionary id
    const reserved = Buffer.from(blob);
    reserved[6] = (reserved[6]! & ~0x06) | 0x06; // block type 3
    expect((await rejection(zstd, reserved)).message).toMatch(/reserved block type 3/);
    const dict = Buffer.concat([blob.subarray(0, 4), Buffer.from([blob[4]! | 0x01, blob[5]!, 7]), blob.subarray(6)]);
    expect((await rejection(zstd, dict)).message).toMatch(/needs dictionary 7/);
  });

  test('snappy: a length prefix larger than the block can hold is refused as corrupt', async () => {
    const snappyCodec = codecs.byNameOrThrow('snappy');
    const lie = Buffer.from([0xff, 0xff, 0x0f, 0x00, 0x41]); // claims 262143 bytes from a 2-byte body
    expect((await rejection(snappyCodec, lie)).message).toMatch(/claims 262143 uncompressed bytes, more than a 5-byte block can hold/);
  });

  test('gzip: not gzip at all', async () => {
    expect((await rejection(codecs.byNameOrThrow('gzip'), Buffer.from('plainly not gzip'))).message).toMatch(/corrupt or truncated gzip stream/);
  });
});
