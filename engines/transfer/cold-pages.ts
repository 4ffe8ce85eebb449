/**
 * Cold pages read in the thread pool before sendfile sends them.
 *
 * sendfile(2) copies from the page cache inside the kernel; a page that is not there is read from
 * the disk first, and the call waits for it, O_NONBLOCK socket or not. strata sends on its one event
 * loop, so a consumer reading old data would make every connection wait for its disk reads (what
 * KAFKA-7504 describes for Kafka's network threads, measured here by the lagging-consumer workload).
 * Before each sendfile call the range is checked with mincore(2); what is not all resident is read
 * first by a pread in libuv's thread pool, which leaves the pages cached, and sendfile then copies
 * from memory. A page evicted again in between only costs that sendfile a short wait, as before.
 */
import fs from 'node:fs';
import type { NativeAddon } from '../../native/index.js';

/** The bytes one check covers, and the most one sendfile call is asked for. */
export const COLD_CHECK_WINDOW_BYTES = 4 << 20;

export interface ColdPageStats {
  /** Ranges found not all resident and read in the thread pool first. */
  poolReads: number;
  poolReadBytes: number;
}

export class ColdPageWarmer {
  readonly stats: ColdPageStats = { poolReads: 0, poolReadBytes: 0 };
  /**
   * Where the pool reads land; their bytes are never looked at (only the page cache they fill
   * matters), so concurrent reads of several connections may share it.
   */
  private scratch: Buffer | undefined;

  constructor(private readonly native: Pick<NativeAddon, 'mincore'>) {}

  /** Resolves once [position, position + length) is in the page cache, as far as mincore can tell. */
  async ensureCached(fd: number, position: number, length: number): Promise<void> {
    if (length <= 0 || length > COLD_CHECK_WINDOW_BYTES) throw new RangeError(`cold page check of ${length} bytes: 1 to ${COLD_CHECK_WINDOW_BYTES} at a time`);
    if (this.resident(fd, position, length)) return;
    this.scratch ??= Buffer.allocUnsafe(COLD_CHECK_WINDOW_BYTES);
    const scratch = this.scratch;
    await new Promise<void>((resolve, reject) => {
      // a short read (the file ends sooner) is sendfile's to report, with the slice's name
      fs.read(fd, scratch, 0, length, position, (err) => (err ? reject(err) : resolve()));
    });
    this.stats.poolReads++;
    this.stats.poolReadBytes += length;
  }

  private resident(fd: number, position: number, length: number): boolean {
    try {
      return this.native.mincore(fd, position, length) >= length;
    } catch {
      // no mincore for this file (not a regular file, an old kernel): send as before
      return true;
    }
  }
}
