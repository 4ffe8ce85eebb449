/**
 * A Produce request's partition records through the log's own validator (core/log/log-validator.ts,
 * Kafka's LogValidator) with what the broker adds: the Produce rules of the request's version, the
 * topic's timestamp bounds and the broker's clock, the request's decompression budget (its
 * partitions validated one after another) and the process-wide limiter (decompression-limiter.ts).
 * A refusal becomes the Kafka error code and message of the partition's answer.
 */
import type { CodecRegistry } from '../core/codec.js';
import { RecordValidationError, validateRecords, type RecordValidationFailure, type TimestampBounds, type ValidatedRecords } from '../core/log/log-validator.js';
import { DecompressionLimiter, RequestDecompressionBudget } from './decompression-limiter.js';
import { ErrorCode } from './protocol/errors.js';

export type { TimestampBounds } from '../core/log/log-validator.js';

export interface ProduceValidation {
  errorCode: number;
  /** What is wrong, for the log line and the v8+ ErrorMessage field. */
  message: string | null;
  /** On success: the batches, validated once here, for Log.appendValidated. */
  validated?: ValidatedRecords;
}

export interface ProduceValidationOptions {
  codecs: CodecRegistry;
  messageMaxBytes: number;
  produceVersion: number;
  /** This request's decompression budget, shared by its partitions (default: a fresh one). */
  budget?: RequestDecompressionBudget;
  /** The process-wide bound on decompressed bytes held at once (default: one of its own). */
  limiter?: DecompressionLimiter;
  /** The topic's message.timestamp.* configs and the broker's clock; absent: timestamps are not checked. */
  timestamps?: TimestampBounds;
}

const ERROR_CODES: Record<RecordValidationFailure, number> = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  INVALID_TIMESTAMP: ErrorCode.INVALID_TIMESTAMP,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
};

/**
 * Validates one partition's records. Partitions of one request sharing a budget are validated one
 * after another (in call order), whatever their callers' concurrency.
 */
export function validateProducedRecords(records: Buffer | null, opts: ProduceValidationOptions): Promise<ProduceValidation> {
  const budget = opts.budget ?? new RequestDecompressionBudget();
  return budget.serially(() => validate(records, budget, opts));
}

async function validate(records: Buffer | null, budget: RequestDecompressionBudget, opts: ProduceValidationOptions): Promise<ProduceValidation> {
  if (records === null || records.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: 'the partition data holds no record batch' };
  try {
    const validated = await validateRecords(records, {
      codecs: opts.codecs,
      messageMaxBytes: opts.messageMaxBytes,
      source: "the partition's records",
      produceVersion: opts.produceVersion,
      timestamps: opts.timestamps,
      budget,
      gate: opts.limiter ?? new DecompressionLimiter(),
    });
    return { errorCode: ErrorCode.NONE, message: null, validated };
  } catch (err) {
    if (!(err instanceof RecordValidationError)) throw err;
    return { errorCode: ERROR_CODES[err.reason], message: err.message };
  }
}
