/**
 * The OpenMessaging Benchmark's workload files (openmessaging/benchmark, workloads/*.yaml) run as
 * they are: their fields are converted to strata's, and what the conversion did is said in the
 * workload's description (so in report.md). strata benches one topic, so OMB's topics multiply
 * into partitions and producers; a subscription (a consumer group) reads everything, so
 * subscriptionsPerTopic becomes consumers, and consumers sharing a subscription change no byte
 * read. A backlog phase (consumerBacklogSizeGB > 0) does not exist here and is refused by the schema.
 */
export const OMB_FIELDS: ReadonlySet<string> = new Set([
  'topics', 'partitionsPerTopic', 'messageSize', 'producersPerTopic', 'subscriptionsPerTopic', 'consumerPerSubscription',
  'testDurationMinutes', 'warmupDurationMinutes', 'keyDistributor', 'payloadFile', 'useRandomizedPayloads', 'randomBytesRatio',
  'randomizedPayloadPoolSize', 'consumerBacklogSizeGB', 'backlogDrainRatio',
]);

const KEY_DISTRIBUTORS: Record<string, string> = { NO_KEY: 'none', KEY_ROUND_ROBIN: 'sequential', RANDOM_NANO: 'uniform' };

/** strata field -> the OMB fields that set it: giving both is ambiguous. */
const CONFLICTS: [string, string][] = [
  ['partitions', 'partitionsPerTopic'], ['producers', 'producersPerTopic'], ['consumers', 'subscriptionsPerTopic'],
  ['durationSeconds', 'testDurationMinutes'], ['keyDistribution', 'keyDistributor'], ['warmupRecords', 'warmupDurationMinutes'], ['warmupSeconds', 'warmupDurationMinutes'],
];

export function isOpenMessagingWorkload(obj: Record<string, unknown>): boolean {
  return Object.keys(obj).some((k) => OMB_FIELDS.has(k));
}

/** OMB names are titles ("1 topic / 1 partition / 1Kb"); strata's name a run folder. */
export function ombName(name: unknown): unknown {
  if (typeof name !== 'string' || /^[A-Za-z0-9._-]{1,100}$/.test(name)) return name;
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'omb-workload';
}

/** The same workload in strata's fields (already checked against the schema, axes as lists). */
export function fromOpenMessaging(obj: Record<string, unknown>, title: unknown, fail: (field: string, message: string) => never): Record<string, unknown> {
  for (const [mine, theirs] of CONFLICTS) {
    if (obj[mine] !== undefined && obj[theirs] !== undefined) fail(theirs, `and "${mine}" both set the same thing: give one`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!OMB_FIELDS.has(k)) out[k] = v;
  const notes: string[] = [];
  const n = (k: string) => obj[k] as number | undefined;
  const topics = n('topics') ?? 1;
  if (topics !== 1) notes.push(`topics ${topics} folded into one topic`);
  if (n('partitionsPerTopic') !== undefined) out.partitions = topics * n('partitionsPerTopic')!;
  if (n('producersPerTopic') !== undefined) out.producers = topics * n('producersPerTopic')!;
  if (n('subscriptionsPerTopic') !== undefined) out.consumers = n('subscriptionsPerTopic');
  if ((n('consumerPerSubscription') ?? 1) > 1) notes.push(`consumerPerSubscription ${n('consumerPerSubscription')}: one consumer per subscription reads the same bytes`);
  if (n('messageSize') !== undefined) {
    if ((out.matrix as Record<string, unknown> | undefined)?.recordBytes !== undefined) fail('messageSize', 'and "matrix.recordBytes" both set the record size: give one');
    out.matrix = { ...((out.matrix as Record<string, unknown>) ?? {}), recordBytes: [n('messageSize')] };
  }
  if (n('testDurationMinutes') !== undefined) out.durationSeconds = n('testDurationMinutes')! * 60;
  const warmup = n('warmupDurationMinutes');
  if (warmup !== undefined) {
    const rate = (obj.producerRate as number | undefined) ?? 0;
    if (rate > 0) out.warmupRecords = Math.round(rate * warmup * 60);
    else out.warmupSeconds = warmup * 60;
  }
  if (obj.keyDistributor !== undefined) out.keyDistribution = KEY_DISTRIBUTORS[obj.keyDistributor as string];
  if ((obj.payloadFile !== undefined || obj.useRandomizedPayloads === true) && obj.payload === undefined) {
    out.payload = 'random';
    if (obj.payloadFile !== undefined) notes.push(`payloadFile ${String(obj.payloadFile)}: generated random payload of messageSize bytes instead`);
  }
  const said = `From an OpenMessaging Benchmark workload${typeof title === 'string' ? ` (${title})` : ''}${notes.length ? `: ${notes.join('; ')}` : ''}.`;
  out.description = obj.description ? `${String(obj.description)} ${said}` : said;
  return out;
}
