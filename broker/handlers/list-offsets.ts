/**
 * ListOffsets: earliest (-2), latest (-1), the record with the newest timestamp (-3, v7+), the
 * earliest local offset (-4, v8+: the log start, as strata keeps every record locally) or the
 * first offset whose record timestamp is at or after a given time (the log's time index). A
 * special timestamp the request's version does not allow is UNSUPPORTED_VERSION, as in Kafka. v0
 * answers in the old array form.
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type ListOffsetsPartitionResponse,
} from '../protocol/list-offsets.js';
import { simpleResponse } from '../response.js';
import { answerPartitions } from './partition-answers.js';

export const handleListOffsets: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeListOffsetsRequest(r, version);
  r.expectEnd('ListOffsets');
  const topics = await answerPartitions(
    req.topics,
    (p): ListOffsetsPartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: 0 }),
    async (topic, p, out) => {
      if (!ctx.session.authorize('Describe', 'Topic', topic)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        return;
      }
      const log = await ctx.topics.log(topic, p.partitionIndex);
      if (!log) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        return;
      }
      if (p.timestamp === EARLIEST_TIMESTAMP) out.offset = log.logStartOffset;
      else if (p.timestamp === LATEST_TIMESTAMP) out.offset = log.logEndOffset;
      else if ((p.timestamp === MAX_TIMESTAMP && version < 7) || (p.timestamp === EARLIEST_LOCAL_TIMESTAMP && version < 8)) {
        out.errorCode = ErrorCode.UNSUPPORTED_VERSION;
        return;
      } else if (p.timestamp === MAX_TIMESTAMP) {
        const found = await log.maxTimestampAndOffset();
        if (found) {
          out.offset = found.offset;
          out.timestamp = found.timestamp;
        }
      } else if (p.timestamp === EARLIEST_LOCAL_TIMESTAMP) out.offset = log.logStartOffset;
      else if (p.timestamp < 0) {
        out.errorCode = ErrorCode.INVALID_REQUEST;
        return;
      } else {
        const found = await log.offsetForTimestamp(p.timestamp);
        if (found) {
          out.offset = found.offset;
          out.timestamp = found.timestamp;
        }
      }
      if (version === 0) {
        // v0: up to maxNumOffsets offsets, newest first; strata gives the one it found
        out.oldStyleOffsets = out.offset >= 0 && p.maxNumOffsets > 0 ? [out.offset] : [];
      }
    },
  );
  return simpleResponse(ApiKey.ListOffsets, version, header.correlationId, (w) => encodeListOffsetsResponse(w, version, { throttleTimeMs: 0, topics }));
};
