/**
 * The protocol rules of Kafka's ClassicGroup, as pure functions of a group's members: which joins
 * a group takes (supportsProtocols), which protocol a generation uses (selectProtocol) and which
 * topics a consumer group subscribes to (computeSubscribedTopics, read from the "consumer"
 * protocol's metadata).
 */
import { KafkaReader } from './protocol/reader.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface MemberProtocols {
  protocols: readonly { name: string; metadata: Buffer }[];
}

/**
 * Kafka's ClassicGroup.supportsProtocols for a non-empty group: the join's protocol type is the
 * group's and it names at least one protocol every current member supports. A member already in
 * the group counts with the protocols it joined with, so a group's only member can always rejoin
 * with them.
 */
export function supportsProtocols(groupProtocolType: string | null, members: readonly MemberProtocols[], protocolType: string, protocols: readonly { name: string }[]): boolean {
  if (members.length === 0) return true; // an empty group takes any non-empty protocol list
  if (groupProtocolType !== protocolType) return false;
  const supportedBy = new Map<string, number>();
  for (const m of members) for (const name of new Set(m.protocols.map((p) => p.name))) supportedBy.set(name, (supportedBy.get(name) ?? 0) + 1);
  return protocols.some((p) => supportedBy.get(p.name) === members.length);
}

/** Kafka's vote: among protocols every member supports, the one most members list first. */
export function selectProtocol(members: readonly MemberProtocols[]): string {
  if (members.length === 0) throw new Error('assertion failed: a protocol is selected for a group with members');
  const candidates = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>();
  for (const m of members) {
    const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
    if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let best = candidates[0] ?? members[0]!.protocols[0]!.name;
  for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
  return best;
}

/**
 * Kafka's computeSubscribedTopics: the topics of a consumer group's members under the selected
 * protocol; null (unknown) for another protocol type or metadata of another layout.
 */
export function computeSubscribedTopics(protocolType: string | null, protocolName: string | null, members: readonly MemberProtocols[]): Set<string> | null {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
  if (members.length === 0) return new Set();
  const all = new Set<string>();
  for (const m of members) {
    const metadata = m.protocols.find((p) => p.name === protocolName)?.metadata;
    const topics = metadata && subscriptionTopics(metadata);
    if (!topics) return null;
    for (const t of topics) all.add(t);
  }
  return all;
}

/**
 * The topics of a ConsumerProtocolSubscription. Every version starts with v0's fields - an int16
 * version, then the topic names as an int32-counted array of int16-length strings - so reading
 * that prefix serves every version, as Kafka does.
 */
export function subscriptionTopics(metadata: Buffer): string[] | undefined {
  try {
    const r = new KafkaReader(metadata);
    if (r.int16() < 0) return undefined;
    return r.array((r) => r.string());
  } catch {
    return undefined; // not the consumer protocol's layout: the topics are unknown
  }
}
