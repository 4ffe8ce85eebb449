/**
 * DeleteTopics: each topic's partition logs are deleted (TopicManager.delete → LogManager.deleteLog:
 * the directories renamed to `-delete` at once and removed after file.delete.delay.ms). As Kafka's
 * controller (ControllerApis.deleteTopics): a name given twice gets one INVALID_REQUEST "Duplicate
 * topic name.", a topic that does not exist UNKNOWN_TOPIC_OR_PARTITION; in v6, a topic named by id
 * is UNKNOWN_TOPIC_ID (strata gives its topics no ids: Metadata is served up to v8, before ids),
 * one given both a name and an id, or neither, INVALID_REQUEST. Every group's committed offsets of a deleted topic are forgotten.
 * Under ACLs, as the controller: Delete on the cluster allows every topic; otherwise a topic the
 * principal may not Describe is TOPIC_AUTHORIZATION_FAILED whether or not it exists (its absence is
 * not revealed), one it may Describe but that does not exist UNKNOWN_TOPIC_OR_PARTITION, one it may
 * Describe but not Delete TOPIC_AUTHORIZATION_FAILED.
 */
import type { RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse, ZERO_UUID, type DeletableTopicResult } from '../protocol/delete-topics.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { kafkaErrorCode } from './errors.js';

export const handleDeleteTopics: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeDeleteTopicsRequest(r, version);
  r.expectEnd('DeleteTopics');
  const seen = new Set<string>();
  const names = req.topics.flatMap((t) => (t.name === null ? [] : [t.name]));
  const duplicates = new Set(names.filter((n) => seen.has(n) || !seen.add(n)));
  const responses: DeletableTopicResult[] = [];
  const clusterDelete = ctx.session.authorizeCluster('Delete');
  const deleteDenied = (name: string) => !clusterDelete && (!ctx.session.authorize('Describe', 'Topic', name) || (!!ctx.topics.get(name) && !ctx.session.authorize('Delete', 'Topic', name)));
  for (const name of duplicates) responses.push({ name, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
  for (const t of req.topics) {
    if (t.name !== null && duplicates.has(t.name)) continue;
    const result: DeletableTopicResult = { name: t.name, topicId: t.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
    responses.push(result);
    const fail = (errorCode: number, errorMessage: string) => Object.assign(result, { errorCode, errorMessage });
    const byId = !t.topicId.equals(ZERO_UUID);
    if (t.name !== null && byId) fail(ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
    else if (t.name === null && !byId) fail(ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.');
    else if (t.name === null) fail(ErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${t.topicId.toString('hex')}: this broker names topics, it gives them no ids`);
    else if (deleteDenied(t.name)) fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.');
    else {
      try {
        const deleted = await ctx.topics.delete(t.name, (log) => ctx.producerExpiration.forget(log));
        if (!deleted) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
        else {
          // committed offsets of the topic go with it, as in Kafka
          if (ctx.groups.offsetStore.removeTopic(t.name)) await ctx.groups.offsetStore.persist();
          ctx.logger.info(`deleted topic ${t.name}`);
        }
      } catch (err) {
        fail(kafkaErrorCode(err), (err as Error).message);
        ctx.logger.error(`deleting topic ${t.name} failed: ${(err as Error).message}`);
      }
    }
    if (version >= 6) result.topicId = ZERO_UUID;
  }
  return simpleResponse(ApiKey.DeleteTopics, version, header.correlationId, (w) => encodeDeleteTopicsResponse(w, version, { throttleTimeMs: 0, responses }));
};
