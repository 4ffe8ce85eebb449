/** Metadata (key 3), v0-v8 (MetadataRequest.json / MetadataResponse.json). */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface MetadataRequest {
  /** null: all topics (v1+ null array; v0 empty array means all). */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

export function decodeMetadataRequest(r: KafkaReader, version: number): MetadataRequest {
  let topics = r.nullableArray((r) => r.string());
  if (version === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  if (version >= 8) {
    r.bool(); // IncludeClusterAuthorizedOperations
    r.bool(); // IncludeTopicAuthorizedOperations
  }
  return { topics, allowAutoTopicCreation };
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
}

/** Kafka's "authorized operations not requested" value. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function encodeMetadataResponse(w: KafkaWriter, version: number, resp: MetadataResponse): void {
  if (version >= 3) w.int32(resp.throttleTimeMs);
  w.array(resp.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) w.nullableString(b.rack);
  });
  if (version >= 2) w.nullableString(resp.clusterId);
  if (version >= 1) w.int32(resp.controllerId);
  w.array(resp.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name);
    if (version >= 1) w.bool(t.isInternal);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      if (version >= 7) w.int32(p.leaderEpoch);
      w.array(p.replicaNodes, (w, n) => w.int32(n));
      w.array(p.isrNodes, (w, n) => w.int32(n));
      if (version >= 5) w.array(p.offlineReplicas, (w, n) => w.int32(n));
    });
    if (version >= 8) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
  });
  if (version >= 8) w.int32(AUTHORIZED_OPERATIONS_OMITTED);
}
