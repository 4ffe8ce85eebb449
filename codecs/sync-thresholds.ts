/**
 * Largest input (compress) or expected output (decompress), in bytes, that a codec processes on the
 * calling thread; anything larger goes to libuv's threadpool so the event loop keeps running.
 * Chosen from harness/bench/codec-sync-async.bench.ts; the measurements and reasoning are in
 * docs/codecs.md. zstd has no entry: its binding is async only.
 */
export const SYNC_BYTES_MAX = Object.freeze({
  gzip: 16 * 1024,
  snappy: 64 * 1024,
  lz4: 64 * 1024,
});
