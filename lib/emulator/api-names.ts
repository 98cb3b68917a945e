/**
 * The names the local cloud records each request under (`ApiCall.api`) and matches faults by: the
 * IAM action that authorises the call, spelt as the product spells them in
 * `lib/huaweicloud/iam-actions.ts`. The emulator does not import the product (a product mistake
 * must not be able to hide in its own test double); `test/emulator/api-names.test.ts` holds the
 * two tables together instead.
 */
import type { ServiceName } from './types.js';

export const API = {
  listServices: 'vpcep:epservices:list',
  /** One service's details (404 when it does not exist). */
  getService: 'vpcep:epservices:get',
  listConnections: 'vpcep:connections:list',
  /** Accepting (`receive`) or rejecting a connection. */
  connectionAction: 'vpcep:connections:update',
  /** A service's whitelist (role-based name; identity policies: vpcep:endpointServices:listPermissions). */
  listPermissions: 'vpcep:permissions:list',
  publish: 'smn:topic:publish',
  /** QueryTopicDetail: `vpcep-monitor check` asks whether the topic exists. */
  getTopic: 'smn:topic:get',
  /** GET and HEAD of an object: OBS authorises reading an object's metadata as reading the object. */
  getObject: 'obs:object:GetObject',
  /** GET or HEAD with `versionId`: OBS has a separate action for reading an older version. */
  getObjectVersion: 'obs:object:GetObjectVersion',
  putObject: 'obs:object:PutObject',
  deleteObject: 'obs:object:DeleteObject',
  listBucket: 'obs:bucket:ListBucket',
  /** HEAD bucket; OBS's SDK guide names obs:bucket:HeadBucket for reading bucket metadata. */
  headBucket: 'obs:bucket:HeadBucket',
  /** Cloud Eye: adding custom metric data. */
  createMetricData: 'ces:metricData:create',
  /** Cloud Trace Service: ListTraces. */
  listTraces: 'cts:trace:list',
} as const;

/** What a request no route matched is recorded as, e.g. `vpcep:unknown`. */
export function unknownApi(service: ServiceName): string {
  return `${service}:unknown`;
}
