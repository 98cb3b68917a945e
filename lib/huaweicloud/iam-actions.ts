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
  /** Only with APPROVAL_MODE=enforce: accepting or rejecting a connection. */
  connectionAction: 'vpcep:connections:update',
  publish: 'smn:topic:publish',
  getObject: 'obs:object:GetObject',
  putObject: 'obs:object:PutObject',
  deleteObject: 'obs:object:DeleteObject',
  listObjects: 'obs:bucket:ListBucket',
  /** Only with METRICS_NAMESPACE set: custom metrics for Cloud Eye. */
  putMetricData: 'ces:metricData:create',
} as const;

