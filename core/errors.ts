/**
 * Errors that name what is wrong. Each carries a stable `code` so callers (the CLI, the broker's
 * Kafka error mapping, tests) can branch on the kind without parsing messages.
 */
export type StrataErrorCode =
  | 'CORRUPT_RECORD'
  | 'RECORD_TOO_LARGE'
  | 'RECORD_BATCH_TOO_LARGE'
  | 'INVALID_TOPIC'
  | 'INVALID_CONFIG'
  | 'OFFSET_OUT_OF_RANGE'
  | 'UNKNOWN_ENGINE'
  | 'UNKNOWN_CODEC'
  | 'UNKNOWN_TRANSFER'
  | 'UNKNOWN_CACHE'
  | 'ENGINE_UNAVAILABLE'
  | 'LOG_CLOSED'
  | 'LOG_FAILED'
  | 'STORAGE_ERROR'
  | 'CORRUPT_CHECKPOINT'
  | 'INVALID_ARGUMENT';

export class StrataError extends Error {
  constructor(
    readonly code: StrataErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StrataError';
  }
}

/** A batch that fails validation: bad magic, CRC mismatch, length past end, record overruns batch. */
export class CorruptRecordError extends StrataError {
  constructor(
    message: string,
    /** Byte position of the offending batch in the file or buffer it was read from, when known. */
    readonly position?: number,
  ) {
    super('CORRUPT_RECORD', message);
    this.name = 'CorruptRecordError';
  }
}

/**
 * Checks a condition that holds unless the code is wrong (or a file changed under it). Pass the
 * message as a function when it names values: it is then built only on failure (see
 * assertionFailed for why that matters on a hot path).
 */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) assertionFailed(typeof message === 'string' ? message : message());
}

/**
 * For assertions on a hot path whose message names values: `if (!ok) assertionFailed(\`…${x}\`)`
 * builds the message only when it fails. assert(ok, \`…${x}\`) would build (and later collect) the
 * string on every call, which once made index entries the largest garbage source of an append.
 */
export function assertionFailed(message: string): never {
  throw new Error(`assertion failed: ${message}`);
}
