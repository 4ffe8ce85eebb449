/**
 * DescribeConfigs of topics (config-describer.ts: values, sources, synonyms) and of this broker
 * (resource name "0", its id, or "" for the defaults). As Kafka's ConfigHelper: an unknown topic is
 * UNKNOWN_TOPIC_OR_PARTITION, an invalid name INVALID_TOPIC_EXCEPTION, another broker id or an
 * unsupported resource type INVALID_REQUEST; named keys narrow the answer to those this broker has.
 * Under ACLs a topic needs DescribeConfigs on it (else TOPIC_AUTHORIZATION_FAILED), the broker
 * DescribeConfigs on the cluster (else CLUSTER_AUTHORIZATION_FAILED), checked first as Kafka does.
 */
import { DEFAULT_LOG_CONFIG } from '../../core/config/log-config.js';
import { validateTopicName } from '../../core/topic.js';
import { describeBrokerConfigs, describeTopicConfigs } from '../config-describer.js';
import { NODE_ID, type BrokerContext, type RequestHandler } from '../context.js';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeDescribeConfigsRequest, encodeDescribeConfigsResponse, ResourceType, type DescribeConfigsResource, type DescribeConfigsResult, type DescribedConfig } from '../protocol/describe-configs.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { authorizationMessage, configResourceAuthorization } from './config-authorization.js';
import { topicNameError } from './errors.js';

function describe(ctx: BrokerContext, res: DescribeConfigsResource, includeSynonyms: boolean): DescribeConfigsResult {
  const result: DescribeConfigsResult = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName, configs: [] };
  const fail = (errorCode: number, errorMessage: string) => Object.assign(result, { errorCode, errorMessage });
  const denied = configResourceAuthorization(ctx.session, 'DescribeConfigs', res.resourceType, res.resourceName);
  if (denied !== ErrorCode.NONE) return fail(denied, authorizationMessage(denied));
  let configs: DescribedConfig[];
  if (res.resourceType === ResourceType.TOPIC) {
    if (topicNameError(res.resourceName, validateTopicName) !== ErrorCode.NONE) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name "${res.resourceName}"`);
    const info = ctx.topics.get(res.resourceName);
    if (!info) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${res.resourceName}' does not exist.`);
    configs = describeTopicConfigs(info.configs, ctx.logs.defaultConfig, DEFAULT_LOG_CONFIG, includeSynonyms);
  } else if (res.resourceType === ResourceType.BROKER) {
    if (res.resourceName !== '' && res.resourceName !== String(NODE_ID)) {
      return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${NODE_ID} or empty string, but received ${res.resourceName}`);
    }
    configs = describeBrokerConfigs(ctx.config, ctx.logs.defaultConfig, DEFAULT_LOG_CONFIG, includeSynonyms);
  } else {
    return fail(ErrorCode.INVALID_REQUEST, `resource type ${res.resourceType} is not described by this broker (topics: 2, brokers: 4)`);
  }
  const wanted = res.configurationKeys;
  result.configs = wanted === null || wanted.length === 0 ? configs : configs.filter((c) => wanted.includes(c.name));
  return result;
}

export const handleDescribeConfigs: RequestHandler = async (ctx, header, r) => {
  const version = header.apiVersion;
  const req = decodeDescribeConfigsRequest(r, version);
  r.expectEnd('DescribeConfigs');
  const results = req.resources.map((res) => describe(ctx, res, req.includeSynonyms));
  return simpleResponse(ApiKey.DescribeConfigs, version, header.correlationId, (w) => encodeDescribeConfigsResponse(w, version, { throttleTimeMs: 0, results }));
};
