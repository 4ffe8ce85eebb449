/**
 * The classic consumer-group protocol on one node (Kafka's GroupCoordinator, without replication):
 * groups move Empty -> PreparingRebalance -> CompletingRebalance -> Stable. A rebalance completes
 * when every known member has sent JoinGroup again (or its rebalance timeout dropped the rest);
 * the leader gets every member's metadata and sends the assignment in SyncGroup; members that
 * stop heartbeating for their session timeout are removed and the group rebalances.
 *
 * Simplifications, each safe for a single node: members get an id on their first JoinGroup (the
 * pre-KIP-394 behaviour, no MEMBER_ID_REQUIRED round trip); static membership (group.instance.id)
 * is accepted but treated as dynamic.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/tokens.js';
import type { BrokerConfig } from './broker-config.js';
import { CONSUMER_PROTOCOL_TYPE, computeSubscribedTopics, selectProtocol, supportsProtocols } from './group-protocols.js';
import { ErrorCode } from './protocol/errors.js';
import type { JoinGroupRequest, JoinGroupResponse, SyncGroupRequest } from './protocol/groups.js';
import type { OffsetCommitRequest } from './protocol/offsets.js';
import type { OffsetStore } from './offset-store.js';

/** Kafka's ClassicGroupState names (Dead: a group that does not exist, never held here). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

/** What DescribeGroups shows of a group the coordinator tracks. */
export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  /** The selected protocol while Stable, else ''. */
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

/** Bounds the groups a broker tracks (members are bounded per group by group.max.size). */
export const GROUPS_MAX = 10_000;

interface Member {
  memberId: string;
  clientId: string;
  /** The address the member joined from, as Kafka shows it ("/127.0.0.1"). */
  clientHost: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  pendingJoin: ((resp: JoinGroupResponse) => void) | undefined;
  pendingSync: ((resp: { errorCode: number; assignment: Buffer }) => void) | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
}

interface Group {
  id: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  rebalanceTimer: NodeJS.Timeout | undefined;
  /** True while the initial rebalance delay of a group that was empty runs. */
  initialDelay: boolean;
  /** The members' topics as of the last generation (Kafka's subscribedTopics); null: unknown. */
  subscribedTopics: Set<string> | null;
}

const EMPTY = Buffer.alloc(0);

