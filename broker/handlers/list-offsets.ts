/**
 * ListOffsets: earliest (-2), latest (-1) or the first offset whose record timestamp is at or after
 * a given time (the log's time index). v0 answers in the old array form.
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type ListOffsetsPartitionResponse } from '../protocol/list-offsets.js';
import { simpleResponse } from '../response.js';
import { kafkaErrorCode } from './errors.js';

export const handleListOffsets: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeListOffsetsRequest(r, version);
  r.expectEnd('ListOffsets');
  const topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[] = [];
  for (const t of req.topics) {
    const partitions: ListOffsetsPartitionResponse[] = [];
    for (const p of t.partitions) {
      const out: ListOffsetsPartitionResponse = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: 0 };
      partitions.push(out);
      if (!ctx.session.authorize('Describe', 'Topic', t.name)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        continue;
      }
      try {
        const log = await ctx.topics.log(t.name, p.partitionIndex);
        if (!log) {
          out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        if (p.timestamp === EARLIEST_TIMESTAMP) out.offset = log.logStartOffset;
        else if (p.timestamp === LATEST_TIMESTAMP) out.offset = log.logEndOffset;
        else if (p.timestamp < 0) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          continue;
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
      } catch (err) {
        out.errorCode = kafkaErrorCode(err);
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return simpleResponse(ApiKey.ListOffsets, version, header.correlationId, (w) => encodeListOffsetsResponse(w, version, { throttleTimeMs: 0, topics }));
};
