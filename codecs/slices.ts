/**
 * Decompression in bounded slices. A records section can decompress to tens of MiB; decoded in one
 * synchronous call that is tens of milliseconds during which no other connection is served (issue
 * 13: one gzip produce stalled every other client for a second). So the codecs that decode on the
 * calling thread (snappy, lz4) work block by block and hand the event loop back after every
 * DECODE_SLICE_BYTES of output; gzip and zstd decode in libuv's threadpool.
 *
 * Why not the libraries' async calls for snappy and lz4: their output buffers are never freed
 * (snappy 7.4.3 `uncompress`, lz4-napi 2.10.0 `decompressFrame`/`decompressFrameSync`/`uncompress`:
 * RSS grew by the full output on every call, 18 MiB x 100 calls = 1.8 GB, and stayed after gc;
 * measured in test/codecs/native-leaks.test.ts). `snappy.uncompressSync` and lz4-napi's block
 * `uncompressSync` free theirs, so those are the only two library calls used to decode (with the
 * addon, lz4 blocks are decoded by the system's liblz4 into the caller's buffer instead: lz4.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Output decoded on the calling thread between two turns of the event loop (~1 ms of work here). */
export const DECODE_SLICE_BYTES = 1024 * 1024;

/** Counts output and yields to the event loop once a slice is used up. */
export class SliceClock {
  private sinceYieldBytes = 0;

  async spent(bytes: number): Promise<void> {
    this.sinceYieldBytes += bytes;
    if (this.sinceYieldBytes < DECODE_SLICE_BYTES) return;
    this.sinceYieldBytes = 0;
    await nextTurn();
  }
}
