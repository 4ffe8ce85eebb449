/**
 * Who may describe or alter a config resource, as Kafka's ConfigHelper (DescribeConfigs) and
 * ControllerApis.authorizeAlterResource (AlterConfigs, IncrementalAlterConfigs): a topic needs the
 * operation on the topic (else TOPIC_AUTHORIZATION_FAILED), a group on the group (else
 * GROUP_AUTHORIZATION_FAILED), a broker, broker logger or client-metrics resource on the cluster
 * (else CLUSTER_AUTHORIZATION_FAILED). A resource type Kafka does not know is not checked here:
 * the handler refuses it as it does without an authorizer.
 */
import type { AclOperation } from '../auth/authorizer.js';
import { CLUSTER_NAME } from '../auth/authorizer.js';
import type { Session } from '../auth/session.js';
import { ResourceType } from '../protocol/describe-configs.js';
import { ErrorCode } from '../protocol/errors.js';

/** NONE when `session` may do `operation` on the resource, else the code Kafka answers with. */
export function configResourceAuthorization(session: Session, operation: 'DescribeConfigs' | 'AlterConfigs', resourceType: number, resourceName: string): number {
  const check = (type: 'Topic' | 'Group' | 'Cluster', name: string, denied: number) => (session.authorize(operation satisfies AclOperation, type, name) ? ErrorCode.NONE : denied);
  switch (resourceType) {
    case ResourceType.TOPIC:
      return check('Topic', resourceName, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    case ResourceType.GROUP:
      return check('Group', resourceName, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    case ResourceType.BROKER:
    case ResourceType.BROKER_LOGGER:
    case ResourceType.CLIENT_METRICS:
      return check('Cluster', CLUSTER_NAME, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    default:
      return ErrorCode.NONE;
  }
}

/** Kafka's messages for the three codes (Errors.*.message). */
export function authorizationMessage(errorCode: number): string {
  if (errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return 'Topic authorization failed.';
  if (errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED) return 'Group authorization failed.';
  return 'Cluster authorization failed.';
}
