/**
 * Produce: every partition's batches are validated (produce-validator.ts: the log's own validator
 * with the request's rules) before the log sees them; idempotent producers' sequences are checked
 * by the log as it places the append (a retry is answered with its original's offsets);
 * partitions are appended concurrently (different logs), each append in request order within its
 * log. acks=1 and acks=-1 answer once the log acknowledged the append: on a single node every
 * in-sync replica is the leader, so acks=-1 waits for nothing more, and neither waits for a flush
 * (Kafka's acks=all does not fsync either; durability is the engine's — fsync-per-write,
 * fsync-group, mmap — or flush.messages / flush.ms). acks=0 sends no response, and - as Kafka
 * does - closes the connection when a partition failed, since that is the only signal such a
 * producer can get.
 */
import { validateTopicName } from '../../core/topic.js';
import type { Log } from '../../core/log/log.js';
import type { BrokerContext, RequestHandler } from '../context.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { decodeProduceRequest, encodeProduceResponse, type ProducePartitionResponse, type ProduceTopicResponse } from '../protocol/produce.js';
import { simpleResponse } from '../response.js';
import { RequestDecompressionBudget } from '../decompression-limiter.js';
import { validateProducedRecords } from '../produce-validator.js';
import { ProducerStateRejection, type ProducerStateError } from '../../core/log/producer-state-manager.js';
import { isStorageError, kafkaErrorCode, topicNameError } from './errors.js';

async function producePartition(
  ctx: BrokerContext,
  topic: string,
  index: number,
  records: Buffer | null,
  version: number,
  acks: number,
  budget: RequestDecompressionBudget,
): Promise<ProducePartitionResponse> {
  const result: ProducePartitionResponse = { index, errorCode: ErrorCode.NONE, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: null };
  if (!ctx.session.authorize('Write', 'Topic', topic)) {
    result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    return result;
  }
  const nameError = topicNameError(topic, validateTopicName);
  if (nameError !== ErrorCode.NONE) {
    result.errorCode = nameError;
    result.errorMessage = `invalid topic name "${topic}"`;
    return result;
  }
  let log: Log | undefined;
  try {
    log = await ctx.topics.log(topic, index);
  } catch (err) {
    result.errorCode = kafkaErrorCode(err);
    result.errorMessage = (err as Error).message;
    return result;
  }
  if (!log) {
    result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    result.errorMessage = `${topic}-${index} does not exist`;
    return result;
  }
  const timestamps = { type: log.config.messageTimestampType, beforeMaxMs: log.config.messageTimestampBeforeMaxMs, afterMaxMs: log.config.messageTimestampAfterMaxMs, nowMs: Date.now() };
  const check = await validateProducedRecords(records, { codecs: ctx.codecs, messageMaxBytes: log.config.messageMaxBytes, produceVersion: version, budget, limiter: ctx.decompression, timestamps });
  if (check.errorCode !== ErrorCode.NONE) {
    result.errorCode = check.errorCode;
    result.errorMessage = check.message;
    ctx.logger.warn(`produce to ${topic}-${index} rejected with ${errorName(check.errorCode)}: ${check.message}`);
    return result;
  }
  try {
    // validated above with the log's own validator (each batch once): the log does not walk it again
    const validated = check.validated!;
    const info = await log.appendValidated(validated);
    if (validated.producerBatches.length > 0) ctx.producerExpiration.track(log);
    result.baseOffset = info.firstOffset;
    if (info.duplicate) {
      // a retry: answered with its original's offsets and timestamp, as Kafka's UnifiedLog does
      result.logAppendTimeMs = info.maxTimestamp;
      ctx.logger.info(`produce to ${topic}-${index}: duplicate of the batch at offsets ${info.firstOffset}-${info.lastOffset} (a retry), not written again`);
    } else if (log.config.messageTimestampType === 'LogAppendTime') {
      // the time the log stamped on the batches, as Kafka answers
      result.logAppendTimeMs = info.maxTimestamp;
    }
    result.logStartOffset = log.logStartOffset;
    ctx.waiters.notify(topic, index);
  } catch (err) {
    if (err instanceof ProducerStateRejection) {
      result.errorCode = PRODUCER_STATE_ERRORS[err.error];
      result.errorMessage = err.message;
      ctx.logger.warn(`produce to ${topic}-${index} rejected with ${err.error}: ${err.message}`);
      return result;
    }
    result.errorCode = kafkaErrorCode(err);
    result.errorMessage = (err as Error).message;
    if (isStorageError(err)) {
      result.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      ctx.topics.noteStorageFailure(topic, index, err);
    }
    ctx.logger.error(`append to ${topic}-${index} failed: ${(err as Error).message}`);
  }
  return result;
}

const PRODUCER_STATE_ERRORS: Record<ProducerStateError, number> = {
  OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  INVALID_TXN_STATE: ErrorCode.INVALID_TXN_STATE,
  TRANSACTION_COORDINATOR_FENCED: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
};

export const handleProduce: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeProduceRequest(r, version);
  r.expectEnd('Produce');
  const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const budget = new RequestDecompressionBudget();
  const topics: ProduceTopicResponse[] = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map((p) =>
          acksValid
            ? producePartition(ctx, t.name, p.index, p.records, version, req.acks, budget)
            : Promise.resolve({
                index: p.index,
                errorCode: ErrorCode.INVALID_REQUIRED_ACKS,
                baseOffset: -1,
                logAppendTimeMs: -1,
                logStartOffset: -1,
                errorMessage: `acks must be 0, 1 or -1, got ${req.acks}`,
              }),
        ),
      ),
    })),
  );
  if (req.acks === 0) {
    const failed = topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name}-${p.index}: ${errorName(p.errorCode)}`));
    if (failed.length > 0) throw new ProtocolError(`acks=0 produce failed (${failed.join(', ')}); closing the connection so the producer notices`);
    return null;
  }
  return simpleResponse(ApiKey.Produce, version, header.correlationId, (w) => encodeProduceResponse(w, version, { topics, throttleTimeMs: 0 }));
};
