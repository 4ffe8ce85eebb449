/**
 * The part of Kafka's consumer protocol ("consumer" protocol type) a coordinator reads: the topics
 * of a member's subscription. Every ConsumerProtocolSubscription version starts with v0's fields -
 * an int16 version, then the topic names as an int32-counted array of int16-length strings - so
 * reading that prefix serves every version, as Kafka's ClassicGroup.computeSubscribedTopics does.
 */
import { KafkaReader } from './protocol/reader.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics in a member's metadata; undefined when it is not a consumer subscription. */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  try {
    const r = new KafkaReader(metadata);
    if (r.int16() < 0) return undefined;
    return r.array((r) => r.string());
  } catch {
    return undefined; // not the consumer protocol's layout: the coordinator does not know the topics
  }
}
