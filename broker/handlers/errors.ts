/**
 * Maps strata errors to Kafka error codes for per-partition results. An I/O error from the file
 * system (ENOSPC, EIO, EROFS...), bare or as the cause of another error, is KAFKA_STORAGE_ERROR, as
 * Kafka answers for an IOException in a log directory: retriable, unlike UNKNOWN_SERVER_ERROR.
 */
import { StrataError } from '../../core/errors.js';
import { ErrorCode } from '../protocol/errors.js';

/** errno codes of a storage failure (not of a bad request). */
const STORAGE_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG', 'EMFILE', 'ENFILE', 'ENOMEM', 'EBADF', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM']);

/** True when `err` or one of its causes is a file system error. */
export function isStorageError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StrataError && (e.code === 'STORAGE_ERROR' || e.code === 'LOG_FAILED')) return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return true;
  }
  return false;
}

export function kafkaErrorCode(err: unknown): number {
  if (!(err instanceof StrataError)) return isStorageError(err) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (err.code) {
    case 'CORRUPT_RECORD':
      return ErrorCode.CORRUPT_MESSAGE;
    case 'RECORD_TOO_LARGE':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'RECORD_BATCH_TOO_LARGE':
      return ErrorCode.RECORD_LIST_TOO_LARGE; // Kafka's RecordBatchTooLargeException
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
