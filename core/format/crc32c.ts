/** CRC-32C (Castagnoli), the checksum of RecordBatch v2, from @node-rs/crc32 (SSE4.2, ~6 GB/s). */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Buffer): number {
  return nativeCrc32c(data) >>> 0;
}
