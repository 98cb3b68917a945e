/**
 * The fine-grained IAM actions behind each cloud call the monitor makes. Every adapter names the
 * action of the call it sends (errors say which permission a 403 is about), and the Terraform
 * module's agency policy is checked against this table, so the deployment grants exactly what the
 * code uses.
 */
export const IAM_ACTIONS = {
  listServices: 'vpcep:epservices:list',
  /**
   * One service's details: asked only for a service missing from a listing, to tell deleted
   * (404) from not listed this time. Role-based name (the identity-policy name is
   * vpcep:endpointServices:get, with this one as its alias).
   */
  getService: 'vpcep:epservices:get',
  listConnections: 'vpcep:connections:list',
  /**
   * Only with POSTURE_CHECK_INTERVAL on: a service's whitelist. Role-based name, as the module's
   * custom role (huaweicloud_identity_role) takes it; the identity-policy name is
   * vpcep:endpointServices:listPermissions, with this one as its alias (ListServicePermissionsDetails).
   */
  listPermissions: 'vpcep:permissions:list',
  /** Only with APPROVAL_MODE=enforce: accepting or rejecting a connection. */
  connectionAction: 'vpcep:connections:update',
  publish: 'smn:topic:publish',
  getObject: 'obs:object:GetObject',
  putObject: 'obs:object:PutObject',
  deleteObject: 'obs:object:DeleteObject',
  listObjects: 'obs:bucket:ListBucket',
  /** Only with METRICS_NAMESPACE set: custom metrics for Cloud Eye. */
  putMetricData: 'ces:metricData:create',
  /** Only with CTS_ATTRIBUTION on: who accepted or rejected a connection. */
  listTraces: 'cts:trace:list',
} as const;


/**
 * Actions only `vpcep-monitor check` uses, with the operator's own credentials: not part of what the
 * function needs, so not in its agency's policy.
 */
export const CHECK_IAM_ACTIONS = {
  getTopic: 'smn:topic:get',
} as const;
