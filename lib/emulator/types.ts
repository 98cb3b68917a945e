/**
 * The local cloud's public vocabulary: options, the world a test seeds (services, connections),
 * what went over the wire (ApiCall, PublishedMessage) and the faults a test can inject. Types only,
 * so every other module may import it without forming a circle.
 */

export type ServiceName = 'vpcep' | 'smn' | 'obs' | 'ces' | 'cts';

export interface CloudCredential {
  ak: string;
  sk: string;
  /** When set, every request made with this AK must carry and sign exactly this token. */
  securityToken?: string;
  /**
   * Who CTS names for what this key does (the trace's `user`). Default: with a security token the
   * function's agency (`AssumedAgency`, `{account}/vpcep-connection-monitor`), else an IAM user
   * named after the key (`User`).
   */
  user?: TraceUser;
}

/** A trace's `user`, as CTS reports the operator (CTS "Relationship Between IAM Identities and Operators"). */
export interface TraceUser {
  /** `User`, `AssumedAgency` or `ExternalUser`. */
  type?: string;
  /** An IAM user's name; `{account name}/{agency name}` for an agency. */
  name: string;
}

/** One CTS trace as ListTraces returns it (huaweicloud-sdk-go-v3 cts/v3 `Traces`, `UserInfo`). */
export interface EmulatedTrace {
  trace_id: string;
  trace_name: string;
  trace_rating: string;
  /** Where the call came from: `ApiCall`, `ConsoleAction` or `SystemAction`. */
  trace_type: string;
  service_type: string;
  resource_type: string;
  resource_id: string;
  resource_name: string;
  /** The request body as a string, as CTS keeps it. */
  request: string;
  response: string;
  code: string;
  /** Milliseconds. */
  time: number;
  record_time: number;
  user: { type?: string; name: string; domain: { id: string; name: string }; account_id: string };
  source_ip: string;
  request_id: string;
}

/** What a test may give a trace it records by hand; the rest is filled in as CTS would. */
export interface TraceSeed {
  serviceId: string;
  /** The body's `endpoints`; default none. */
  connectionIds?: string[];
  /** The body's `action`: `receive` or `reject`. */
  action?: string;
  user?: TraceUser;
  /** Default: now. */
  time?: Date;
  traceType?: 'ApiCall' | 'ConsoleAction' | 'SystemAction';
  sourceIp?: string;
  /** The request field verbatim, instead of the JSON of action and endpoints (to test a hostile body). */
  rawRequest?: string;
  traceName?: string;
}

/** One whitelist record of a service, as the permissions API returns it. */
export interface EmulatedPermission {
  id: string;
  /** `iam:domain::<domain id>` or `iam:domain::*`. */
  permission: string;
  permission_type: string;
  created_at: string;
}

/**
 * VPCEP's documents show two error bodies: the error-code page a flat
 * `{"error_code","error_msg"}`, the SDK models and the accept/reject page a nested
 * `{"error":{"code","message"}}`.
 */
export type VpcepErrorShape = 'flat' | 'nested';

/**
 * Cloud Eye's two documented v1 error bodies: `http_code` (the current error-code page:
 * `{"http_code","message":{"details","code"}}`) and `element` (older copies:
 * `{"code": <number>,"element","message","details":{"details","code"}}`).
 */
export type CesErrorShape = 'http_code' | 'element';

export interface LocalCloudOptions {
  /** Default 'ap-southeast-1'. */
  region?: string;
  /** Default a fixed 32-hex string. */
  projectId?: string;
  credentials: CloudCredential[];
  /** Base port; 0 (default) = ephemeral for all five. Otherwise vpcep=port, smn=port+1, obs=port+2, ces=port+3, cts=port+4. */
  port?: number;
  /** One port per listener (VPCEP, SMN, OBS, Cloud Eye, CTS), e.g. those of an earlier start; wins over `port`. */
  ports?: readonly number[];
  /** Drives created_at/updated_at, request-date skew checks and accept delays. Default: the real clock. */
  clock?: () => Date;
  /** The body shape of VPCEP's own errors (EndPoint.*); default 'flat'. Gateway errors keep APIG's shape. */
  vpcepErrorShape?: VpcepErrorShape;
  /** The body shape of Cloud Eye's own errors (ces.*); default 'http_code'. */
  cesErrorShape?: CesErrorShape;
  /**
   * How long a connection accepted with `receive` stays `creating` before it is `accepted`, in
   * milliseconds of `clock`; default 1500. `settleConnections()` completes them at once.
   */
  acceptDelayMs?: number;
  /**
   * How long after an operation CTS lists its trace, in milliseconds of `clock`; default 0. CTS
   * delivers traces with a lag ("a minute or two" is not unusual): a test sets this to see a
   * transition whose trace is not there yet. `setTraceDelay` changes it later.
   */
  traceDelayMs?: number;
  /**
   * Serve every host over https with the local cloud's own certificate (`test-certificate.ts`),
   * which no platform trusts: a client trusts it only through NODE_EXTRA_CA_CERTS or its own CA
   * option. Default false (plain http on loopback).
   */
  tls?: boolean;
}

