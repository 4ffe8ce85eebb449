/**
 * DeleteRecords (Kafka's ReplicaManager.deleteRecords / Partition.deleteRecordsOnLeader): each
 * partition's log start offset moves up to the offset given (-1: the high watermark, which on one
 * node is the log end) and the answer is the new low watermark, the log start offset. An offset
 * past the high watermark or below -1 is OFFSET_OUT_OF_RANGE; a compacted topic POLICY_VIOLATION;
 * an unknown partition UNKNOWN_TOPIC_OR_PARTITION. Under ACLs every partition of a topic the
 * principal may not Delete is TOPIC_AUTHORIZATION_FAILED, whether or not it exists (Kafka's order).
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeDeleteRecordsRequest, encodeDeleteRecordsResponse, HIGH_WATERMARK_OFFSET, type DeleteRecordsPartitionResult } from '../protocol/delete-records.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { answerPartitions } from './partition-answers.js';

export const handleDeleteRecords: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeDeleteRecordsRequest(r, version);
  r.expectEnd('DeleteRecords');
  const topics = await answerPartitions(
    req.topics,
    (p): DeleteRecordsPartitionResult => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.NONE }),
    async (topic, p, out) => {
      // Kafka checks Delete on the topic before it looks the partition up
      if (!ctx.session.authorize('Delete', 'Topic', topic)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        return;
      }
      const log = await ctx.topics.log(topic, p.partitionIndex);
      if (!log) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (log.config.cleanupPolicy !== 'delete') out.errorCode = ErrorCode.POLICY_VIOLATION;
      else if (p.offset < HIGH_WATERMARK_OFFSET) out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      else {
        out.lowWatermark = await log.deleteRecordsBefore(p.offset === HIGH_WATERMARK_OFFSET ? log.logEndOffset : p.offset);
        ctx.logger.info(`${topic}-${p.partitionIndex}: records before ${out.lowWatermark} deleted`);
      }
    },
  );
  return simpleResponse(ApiKey.DeleteRecords, version, header.correlationId, (w) => encodeDeleteRecordsResponse(w, version, { throttleTimeMs: 0, topics }));
};
