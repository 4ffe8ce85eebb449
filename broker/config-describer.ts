/**
 * What DescribeConfigs answers (Kafka's ConfigHelper): a topic's configs — every topic key strata
 * honours, under Kafka's topic-level names, with its value, its source (TOPIC_CONFIG when the topic
 * overrides it, STATIC_BROKER_CONFIG when `strata serve --config` set the broker default,
 * DEFAULT_CONFIG otherwise) and its synonyms in Kafka's order (the topic override, then the
 * broker's `log.*` key) — and the broker's own configs. Keys strata does not honour are left out
 * rather than reported with values that would not hold.
 */
import { KAFKA_LONG_MAX, LONG_MAX, LOG_CONFIG_KEYS, logConfigFrom, type LogConfig } from '../core/config/log-config.js';
import { brokerConfigEntries, type BrokerConfig } from './broker-config.js';
import { ConfigSource, ConfigType, type ConfigSynonym, type DescribedConfig } from './protocol/describe-configs.js';

/** Topic key (Kafka's topic-level name) -> the broker key that sets its default (Kafka's ServerTopicConfigSynonyms). */
const BROKER_SYNONYMS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'log.cleanup.policy',
  'compression.type': 'compression.type',
  'file.delete.delay.ms': 'log.segment.delete.delay.ms',
  'flush.messages': 'log.flush.interval.messages',
  'flush.ms': 'log.flush.interval.ms',
  'index.interval.bytes': 'log.index.interval.bytes',
  'max.message.bytes': 'message.max.bytes',
  'message.timestamp.after.max.ms': 'log.message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms': 'log.message.timestamp.before.max.ms',
  'message.timestamp.type': 'log.message.timestamp.type',
  preallocate: 'log.preallocate',
  'retention.bytes': 'log.retention.bytes',
  'retention.ms': 'log.retention.ms',
  'segment.bytes': 'log.segment.bytes',
  'segment.index.bytes': 'log.index.size.max.bytes',
  'segment.ms': 'log.roll.ms',
});

/** strata's own name for a key Kafka names otherwise at topic level. */
const STRATA_ALIASES: Readonly<Record<string, string>> = Object.freeze({ 'max.message.bytes': 'message.max.bytes' });

const CONFIG_TYPES: Readonly<Record<string, number>> = Object.freeze({ int: ConfigType.INT, long: ConfigType.LONG, bool: ConfigType.BOOLEAN, string: ConfigType.STRING });

/** A value as Kafka prints it (LONG_MAX is Java's Long.MAX_VALUE). */
function kafkaValue(value: unknown): string {
  return value === LONG_MAX ? KAFKA_LONG_MAX : String(value);
}

/**
 * The configs of a topic with overrides `overrides`, over the broker's log defaults
 * `brokerDefaults` (LogManager.defaultConfig) and Kafka's built-in ones `builtIn`.
 */
export function describeTopicConfigs(overrides: Readonly<Record<string, string>>, brokerDefaults: Readonly<LogConfig>, builtIn: Readonly<LogConfig>, includeSynonyms: boolean): DescribedConfig[] {
  const effective = logConfigFrom(overrides, brokerDefaults);
  const out: DescribedConfig[] = [];
  for (const name of Object.keys(BROKER_SYNONYMS).sort()) {
    const spec = LOG_CONFIG_KEYS[STRATA_ALIASES[name] ?? name]!;
    const brokerKey = BROKER_SYNONYMS[name]!;
    const overriddenAs = [name, STRATA_ALIASES[name]].find((k) => k !== undefined && k in overrides);
    const synonyms: ConfigSynonym[] = [];
    if (overriddenAs !== undefined) synonyms.push({ name, value: kafkaValue(effective[spec.field]), source: ConfigSource.TOPIC_CONFIG });
    if (brokerDefaults[spec.field] !== builtIn[spec.field]) synonyms.push({ name: brokerKey, value: kafkaValue(brokerDefaults[spec.field]), source: ConfigSource.STATIC_BROKER_CONFIG });
    synonyms.push({ name: brokerKey, value: kafkaValue(builtIn[spec.field]), source: ConfigSource.DEFAULT_CONFIG });
    out.push({
      name,
      value: kafkaValue(effective[spec.field]),
      readOnly: false,
      source: synonyms[0]!.source,
      isSensitive: false,
      synonyms: includeSynonyms ? synonyms : [],
      configType: name === 'cleanup.policy' ? ConfigType.LIST : CONFIG_TYPES[spec.kind]!,
      documentation: null,
    });
  }
  return out;
}

/**
 * The broker's configs: its `log.*` defaults for topics and its own keys, STATIC_BROKER_CONFIG
 * where `strata serve --config` set them, DEFAULT_CONFIG otherwise. Read-only: strata has no
 * dynamic broker configs.
 */
export function describeBrokerConfigs(config: Readonly<BrokerConfig>, brokerDefaults: Readonly<LogConfig>, builtIn: Readonly<LogConfig>, includeSynonyms: boolean): DescribedConfig[] {
  const entries: { name: string; value: string; isDefault: boolean; configType: number }[] = [];
  for (const [topicKey, brokerKey] of Object.entries(BROKER_SYNONYMS)) {
    const spec = LOG_CONFIG_KEYS[STRATA_ALIASES[topicKey] ?? topicKey]!;
    const configType = topicKey === 'cleanup.policy' ? ConfigType.LIST : CONFIG_TYPES[spec.kind]!;
    entries.push({ name: brokerKey, value: kafkaValue(brokerDefaults[spec.field]), isDefault: brokerDefaults[spec.field] === builtIn[spec.field], configType });
  }
  for (const e of brokerConfigEntries(config)) entries.push({ name: e.name, value: e.value, isDefault: e.isDefault, configType: e.kind === 'bool' ? ConfigType.BOOLEAN : e.kind === 'overrides' ? ConfigType.STRING : ConfigType.INT });
  return entries
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => {
      const source = e.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
      return { name: e.name, value: e.value, readOnly: true, source, isSensitive: false, synonyms: includeSynonyms ? [{ name: e.name, value: e.value, source }] : [], configType: e.configType, documentation: null };
    });
}
