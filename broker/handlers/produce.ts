/**
 * Produce: every partition's batches are validated (produce-validator.ts) before the log sees them;
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
import type { ValidatedBatches } from '../../core/format/batch-cursor.js';
import type { BrokerContext, RequestHandler } from '../context.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { decodeProduceRequest, encodeProduceResponse, type ProducePartitionResponse, type ProduceTopicResponse } from '../protocol/produce.js';
import { simpleResponse } from '../response.js';
import { RequestDecompressionBudget } from '../decompression-limiter.js';
import { validateProducedRecords } from '../produce-validator.js';
import type { ProducerBatch } from '../../core/log/producer-state-entry.js';
import { ProducerStateManager, type ProducerStateError } from '../../core/log/producer-state-manager.js';
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
    const producerBatches = ProducerStateManager.producerBatches(records!);
    if (producerBatches.length > 0) {
      if (!(await appendIdempotent(ctx, log, `${topic}-${index}`, check.validated!, producerBatches, result))) return result;
    } else {
      // validated above (each CRC once): the log does not check the batches again
      const info = await log.appendValidated(check.validated!);
      result.baseOffset = info.firstOffset;
      // LogAppendTime: the time the log stamped on the batches, as Kafka answers
      if (log.config.messageTimestampType === 'LogAppendTime') result.logAppendTimeMs = info.maxTimestamp;
    }
    result.logStartOffset = log.logStartOffset;
    ctx.waiters.notify(topic, index);
  } catch (err) {
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
};

/**
 * An append with producer ids goes through the partition's producer state: a retry is answered
 * with the offsets its original got (and the original's timestamp as logAppendTime, as Kafka's
 * UnifiedLog does for a duplicate), a bad epoch or sequence with its error. False when refused.
 */
async function appendIdempotent(ctx: BrokerContext, log: Log, name: string, records: ValidatedBatches, batches: ProducerBatch[], result: ProducePartitionResponse): Promise<boolean> {
  const state = await ctx.producerStates.forLog(log, name);
  const outcome = await state.append(records, batches);
  switch (outcome.kind) {
    case 'appended':
      result.baseOffset = outcome.firstOffset;
      if (log.config.messageTimestampType === 'LogAppendTime') result.logAppendTimeMs = outcome.maxTimestamp;
      return true;
    case 'duplicate':
      result.baseOffset = outcome.firstOffset;
      result.logAppendTimeMs = outcome.timestamp;
      ctx.logger.info(`produce to ${name}: duplicate of the batch at offsets ${outcome.firstOffset}-${outcome.lastOffset} (a retry), not written again`);
      return true;
    case 'rejected':
      result.errorCode = PRODUCER_STATE_ERRORS[outcome.error];
      result.errorMessage = outcome.message;
      ctx.logger.warn(`produce to ${name} rejected with ${outcome.error}: ${outcome.message}`);
      return false;
  }
}

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
