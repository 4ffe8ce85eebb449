/**
 * Errors the codecs raise. Every decompression failure is a StrataError CORRUPT_RECORD whose message
 * names the codec and what is wrong; decodeBatch prefixes it with the batch's offset.
 */
import { StrataError } from '../core/errors.js';

export function corruptBlob(codec: string, message: string, cause?: unknown): StrataError {
  return new StrataError('CORRUPT_RECORD', `${codec}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Output past the limit. Still CORRUPT_RECORD (a reader cannot tell a bomb from a corrupt length),
 * but marked, so the broker can answer MESSAGE_TOO_LARGE, as Kafka does for a batch too large.
 */
export function outputTooLarge(codec: string, bytes: number | string, outputBytesMax: number): StrataError {
  return markTooLarge(
    new StrataError('CORRUPT_RECORD', `${codec}: decompressed records would be ${bytes} bytes, more than the limit of ${outputBytesMax} (a decompression bomb or a corrupt length)`),
  );
}

/** A frame header that declares more content than the limit (lz4, zstd). */
export function declaredTooLarge(codec: string, message: string): StrataError {
  return markTooLarge(corruptBlob(codec, message));
}

const TOO_LARGE = Symbol('decompressed output too large');

function markTooLarge(err: StrataError): StrataError {
  (err as StrataError & { [TOO_LARGE]?: true })[TOO_LARGE] = true;
  return err;
}

/** True for errors from outputTooLarge / declaredTooLarge. */
export function isOutputTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [TOO_LARGE]?: true })[TOO_LARGE] === true;
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
