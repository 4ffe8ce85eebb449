/** CRC-32C (Castagnoli), the checksum of RecordBatch v2, from @node-rs/crc32 (SSE4.2, ~6 GB/s). */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `data`; with `previous` (the CRC of the bytes before it), the CRC of both together. */
export function crc32c(data: Buffer, previous?: number): number {
  return (previous === undefined ? nativeCrc32c(data) : nativeCrc32c(data, previous)) >>> 0;
}
