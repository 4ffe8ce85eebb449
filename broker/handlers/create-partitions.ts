/**
 * CreatePartitions: a topic's partition count is raised, never lowered — a count below the
 * current one, or equal to it, is INVALID_PARTITIONS with Kafka's words. A manual assignment must
 * give one list per new partition (INVALID_REPLICA_ASSIGNMENT otherwise) naming broker 0 alone
 * (a single node); a topic named twice is INVALID_REQUEST, an unknown one UNKNOWN_TOPIC_OR_PARTITION.
 * Under ACLs a topic needs Alter (else TOPIC_AUTHORIZATION_FAILED with no message, as Kafka's
 * controller), checked after the duplicate check and before the topic is looked up.
 */
import { StrataError } from '../../core/errors.js';
import type { RequestHandler } from '../context.js';
import { NODE_ID } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeCreatePartitionsRequest, encodeCreatePartitionsResponse, type CreatePartitionsTopic, type CreatePartitionsTopicResult } from '../protocol/create-partitions.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { kafkaErrorCode } from './errors.js';

/** The problem with a manual assignment, or undefined when there is none. */
function assignmentProblem(t: CreatePartitionsTopic, current: number): string | undefined {
  if (t.assignments === null) return undefined;
  if (t.assignments.length !== t.count - current) return `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`;
  const bad = t.assignments.find((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== NODE_ID);
  return bad && `assignment [${bad.brokerIds.join(', ')}]: this broker is a single node, so each new partition's replicas must be [${NODE_ID}]`;
}

export const handleCreatePartitions: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeCreatePartitionsRequest(r, version);
  r.expectEnd('CreatePartitions');
  const seen = new Set<string>();
  const duplicates = new Set(req.topics.map((t) => t.name).filter((n) => seen.has(n) || !seen.add(n)));
  const results: CreatePartitionsTopicResult[] = [];
  for (const t of req.topics) {
    const fail = (errorCode: number, errorMessage: string) => results.push({ name: t.name, errorCode, errorMessage });
    const info = ctx.topics.get(t.name);
    if (duplicates.has(t.name)) fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
    else if (!ctx.session.authorize('Alter', 'Topic', t.name)) results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
    else if (!info) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${t.name}' does not exist.`);
    else {
      const problem = t.count > info.partitions ? assignmentProblem(t, info.partitions) : undefined;
      if (problem) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
        continue;
      }
      try {
        const before = info.partitions;
        if (!(await ctx.topics.addPartitions(t.name, t.count, req.validateOnly))) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${t.name}' does not exist.`);
        else {
          results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
          if (!req.validateOnly) ctx.logger.info(`topic ${t.name}: ${before} -> ${t.count} partitions`);
        }
      } catch (err) {
        const code = err instanceof StrataError && err.code === 'INVALID_ARGUMENT' ? ErrorCode.INVALID_PARTITIONS : kafkaErrorCode(err);
        fail(code, (err as Error).message);
      }
    }
  }
  return simpleResponse(ApiKey.CreatePartitions, version, header.correlationId, (w) => encodeCreatePartitionsResponse(w, version, { throttleTimeMs: 0, results }));
};
