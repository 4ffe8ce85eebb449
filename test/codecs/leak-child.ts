/**
 * Child process of native-leaks.test.ts: decodes one blob `count` times through a built-in codec and
 * prints the RSS before and after (after gc and a few event-loop turns, so only memory that is never
 * freed remains). Run with --expose-gc. Args: codec, decompressed bytes, count.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CodecRegistry } from '../../core/codec.js';
import { builtinCodecs } from '../../codecs/index.js';

const [name, bytesArg, countArg] = process.argv.slice(2);
const codec = new CodecRegistry(builtinCodecs).byNameOrThrow(name!);
const bytes = Number(bytesArg);
const count = Number(countArg);
const data = Buffer.alloc(bytes);
for (let i = 0; i < bytes; i += 64) data.write(`record ${i} `, i); // compressible, not trivially
const blob = await codec.compress(data);
const gc = (globalThis as { gc?: () => void }).gc!;

async function settledRssBytes(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().rss;
}

for (let i = 0; i < 3; i++) await codec.decompress(blob, bytes); // warm up allocators and code
const before = await settledRssBytes();
for (let i = 0; i < count; i++) {
  const out = await codec.decompress(blob, bytes);
  if (out.length !== bytes) throw new Error(`decoded ${out.length} bytes, expected ${bytes}`);
}
const after = await settledRssBytes();
process.stdout.write(JSON.stringify({ codec: name, blobBytes: blob.length, bytes, count, rssBeforeBytes: before, rssAfterBytes: after }) + '\n');
