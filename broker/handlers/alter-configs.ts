/**
 * AlterConfigs and IncrementalAlterConfigs of topics, as Kafka's controller: AlterConfigs replaces
 * every override of the topic with the given ones; IncrementalAlterConfigs sets (SET), removes
 * (DELETE) or, for list keys (cleanup.policy), appends to or subtracts from (APPEND, SUBTRACT) one
 * key at a time — APPEND/SUBTRACT on another key is INVALID_CONFIG. The keys are strata's topic
 * keys (LogConfig, Kafka's names); an unknown one or a bad value is INVALID_CONFIG naming it, an
 * unknown topic UNKNOWN_TOPIC_OR_PARTITION, a resource named twice or a key twice in one
 * resource INVALID_REQUEST. Broker configs are static here (`strata serve --config`): INVALID_REQUEST.
 * The new values hold for every partition at once (TopicManager.alterConfigs). Under ACLs, after
 * the duplicate check, a topic needs AlterConfigs on it (else TOPIC_AUTHORIZATION_FAILED) and the
 * broker AlterConfigs on the cluster (else CLUSTER_AUTHORIZATION_FAILED), as Kafka's controller.
 */
import { LOG_CONFIG_KEYS, logConfigToProps, type LogConfig } from '../../core/config/log-config.js';
import { StrataError } from '../../core/errors.js';
import type { BrokerContext, RequestHandler } from '../context.js';
import { ConfigOperation, decodeAlterConfigsRequest, decodeIncrementalAlterConfigsRequest, encodeAlterConfigsResponse, type AlterConfigsResource, type AlterConfigsResourceResponse } from '../protocol/alter-configs.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ResourceType } from '../protocol/describe-configs.js';
import { checkWireTopicConfigs } from '../topic-config-bounds.js';
import { ErrorCode } from '../protocol/errors.js';
import { simpleResponse } from '../response.js';
import { authorizationMessage, configResourceAuthorization } from './config-authorization.js';
import { kafkaErrorCode } from './errors.js';

/** Names of one limit: Kafka's topic-level name and the broker's, both accepted as topic keys. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({ 'max.message.bytes': 'message.max.bytes', 'message.max.bytes': 'max.message.bytes' });
const LIST_KEYS: ReadonlySet<string> = new Set(['cleanup.policy']);

class Refusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The overrides after applying `res`'s operations to `current` (AlterConfigs: replacing them).
 * APPEND and SUBTRACT start from the broker's default when the topic has no override, as Kafka's.
 */
function nextOverrides(current: Readonly<Record<string, string>>, res: AlterConfigsResource, incremental: boolean, defaults: Readonly<LogConfig>): Record<string, string> {
  const names = res.configs.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new Refusal(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
  const next: Record<string, string> = incremental ? { ...current } : {};
  for (const c of res.configs) {
    if (!(c.name in LOG_CONFIG_KEYS)) throw new Refusal(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`);
    const alias = ALIASES[c.name];
    if (alias !== undefined) delete next[alias];
    switch (c.operation) {
      case ConfigOperation.SET:
        if (c.value === null) delete next[c.name];
        else next[c.name] = c.value;
        break;
      case ConfigOperation.DELETE:
        delete next[c.name];
        break;
      case ConfigOperation.APPEND:
      case ConfigOperation.SUBTRACT: {
        const verb = c.operation === ConfigOperation.APPEND ? 'append' : 'subtract';
        if (!LIST_KEYS.has(c.name)) throw new Refusal(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${c.name}`);
        const items = (next[c.name] ?? logConfigToProps(defaults)[c.name] ?? '').split(',').filter((s) => s !== '');
        const given = (c.value ?? '').split(',').filter((s) => s !== '');
        const result = verb === 'append' ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
        next[c.name] = result.join(',');
        break;
      }
      default:
        throw new Refusal(ErrorCode.INVALID_REQUEST, `unknown config operation ${c.operation} for ${c.name}`);
    }
  }
  return next;
}

async function alterOne(ctx: BrokerContext, res: AlterConfigsResource, incremental: boolean, validateOnly: boolean): Promise<void> {
  if (res.resourceType === ResourceType.BROKER) throw new Refusal(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: ${res.configs.map((c) => c.name).join(', ')} (strata's broker configs are set at start, with --config)`);
  if (res.resourceType !== ResourceType.TOPIC) throw new Refusal(ErrorCode.INVALID_REQUEST, `resource type ${res.resourceType} cannot be altered on this broker (topics: 2)`);
  const info = ctx.topics.get(res.resourceName);
  if (!info) throw new Refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${res.resourceName}' does not exist.`);
  const next = nextOverrides(info.configs, res, incremental, ctx.logs.defaultConfig);
  checkWireTopicConfigs(Object.fromEntries(res.configs.map((c) => [c.name, c.operation === ConfigOperation.SET ? c.value : null])));
  if (!(await ctx.topics.alterConfigs(res.resourceName, next, validateOnly))) throw new Refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${res.resourceName}' does not exist.`);
  if (!validateOnly) ctx.logger.info(`topic ${res.resourceName}: configs now ${JSON.stringify(next)}`);
}

function handler(apiKey: ApiKey, incremental: boolean, flexibleFrom: number): RequestHandler {
  return async (ctx, header, r) => {
    const version = header.apiVersion;
    const req = incremental ? decodeIncrementalAlterConfigsRequest(r, version) : decodeAlterConfigsRequest(r, version);
    r.expectEnd(ApiKey[apiKey]);
    const keys = req.resources.map((res) => `${res.resourceType}:${res.resourceName}`);
    const responses: AlterConfigsResourceResponse[] = [];
    for (const [i, res] of req.resources.entries()) {
      const out: AlterConfigsResourceResponse = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName };
      responses.push(out);
      try {
        if (keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!)) throw new Refusal(ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
        const denied = configResourceAuthorization(ctx.session, 'AlterConfigs', res.resourceType, res.resourceName);
        if (denied !== ErrorCode.NONE) throw new Refusal(denied, authorizationMessage(denied));
        await alterOne(ctx, res, incremental, req.validateOnly);
      } catch (err) {
        out.errorCode = err instanceof Refusal ? err.errorCode : err instanceof StrataError && err.code === 'INVALID_CONFIG' ? ErrorCode.INVALID_CONFIG : kafkaErrorCode(err);
        out.errorMessage = (err as Error).message;
      }
    }
    return simpleResponse(apiKey, version, header.correlationId, (w) => encodeAlterConfigsResponse(w, version >= flexibleFrom, { throttleTimeMs: 0, responses }));
  };
}

export const handleAlterConfigs = handler(ApiKey.AlterConfigs, false, 2);
export const handleIncrementalAlterConfigs = handler(ApiKey.IncrementalAlterConfigs, true, 1);
