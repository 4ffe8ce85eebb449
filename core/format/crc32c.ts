/**
 * CRC-32C (Castagnoli), the checksum of RecordBatch v2. The addon's three-stream crc32-instruction
 * loop (native/src/crc32c.cc) where it is built and the CPU has SSE4.2, else @node-rs/crc32's
 * one-stream loop: the log checks every produced batch's CRC in series with its append, and one
 * instruction chain is bound by its latency, not by the CPU's throughput.
 */
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { loadNative } from '../../native/index.js';

type Crc32cFn = (data: Buffer, previous?: number) => number;

let chosen: Crc32cFn | undefined;

function choose(): Crc32cFn {
  const native = loadNative()?.crc32c;
  return native ?? crc32cPortable;
}

/** CRC-32C of `data`; with `previous` (the CRC of the bytes before it), the CRC of both together. */
export function crc32c(data: Buffer, previous?: number): number {
  chosen ??= choose();
  return chosen(data, previous);
}

/** The portable implementation, whatever the addon offers (tests compare the two). */
export function crc32cPortable(data: Buffer, previous?: number): number {
  return (previous === undefined ? nodeRsCrc32c(data) : nodeRsCrc32c(data, previous)) >>> 0;
}