function joinError(errorCode: number, memberId = ''): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly offsets: OffsetStore,
    private readonly logger: Logger,
  ) {}

  groupState(groupId: string): { state: GroupState; generationId: number; members: number } | undefined {
    const g = this.groups.get(groupId);
    return g && { state: g.state, generationId: g.generationId, members: g.members.size };
  }

  join(req: JoinGroupRequest, clientId: string | null, clientHost: string): Promise<JoinGroupResponse> {
    if (this.closed) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (req.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    if (req.protocolType === '' || req.protocols.length === 0) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (this.groups.size >= GROUPS_MAX) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
      group = { id: req.groupId, state: 'Empty', generationId: 0, protocolType: null, protocolName: null, leaderId: null, members: new Map(), rebalanceTimer: undefined, initialDelay: false, subscribedTopics: null };
      this.groups.set(req.groupId, group);
    }
    if (!supportsProtocols(group.protocolType, [...group.members.values()], req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    let member: Member | undefined;
    if (req.memberId === '') {
      if (group.members.size >= this.config.groupMaxSize) return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
      member = {
        memberId: `${clientId ?? 'member'}-${randomUUID()}`,
        clientId: clientId ?? '',
        clientHost,
        groupInstanceId: req.groupInstanceId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        pendingJoin: undefined,
        pendingSync: undefined,
        sessionTimer: undefined,
      };
      group.members.set(member.memberId, member);
      if (group.leaderId === null) group.leaderId = member.memberId;
      group.protocolType = req.protocolType;
    } else {
      member = group.members.get(req.memberId);
      if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
      member.protocols = req.protocols;
      member.clientId = clientId ?? '';
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      // a member rejoining replaces its own earlier join still waiting (the client gave up on it)
      member.pendingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    }
    const m = member;
    clearTimeout(m.sessionTimer);
    m.sessionTimer = undefined;
    const done = new Promise<JoinGroupResponse>((resolve) => (m.pendingJoin = resolve));
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, `member ${m.memberId} joined`);
    this.tryCompleteJoin(group);
    return done;
  }

  sync(req: SyncGroupRequest): Promise<{ errorCode: number; assignment: Buffer }> {
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (!group || !member) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (req.generationId !== group.generationId) return Promise.resolve({ errorCode: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY });
    this.touch(group, member);
    if (group.state === 'PreparingRebalance' || group.state === 'Empty') return Promise.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    if (group.state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    const done = new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => (member.pendingSync = resolve));
    if (member.memberId === group.leaderId) {
      const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
      group.state = 'Stable';
      this.logger.info(`group ${group.id} is stable at generation ${group.generationId} with ${group.members.size} member(s)`);
      for (const m of group.members.values()) {
        const resolve = m.pendingSync;
        m.pendingSync = undefined;
        resolve?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
      }
    }
    return done;
  }

  heartbeat(groupId: string, memberId: string, generationId: number): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberIds: readonly string[]): number[] {
    const group = this.groups.get(groupId);
    const codes = memberIds.map((id) => {
      const member = group?.members.get(id);
      if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(group, member, 'left the group');
      return ErrorCode.NONE;
    });
    return codes;
  }

  commitOffsets(req: OffsetCommitRequest): { errorCode: number; store: boolean } {
    const group = this.groups.get(req.groupId);
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, store: false };
    // Kafka's ClassicGroup.validateOffsetCommit
    if (req.generationId < 0 && (!group || group.state === 'Empty')) return { errorCode: ErrorCode.NONE, store: true }; // admin client or standalone consumer
    if (!group) return { errorCode: ErrorCode.ILLEGAL_GENERATION, store: false }; // Kafka's answer before OffsetCommit v9
    const member = group.members.get(req.memberId);
    if (!member) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, store: false };
    if (req.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION, store: false };
    // a member of the current generation may commit while the group prepares a rebalance (an
    // eager consumer commits before it rejoins); only between JoinGroup and SyncGroup it may not
    if (group.state === 'CompletingRebalance') return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS, store: false };
    this.touch(group, member);
    return { errorCode: ErrorCode.NONE, store: true };
  }

  describeGroup(groupId: string): GroupDescription | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    const stable = g.state === 'Stable';
    const members = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      // Kafka shows the metadata and the assignment only of a Stable group's members
      metadata: stable ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY) : EMPTY,
      assignment: stable ? m.assignment : EMPTY,
    }));
    return { groupId, state: g.state, protocolType: g.protocolType ?? '', protocolData: stable ? (g.protocolName ?? '') : '', members };
  }

  /** The groups this coordinator tracks (joined at least once), with state and protocol type. */
  *listGroups(): Iterable<{ groupId: string; state: GroupState; protocolType: string }> {
    for (const g of this.groups.values()) yield { groupId: g.id, state: g.state, protocolType: g.protocolType ?? '' };
  }

  /**
   * Kafka's OffsetDelete checks (ClassicGroup.validateOffsetDelete, isSubscribedToTopic): undefined
   * when the coordinator does not track the group (the caller decides from the offsets); an error
   * code for a group with members that is not a consumer group; else which topics its members
   * subscribe to (unknown topics count as subscribed for a consumer group, as in Kafka).
   */
  offsetDeleteCheck(groupId: string): { errorCode: number; isSubscribed: (topic: string) => boolean } | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
    const errorCode = g.state !== 'Empty' && !consumer ? ErrorCode.NON_EMPTY_GROUP : ErrorCode.NONE;
    const topics = g.subscribedTopics;
    return { errorCode, isSubscribed: (topic) => (topics ? topics.has(topic) : consumer) };
  }

  /** Kafka's validateDeleteGroup, then forgets the group: NONE, or NON_EMPTY_GROUP while it has members. */
  deleteGroup(groupId: string): number {
    const g = this.groups.get(groupId);
    if (g && g.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    if (g) {
      clearTimeout(g.rebalanceTimer);
      this.groups.delete(groupId);
      this.logger.info(`group ${groupId} deleted`);
    }
    return ErrorCode.NONE;
  }

  get isActive(): boolean {
    return !this.closed;
  }

  get offsetStore(): OffsetStore {
    return this.offsets;
  }

  /** Shutdown: answers every parked join and sync, stops every timer. */
  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) {
      clearTimeout(group.rebalanceTimer);
      for (const m of group.members.values()) {
        clearTimeout(m.sessionTimer);
        m.pendingJoin?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.pendingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
        m.pendingJoin = undefined;
        m.pendingSync = undefined;
      }
    }
  }

  private touch(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    if (member.pendingJoin) return; // a member waiting in JoinGroup is bounded by the rebalance timeout instead
    member.sessionTimer = setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return;
      this.removeMember(group, member, `missed its ${member.sessionTimeoutMs} ms session timeout`);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private removeMember(group: Group, member: Member, why: string): void {
    clearTimeout(member.sessionTimer);
    group.members.delete(member.memberId);
    member.pendingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.pendingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.pendingJoin = undefined;
    member.pendingSync = undefined;
    this.logger.info(`group ${group.id}: member ${member.memberId} ${why}`);
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
    if (group.members.size === 0) {
      clearTimeout(group.rebalanceTimer);
      group.state = 'Empty';
      group.generationId++;
      group.protocolName = null;
      group.subscribedTopics = computeSubscribedTopics(group.protocolType, group.protocolName, [...group.members.values()]);
      return;
    }
    if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    else this.prepareRebalance(group, `member ${member.memberId} ${why}`);
  }

  private prepareRebalance(group: Group, why: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.pendingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.pendingSync = undefined;
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    clearTimeout(group.rebalanceTimer);
    this.logger.info(`group ${group.id}: preparing rebalance (${why})`);
    let rebalanceTimeoutMs = 0;
    for (const m of group.members.values()) rebalanceTimeoutMs = Math.max(rebalanceTimeoutMs, m.rebalanceTimeoutMs);
    if (wasEmpty && this.config.groupInitialRebalanceDelayMs > 0) {
      // Kafka's InitialDelayedJoin: let more members of a starting group arrive before the first assignment
      group.initialDelay = true;
      group.rebalanceTimer = setTimeout(() => {
        group.initialDelay = false;
        this.tryCompleteJoin(group);
        if (group.state === 'PreparingRebalance') this.armRebalanceTimeout(group, rebalanceTimeoutMs);
      }, Math.min(this.config.groupInitialRebalanceDelayMs, rebalanceTimeoutMs));
      group.rebalanceTimer.unref();
      return;
    }
    this.armRebalanceTimeout(group, rebalanceTimeoutMs);
  }

  private armRebalanceTimeout(group: Group, rebalanceTimeoutMs: number): void {
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), Math.max(rebalanceTimeoutMs, 1));
    group.rebalanceTimer.unref();
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelay) return;
    for (const m of group.members.values()) if (!m.pendingJoin) return;
    this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.rebalanceTimer);
    group.initialDelay = false;
    for (const m of [...group.members.values()]) {
      if (!m.pendingJoin) {
        clearTimeout(m.sessionTimer);
        group.members.delete(m.memberId);
        this.logger.info(`group ${group.id}: member ${m.memberId} did not rejoin within the rebalance timeout`);
      }
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.leaderId = null;
      group.protocolName = null;
      group.subscribedTopics = computeSubscribedTopics(group.protocolType, group.protocolName, [...group.members.values()]);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value!;
    group.protocolName = selectProtocol([...group.members.values()]);
    group.subscribedTopics = computeSubscribedTopics(group.protocolType, group.protocolName, [...group.members.values()]);
    group.state = 'CompletingRebalance';
    const leader = group.leaderId;
    const all = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
    }));
    for (const m of group.members.values()) {
      const resolve = m.pendingJoin!;
      m.pendingJoin = undefined;
      this.touch(group, m);
      resolve({
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolName: group.protocolName,
        leader,
        memberId: m.memberId,
        members: m.memberId === leader ? all : [],
      });
    }
  }
}
