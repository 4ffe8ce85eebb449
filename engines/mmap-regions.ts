/**
 * A segment file mapped as fixed-size regions (MAP_SHARED, read-write), mapped lazily on first
 * touch. Regions are never remapped: each is `regionBytes` long from the start, even where the file
 * is still shorter, because mapping past the end of a file is harmless. Only TOUCHING a page that
 * lies wholly past the end raises SIGBUS, and the owner (MmapSegmentFile) keeps every byte it
 * copies in or out below the file's size. That is why growth never needs a remap: the file is
 * extended (fallocate) and the existing mapping already covers the new bytes.
 */
import { assert, assertionFailed } from '../core/errors.js';
import type { NativeAddon } from '../native/index.js';
import type { IoStats } from './io-stats.js';

interface Region {
  readonly mapping: ArrayBuffer;
  /** A Buffer view over the whole mapping, for memcpy in and out. */
  readonly view: Buffer;
}

/** Most regions one file may map (bounds the address space: 4096 x 1 GiB). */
const REGIONS_MAX = 4096;

export class MappedRegions {
  private readonly regions: (Region | undefined)[] = [];
  private unmapped = false;

  constructor(
    private readonly native: NativeAddon,
    private readonly fd: number,
    readonly regionBytes: number,
    /** Counts each msync call (the segment file's stats). */
    private readonly stats?: IoStats,
  ) {
    assert(regionBytes > 0 && regionBytes % native.pageSize() === 0, `region size ${regionBytes} must be a positive multiple of the page size`);
  }

  private region(index: number): Region {
    assert(!this.unmapped, 'mapping used after unmapAll');
    let region = this.regions[index];
    if (!region) {
      if (index >= REGIONS_MAX) assertionFailed(`file position beyond ${REGIONS_MAX} regions of ${this.regionBytes} bytes`);
      const mapping = this.native.mmap(this.fd, index * this.regionBytes, this.regionBytes, true);
      region = { mapping, view: Buffer.from(mapping) };
      this.regions[index] = region;
    }
    return region;
  }

  /** Copies `src` into the file at `position`. The caller guarantees position + src.length <= file size. */
  write(position: number, src: Buffer): void {
    let done = 0;
    while (done < src.length) {
      const at = position + done;
      const index = Math.floor(at / this.regionBytes);
      const inRegion = at - index * this.regionBytes;
      const n = Math.min(src.length - done, this.regionBytes - inRegion);
      src.copy(this.region(index).view, inRegion, done, done + n);
      done += n;
    }
  }

  /** Copies `length` bytes at `position` into `dst` at `dstOffset`. Same guarantee as write(). */
  readInto(position: number, dst: Buffer, dstOffset: number, length: number): void {
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / this.regionBytes);
      const inRegion = at - index * this.regionBytes;
      const n = Math.min(length - done, this.regionBytes - inRegion);
      this.region(index).view.copy(dst, dstOffset + done, inRegion, inRegion + n);
      done += n;
    }
  }

  /** msync(MS_SYNC), on the thread pool, of [start, end) where it is mapped (unmapped regions hold no dirty pages of ours). */
  async sync(start: number, end: number): Promise<void> {
    const pending: Promise<void>[] = [];
    for (let at = start; at < end; ) {
      const index = Math.floor(at / this.regionBytes);
      const regionStart = index * this.regionBytes;
      const stop = Math.min(end, regionStart + this.regionBytes);
      const region = this.regions[index];
      if (region) {
        // counted when it returns, like fdatasync (fs-io.ts)
        const count = () => this.stats?.countSync();
        pending.push(this.native.msyncAsync(region.mapping, at - regionStart, stop - at).finally(count));
      }
      at = stop;
    }
    await Promise.all(pending);
  }

  /** Bytes of [start, end) resident in the page cache, over the mapped regions only. */
  residentBytes(start: number, end: number): number {
    let resident = 0;
    for (let at = start; at < end; ) {
      const index = Math.floor(at / this.regionBytes);
      const regionStart = index * this.regionBytes;
      const stop = Math.min(end, regionStart + this.regionBytes);
      const region = this.regions[index];
      if (region) resident += this.native.mincore(region.mapping, at - regionStart, stop - at);
      at = stop;
    }
    return resident;
  }

  /** Unmaps every region; their ArrayBuffers are detached. Idempotent. */
  unmapAll(): void {
    if (this.unmapped) return;
    this.unmapped = true;
    for (const region of this.regions) if (region) this.native.munmap(region.mapping);
    this.regions.length = 0;
  }
}
