/**
 * Fetch: for each partition, whole batches from the one holding fetchOffset (Log.read gives file
 * slices), at most partitionMaxBytes per partition and maxBytes (capped by fetch.max.bytes) in all,
 * at least one batch for the first partition with data (KIP-74). When fewer than minBytes are
 * available the request parks until a produce to one of its partitions or max.wait.ms. An offset
 * outside [logStartOffset, logEndOffset] is OFFSET_OUT_OF_RANGE for that partition.
 *
 * The response goes out as parts: protocol fields written with socket.write, record bytes sent by
 * the Transfer straight from the segment files.
 */
import { StrataError } from '../../core/errors.js';
import type { BrokerContext, RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeFetchRequest, encodeFetchResponse, type FetchPartitionResponse, type FetchRequest } from '../protocol/fetch.js';
import { finishResponse, startResponse } from '../response.js';
import { kafkaErrorCode } from './errors.js';

/** Kafka caps replica.fetch.wait.max.ms / fetch.max.wait.ms at what the request timeout allows; so does strata. */
const MAX_WAIT_MS_MAX = 30_000;
const EMPTY_RECORDS = Buffer.alloc(0);

interface ReadResult {
  topics: { topic: string; partitions: FetchPartitionResponse[] }[];
  bytes: number;
  anyError: boolean;
}

async function readAll(ctx: BrokerContext, req: FetchRequest): Promise<ReadResult> {
  let remaining = Math.min(req.maxBytes > 0 ? req.maxBytes : ctx.config.fetchMaxBytes, ctx.config.fetchMaxBytes);
  let bytes = 0;
  let anyError = false;
  const topics: ReadResult['topics'] = [];
  for (const t of req.topics) {
    const partitions: FetchPartitionResponse[] = [];
    for (const p of t.partitions) {
      const out: FetchPartitionResponse = {
        partitionIndex: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        preferredReadReplica: -1,
        records: null,
      };
      partitions.push(out);
      if (!ctx.session.authorize('Read', 'Topic', t.topic)) {
        out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        out.records = EMPTY_RECORDS; // as Kafka (MemoryRecords.EMPTY): librdkafka cannot parse a null record set here
        anyError = true;
        continue;
      }
      let log;
      try {
        log = await ctx.topics.log(t.topic, p.partition);
      } catch (err) {
        out.errorCode = kafkaErrorCode(err);
        anyError = true;
        continue;
      }
      if (!log) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        anyError = true;
        continue;
      }
      out.highWatermark = log.logEndOffset;
      out.lastStableOffset = log.logEndOffset;
      out.logStartOffset = log.logStartOffset;
      if (p.partitionMaxBytes < 0) {
        out.errorCode = ErrorCode.INVALID_FETCH_SIZE;
        anyError = true;
        continue;
      }
      try {
        // KIP-74: the first partition with data returns at least one whole batch even past the limits
        const info = await log.read(p.fetchOffset, Math.min(p.partitionMaxBytes, Math.max(remaining, 0)), { minOneBatch: bytes === 0 });
        out.highWatermark = info.logEndOffset;
        out.lastStableOffset = info.logEndOffset;
        out.logStartOffset = info.logStartOffset;
        out.records = { slices: info.slices, sizeBytes: info.bytes };
        bytes += info.bytes;
        remaining -= info.bytes;
      } catch (err) {
        out.errorCode = err instanceof StrataError && err.code === 'OFFSET_OUT_OF_RANGE' ? ErrorCode.OFFSET_OUT_OF_RANGE : kafkaErrorCode(err);
        if (out.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) ctx.logger.error(`fetch from ${t.topic}-${p.partition} failed: ${(err as Error).message}`);
        anyError = true;
      }
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { topics, bytes, anyError };
}

export const handleFetch: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeFetchRequest(r, version);
  r.expectEnd('Fetch');
  let result = await readAll(ctx, req);
  const deadline = Date.now() + Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_MS_MAX);
  // Kafka answers at once when min.bytes is met, any partition has an error, or time is up
  while (result.bytes < Math.max(req.minBytes, 1) && !result.anyError && !ctx.isShuttingDown()) {
    const waitMs = deadline - Date.now();
    if (waitMs <= 0) break;
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition })));
    await ctx.waiters.wait(partitions, waitMs);
    result = await readAll(ctx, req);
  }
  const w = startResponse(ApiKey.Fetch, version, header.correlationId);
  const parts = encodeFetchResponse(w, version, { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, topics: result.topics });
  return finishResponse(parts);
};
