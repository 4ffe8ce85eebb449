/**
 * A small authorizer in Kafka's ACL vocabulary (StandardAuthorizer's rules): a request is allowed
 * when the principal is a super user (`super.users`), or some Allow rule matches and no Deny rule
 * does. A rule names a principal ("User:alice", or "User:*" for everyone), a host ("*" or an
 * address), operations, a resource type and a resource pattern: literal (the name, or "*" for all
 * of that type) or prefixed. As in Kafka, an allowed Read, Write, Delete or Alter implies
 * Describe, an allowed AlterConfigs implies DescribeConfigs, and All means every operation. With no
 * rule matching the answer is no (Kafka's allow.everyone.if.no.acl.found=false).
 *
 * The rules come from a JSON file (`authorizer.acl.file`), loaded at start:
 *   { "acls": [ { "principal": "User:alice", "operations": ["Write"], "resourceType": "Topic",
 *                 "patternType": "literal", "name": "orders" }, ... ] }
 * with optional "permission" ("Allow", the default, or "Deny") and "host" (default "*").
 */
import { StrataError } from '../../core/errors.js';
import { readBoundedRegularFile } from './credentials.js';

export const RESOURCE_TYPES = ['Topic', 'Group', 'Cluster', 'TransactionalId'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
export const OPERATIONS = ['All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite'] as const;
export type AclOperation = (typeof OPERATIONS)[number];
export type PatternType = 'literal' | 'prefixed';

/** Kafka's name of the one Cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster';
export const ACL_FILE_BYTES_MAX = 16 * 1024 * 1024;

export interface AclRule {
  principal: string;
  host: string;
  permission: 'Allow' | 'Deny';
  operations: ReadonlySet<AclOperation>;
  resourceType: ResourceType;
  patternType: PatternType;
  name: string;
}

/** Operations an Allow of the key also allows (Kafka's AclEntry implied operations). */
const IMPLIES: Partial<Record<AclOperation, readonly AclOperation[]>> = {
  Describe: ['Read', 'Write', 'Delete', 'Alter'],
  DescribeConfigs: ['AlterConfigs'],
};

export class AclAuthorizer {
  constructor(
    private readonly rules: readonly AclRule[],
    private readonly superUsers: ReadonlySet<string>,
  ) {}

  get ruleCount(): number {
    return this.rules.length;
  }

  authorize(principal: string, host: string, operation: AclOperation, type: ResourceType, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    let allowed = false;
    for (const rule of this.rules) {
      if (rule.resourceType !== type || !principalMatches(rule, principal) || !hostMatches(rule, host) || !nameMatches(rule, name)) continue;
      if (rule.permission === 'Deny') {
        if (rule.operations.has('All') || rule.operations.has(operation)) return false;
      } else if (!allowed) {
        allowed = allowsOperation(rule.operations, operation);
      }
    }
    return allowed;
  }

  /**
   * Whether the principal may do `operation` on some resource of `type` (Kafka's
   * authorizeByResourceType, used by InitProducerId: Write on any topic lets a producer be
   * idempotent). A Deny of the operation on every resource of the type ("*" or prefix "") says no.
   */
  authorizeAny(principal: string, host: string, operation: AclOperation, type: ResourceType): boolean {
    if (this.superUsers.has(principal)) return true;
    const matches = this.rules.filter((r) => r.resourceType === type && principalMatches(r, principal) && hostMatches(r, host));
    const deniedEverywhere = matches.some(
      (r) => r.permission === 'Deny' && (r.operations.has('All') || r.operations.has(operation)) && ((r.patternType === 'literal' && r.name === '*') || (r.patternType === 'prefixed' && r.name === '')),
    );
    return !deniedEverywhere && matches.some((r) => r.permission === 'Allow' && allowsOperation(r.operations, operation));
  }
}

function allowsOperation(ops: ReadonlySet<AclOperation>, operation: AclOperation): boolean {
  return ops.has('All') || ops.has(operation) || (IMPLIES[operation]?.some((o) => ops.has(o)) ?? false);
}

function principalMatches(rule: AclRule, principal: string): boolean {
  return rule.principal === principal || rule.principal === 'User:*';
}

function hostMatches(rule: AclRule, host: string): boolean {
  return rule.host === '*' || rule.host === host || (host.startsWith('::ffff:') && rule.host === host.slice(7));
}

function nameMatches(rule: AclRule, name: string): boolean {
  if (rule.patternType === 'prefixed') return name.startsWith(rule.name);
  return rule.name === '*' || rule.name === name;
}

/** `super.users`: principals separated by ';' (Kafka's form, since a DN holds commas). */
export function parseSuperUsers(text: string): Set<string> {
  const users = new Set<string>();
  for (const raw of text.split(';')) {
    const p = raw.trim();
    if (p === '') continue;
    checkPrincipal(p, (what) => new StrataError('INVALID_CONFIG', `super.users: "${p}": ${what}`));
    users.add(p);
  }
  return users;
}

function checkPrincipal(p: string, bad: (what: string) => Error): void {
  const colon = p.indexOf(':');
  if (colon <= 0 || colon === p.length - 1) throw bad('a principal is TYPE:NAME, e.g. User:alice');
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string, bad: (what: string) => Error): T {
  // Kafka's enums parse case-insensitively (AclOperation.fromString, ResourceType.fromString)
  const found = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (found === undefined) throw bad(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

export function parseAclRules(text: string, file: string): AclRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StrataError('INVALID_CONFIG', `${file}: not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { acls?: unknown }).acls)) {
    throw new StrataError('INVALID_CONFIG', `${file}: must be an object {"acls": [...]}`);
  }
  return (doc as { acls: unknown[] }).acls.map((raw, i) => parseRule(raw, (what) => new StrataError('INVALID_CONFIG', `${file}: acls[${i}]: ${what}`)));
}

function parseRule(raw: unknown, bad: (what: string) => Error): AclRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('must be an object');
  const r = raw as Record<string, unknown>;
  const known = new Set(['principal', 'host', 'permission', 'operations', 'resourceType', 'patternType', 'name']);
  for (const key of Object.keys(r)) if (!known.has(key)) throw bad(`unknown key "${key}" (known: ${[...known].join(', ')})`);
  if (typeof r.principal !== 'string') throw bad('principal must be a string such as "User:alice"');
  checkPrincipal(r.principal, bad);
  const host = r.host ?? '*';
  if (typeof host !== 'string' || host === '') throw bad('host must be "*" or an address');
  if (!Array.isArray(r.operations) || r.operations.length === 0) throw bad(`operations must be a non-empty array of ${OPERATIONS.join(', ')}`);
  const operations = new Set(r.operations.map((o) => oneOf(o, OPERATIONS, 'an operation', bad)));
  const resourceType = oneOf(r.resourceType, RESOURCE_TYPES, 'resourceType', bad);
  const patternType = oneOf(r.patternType ?? 'literal', ['literal', 'prefixed'] as const, 'patternType', bad);
  if (typeof r.name !== 'string') throw bad('name must be a string (a literal name, "*", or a prefix)');
  if (resourceType === 'Cluster' && !(patternType === 'literal' && (r.name === CLUSTER_NAME || r.name === '*'))) {
    throw bad(`a Cluster rule names the literal "${CLUSTER_NAME}"`);
  }
  return { principal: r.principal, host, permission: oneOf(r.permission ?? 'Allow', ['Allow', 'Deny'] as const, 'permission', bad), operations, resourceType, patternType, name: r.name };
}

export function loadAclAuthorizer(file: string, superUsers: ReadonlySet<string>): AclAuthorizer {
  return new AclAuthorizer(parseAclRules(readBoundedRegularFile(file, ACL_FILE_BYTES_MAX, 'ACL file'), file), superUsers);
}
