/**
 * InitProducerId for idempotent producers: a new producer id with epoch 0, as Kafka's
 * TransactionCoordinator answers a request without a transactional id ("blindly accept the request
 * and return a new producerId", also when a v3+ producer sends its old id and epoch to bump them
 * after an error). strata has no transaction coordinator, so a transactional id gets
 * COORDINATOR_NOT_AVAILABLE, the answer FindCoordinator gives for transactions.
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse, type InitProducerIdResponse } from '../protocol/init-producer-id.js';
import { simpleResponse } from '../response.js';

export const handleInitProducerId: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeInitProducerIdRequest(r, version);
  r.expectEnd('InitProducerId');
  let resp: InitProducerIdResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 };
  if (req.transactionalId !== null) {
    ctx.logger.warn(`InitProducerId for transactional id "${req.transactionalId}" refused: strata has no transaction coordinator`);
    resp = { ...resp, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  } else if (!ctx.session.authorizeCluster('IdempotentWrite') && !ctx.session.authorizeAny('Write', 'Topic')) {
    // as Kafka: an idempotent producer needs IdempotentWrite on the cluster or Write on some topic
    resp = { ...resp, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
  } else {
    try {
      resp = { ...resp, producerId: ctx.producerIds.generateProducerId(), producerEpoch: 0 };
    } catch (err) {
      ctx.logger.error(`InitProducerId: cannot record a new producer id block: ${(err as Error).message}`);
      resp = { ...resp, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
    }
  }
  return simpleResponse(ApiKey.InitProducerId, version, header.correlationId, (w) => encodeInitProducerIdResponse(w, version, resp));
};
