/** Maps strata errors to Kafka error codes for per-partition results. */
import { StrataError } from '../../core/errors.js';
import { ErrorCode } from '../protocol/errors.js';

export function kafkaErrorCode(err: unknown): number {
  if (!(err instanceof StrataError)) return ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (err.code) {
    case 'CORRUPT_RECORD':
      return ErrorCode.CORRUPT_MESSAGE;
    case 'RECORD_TOO_LARGE':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'INVALID_TOPIC':
      return ErrorCode.INVALID_TOPIC_EXCEPTION;
    case 'INVALID_CONFIG':
      return ErrorCode.INVALID_CONFIG;
    case 'OFFSET_OUT_OF_RANGE':
      return ErrorCode.OFFSET_OUT_OF_RANGE;
    case 'STORAGE_ERROR':
    case 'LOG_FAILED':
      return ErrorCode.KAFKA_STORAGE_ERROR;
    case 'LOG_CLOSED':
      return ErrorCode.LEADER_NOT_AVAILABLE; // shutting down: retriable, the client tries again
    case 'INVALID_ARGUMENT':
      return ErrorCode.INVALID_REQUEST;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export function topicNameError(name: string, validate: (n: string) => void): number {
  try {
    validate(name);
    return ErrorCode.NONE;
  } catch {
    return ErrorCode.INVALID_TOPIC_EXCEPTION;
  }
}
