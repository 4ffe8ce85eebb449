/**
 * Topic names and partition directories. Kafka's rules (Topic.validate): legal characters
 * [a-zA-Z0-9._-], at most 249, not "." or "..". Those rules also keep a name from escaping the data
 * directory, since no separator or parent reference can pass them.
 */
import { StrataError } from './errors.js';

export const TOPIC_NAME_LENGTH_MAX = 249;
/**
 * Kafka's KRaft metadata log (Topic.CLUSTER_METADATA_TOPIC_NAME): a directory
 * `__cluster_metadata-0` in a Kafka log dir that is not a topic; Kafka's LogManager skips it and
 * no Metadata answer lists it.
 */
export const CLUSTER_METADATA_TOPIC = '__cluster_metadata';
/** Kafka's Topic.INTERNAL_TOPICS: flagged is_internal in Metadata answers. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export function isInternalTopic(topic: string): boolean {
  return INTERNAL_TOPICS.has(topic);
}

/**
 * Names a client may not create: Kafka's internal topics (strata keeps group offsets in a file of
 * its own, so none of them is a topic here and no client may mistake a user topic for the real
 * thing) and the KRaft metadata log; Kafka answers "Creation of internal topic ... is prohibited."
 */
export function isReservedTopic(topic: string): boolean {
  return INTERNAL_TOPICS.has(topic) || topic === CLUSTER_METADATA_TOPIC;
}
const LEGAL = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0) throw new StrataError('INVALID_TOPIC', 'topic name is empty');
  if (topic === '.' || topic === '..') throw new StrataError('INVALID_TOPIC', `topic name cannot be "${topic}"`);
  if (topic.length > TOPIC_NAME_LENGTH_MAX) {
    throw new StrataError('INVALID_TOPIC', `topic name is ${topic.length} characters, more than the ${TOPIC_NAME_LENGTH_MAX} allowed`);
  }
  if (!LEGAL.test(topic)) {
    throw new StrataError('INVALID_TOPIC', `topic name "${topic}" has characters outside [a-zA-Z0-9._-]`);
  }
}

export function validatePartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1) {
    throw new StrataError('INVALID_ARGUMENT', `partition must be a non-negative integer, got ${partition}`);
  }
}

/** `TOPIC-PARTITION`, the directory name Kafka uses. */
export function partitionDirName(topic: string, partition: number): string {
  validateTopicName(topic);
  validatePartition(partition);
  return `${topic}-${partition}`;
}

/** Splits a directory name back into topic and partition (the topic may itself contain '-'). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const topic = name.slice(0, dash);
  const partText = name.slice(dash + 1);
  if (!/^\d+$/.test(partText)) return undefined;
  try {
    validateTopicName(topic);
  } catch {
    return undefined;
  }
  return { topic, partition: Number(partText) };
}

/**
 * Kafka's Topic.hasCollision: names equal once '.' is read as '_' collide (they would share metric
 * names), so `a.b` and `a_b` cannot both exist.
 */
export function topicsCollide(a: string, b: string): boolean {
  return a !== b && a.replaceAll('.', '_') === b.replaceAll('.', '_');
}
