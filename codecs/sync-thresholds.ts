/**
 * Largest input (compress) or expected output (decompress), in bytes, that a codec processes on the
 * calling thread; anything larger goes to libuv's threadpool so the event loop keeps running.
 * Chosen with harness/micro/codec-sync-async.bench.ts; the measurements and the rule are in
 * docs/codecs.md. zstd has no entry: its binding (@mongodb-js/zstd 1.2.2) is async only.
 */
export interface SyncBytesMax {
  compress: number;
  decompress: number;
}

export const SYNC_BYTES_MAX: Readonly<Record<'gzip' | 'snappy' | 'lz4', Readonly<SyncBytesMax>>> = Object.freeze({
  gzip: Object.freeze({ compress: 4 * 1024, decompress: 4 * 1024 }),
  snappy: Object.freeze({ compress: 16 * 1024, decompress: 64 * 1024 }),
  lz4: Object.freeze({ compress: 16 * 1024, decompress: 16 * 1024 }),
});
