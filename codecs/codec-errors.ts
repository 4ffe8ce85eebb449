/**
 * Errors the codecs raise. Every decompression failure is a StrataError CORRUPT_RECORD whose message
 * names the codec and what is wrong; decodeBatch prefixes it with the batch's offset.
 */
import { StrataError } from '../core/errors.js';

export function corruptBlob(codec: string, message: string, cause?: unknown): StrataError {
  return new StrataError('CORRUPT_RECORD', `${codec}: ${message}`, cause === undefined ? undefined : { cause });
}

export function outputTooLarge(codec: string, bytes: number | string, outputBytesMax: number): StrataError {
  return new StrataError(
    'CORRUPT_RECORD',
    `${codec}: decompressed records would be ${bytes} bytes, more than the limit of ${outputBytesMax} (a decompression bomb or a corrupt length)`,
  );
}

/** Checks the limit argument itself: a negative or fractional bound is a caller bug. */
export function checkOutputBytesMax(codec: string, outputBytesMax: number): void {
  if (!Number.isSafeInteger(outputBytesMax) || outputBytesMax < 0) {
    throw new StrataError('INVALID_ARGUMENT', `${codec}: outputBytesMax must be a non-negative integer, got ${outputBytesMax}`);
  }
}

/** The library's own message, for wrapping native errors (which are often terse). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
