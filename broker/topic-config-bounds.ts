/**
 * Kafka's bounds on topic configs set over the wire (CreateTopics, AlterConfigs,
 * IncrementalAlterConfigs) where they are tighter than the library's. Kafka 4's LogConfig takes
 * segment.bytes of at least 1 MiB; the library (logConfigFrom) and the broker's own `--config`
 * still take smaller segments, for tests and small embedded logs, as Kafka's own tests do through
 * its internal.segment.bytes. Answered as Kafka answers: INVALID_CONFIG with ConfigException's words.
 */
import { StrataError } from '../core/errors.js';

/** Key -> the least value Kafka accepts for it from a client. */
export const WIRE_TOPIC_CONFIG_MINIMUMS: Readonly<Record<string, number>> = Object.freeze({
  'segment.bytes': 1024 * 1024,
});

/**
 * Throws INVALID_CONFIG for an integer below Kafka's minimum. A value that is no integer at all is
 * left to logConfigFrom, which names it.
 */
export function checkWireTopicConfigs(configs: Readonly<Record<string, string | null>>): void {
  for (const [key, min] of Object.entries(WIRE_TOPIC_CONFIG_MINIMUMS)) {
    const text = configs[key]?.trim();
    if (text === undefined || !/^-?\d+$/.test(text)) continue;
    if (Number(text) < min) throw new StrataError('INVALID_CONFIG', `Invalid value ${text} for configuration ${key}: Value must be at least ${min}`);
  }
}