export interface CloudEndpoints {
  vpcep: string;
  smn: string;
  /** OBS by IP: esdk-obs-nodejs then uses path style and S3's v2 signature. */
  obs: string;
  /**
   * The same OBS by host name, `http://obs.localhost:PORT`: esdk-obs-nodejs then uses
   * virtual-hosted buckets and OBS's own signature, as against the real cloud. The client must
   * resolve `*.localhost` to 127.0.0.1 itself (the product's ObsStore does).
   */
  obsHost: string;
  /** Cloud Eye. */
  ces: string;
  /** Cloud Trace Service. */
  cts: string;
}

export interface ConnectionError {
  error_code: string;
  error_message: string;
}

/** A connection as the VPCEP API returns it. */
export interface EmulatedConnection {
  id: string;
  marker_id: number;
  created_at: string;
  updated_at: string;
  domain_id: string;
  status: string;
  description: string;
  error?: ConnectionError[];
}

/** What a test may choose when seeding a connection; everything else is generated. */
export interface ConnectionSeed {
  id: string;
  domain_id: string;
  status: string;
  description: string;
  error: ConnectionError[];
  /** Truncated to whole seconds, as the API reports them. Default: clock(). */
  created_at: Date;
  /** Default: created_at. */
  updated_at: Date;
}

export interface ServiceSeed {
  id?: string;
  name?: string;
  approvalEnabled?: boolean;
}

export interface EmulatedService {
  id: string;
  name: string;
  /** The `service_name` the API reports: `{region}.{name}.{id}`. */
  serviceName: string;
  approvalEnabled: boolean;
  vpcId: string;
  createdAt: string;
}

/**
 * The part of the local cloud a `mutate` fault may change while a request is in flight. A narrow
 * interface rather than the LocalCloud class, so that this module needs nothing from index.ts.
 */
export interface CloudWorld {
  addService(input?: ServiceSeed): EmulatedService;
  addConnection(serviceId: string, fields?: Partial<ConnectionSeed>): EmulatedConnection;
  addConnections(serviceId: string, count: number, fields?: Partial<ConnectionSeed>): EmulatedConnection[];
  setStatus(serviceId: string, connectionId: string, status: string, error?: ConnectionError[]): void;
  removeConnection(serviceId: string, connectionId: string): void;
  removeService(serviceId: string): void;
  listConnections(serviceId: string): EmulatedConnection[];
  putObject(bucket: string, key: string, body: string | Buffer): void;
}

export interface PublishedMessage {
  topicUrn: string;
  subject?: string;
  message?: string;
  /** The parsed `message_structure` string. */
  messageStructure?: Record<string, string>;
  /** The request body as received. */
  raw: Record<string, unknown>;
  at: Date;
  messageId: string;
}

/** One Cloud Eye datum the local cloud accepted, as sent, with when it arrived. */
export interface ReceivedMetric {
  namespace: string;
  metricName: string;
  dimensions: { name: string; value: string }[];
  ttl: number;
  /** UNIX milliseconds, as sent. */
  collectTime: number;
  value: number;
  unit?: string;
  type?: 'int' | 'float';
  /** The emulator clock's time when the request was accepted. */
  receivedAt: Date;
}

export interface ApiCall {
  service: ServiceName;
  method: string;
  /** The path as it went over the wire (still percent-encoded). */
  path: string;
  /** Decoded query parameters; the first value wins when a key repeats. */
  query: Record<string, string>;
  /** 0 while unanswered, and for requests that were never answered (hang, reset). */
  status: number;
  /**
   * The IAM action of the call (see api-names.ts), e.g. 'vpcep:connections:list',
   * 'smn:topic:publish', 'obs:object:GetObject'; '<service>:unknown' for unrouted paths.
   */
  api: string;
  /** Lower-cased names, repeated headers joined with ', '. */
  headers: Record<string, string>;
  /**
   * The request body's size in bytes as it arrived on the wire, counted before any check; for a
   * body refused as too large, at least the bytes read before refusing it. 0 while unread.
   */
  bodyBytes: number;
  /** Why authentication failed, for debugging tests. Never contains signatures, keys or tokens. */
  authFailure?: string;
}

export interface FaultMatchRequest {
  path: string;
  query: Record<string, string>;
  method: string;
  /**
   * The body as received, undecoded. `body.includes('text')` finds UTF-8 text in it, e.g. a
   * connection id inside an SMN publish's escaped `message_structure`.
   */
  body: Buffer;
}

export type Fault = {
  service: ServiceName;
  /** Matches ApiCall.api; omitted = any. */
  api?: string;
  match?: (request: FaultMatchRequest) => boolean;
  /** How many matching requests it affects; default 1; Infinity allowed. */
  times?: number;
  /** Let this many matching requests through first; default 0. */
  skip?: number;
} & FaultAction;

export type FaultAction =
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: number }
  | { kind: 'hang' }
  | { kind: 'truncate' }
  | { kind: 'reset' }
  | { kind: 'malformed'; body: string }
  | { kind: 'mutate'; run: (world: CloudWorld) => void }
  | { kind: 'delay'; ms: number };
