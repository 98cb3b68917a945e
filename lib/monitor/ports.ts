/**
 * What the monitor needs from the world, declared by the monitor: the domain types it reasons
 * about and the few operations it calls. The Huawei Cloud adapters (`lib/huaweicloud`) implement
 * these shapes without importing them; the handler wires one to the other, and the compiler checks
 * the fit there. Tests pass hand-written fakes of the same shapes.
 */
import type { Logger } from 'pino';
import type { Metric } from './metrics.js';

// ---- the domain -------------------------------------------------------------------------------

/** One error a failed connection reports. */
export interface ConnectionError {
  code: string;
  message: string;
}

/** A consumer's VPC endpoint connected to one of our endpoint services. */
export interface Connection {
  /** The consumer's VPC endpoint id. */
  id: string;
  /** Any string VPCEP sends; unknown values are carried through, not rejected. */
  status: string;
  /** The consumer's account: written by another tenant, untrusted. */
  domainId: string;
  /** Set by the consumer: untrusted, bounded to the API's 512 characters. */
  description: string;
  updatedAt: string;
  errors: readonly ConnectionError[];
}

export interface EndpointService {
  id: string;
  name: string;
  /** VPCEP's approval_enabled from the service listing (or the one-service query); undefined when the answer did not carry it. */
  approvalEnabled?: boolean;
}

// ---- VPCEP ------------------------------------------------------------------------------------

/** VPCEP's largest page: a pass costs ceil(n / 1000) list calls per service. */
export const CONNECTIONS_PAGE_SIZE = 1000;

export interface ConnectionPage {
  connections: Connection[];
  /** The whole list's length when this page was read: it moves when the list does. */
  totalCount: number;
  /** A digest of VPCEP's answer byte for byte, when the adapter took one: what `knownAnswer` names next time. */
  answerDigest?: string;
}

/** VPCEP answered exactly as when `knownAnswer` was taken: nothing of it was decoded or parsed. */
export interface SamePage {
  same: true;
  answerDigest: string;
}

/** VPCEP spells accept `receive`. */
export type ConnectionAction = 'receive' | 'reject';

export interface VpcepApi {
  /** Every service, each once. It may miss one (an inconsistent read): `getService` tells. */
  listServices(): Promise<EndpointService[]>;
  /** One service; `undefined` only when VPCEP answers that it does not exist (404). */
  getService(serviceId: string): Promise<EndpointService | undefined>;
  listConnections(serviceId: string, offset: number, limit: number): Promise<ConnectionPage>;
  /** With the digest of the answer read last time: a `SamePage` when the answer is byte for byte that one. */
  listConnections(serviceId: string, offset: number, limit: number, knownAnswer: string | undefined): Promise<ConnectionPage | SamePage>;
  /** Accepts or rejects one connection; resolves with the status VPCEP reports afterwards. */
  connectionAction(serviceId: string, connectionId: string, action: ConnectionAction): Promise<string>;
  /**
   * Every whitelist entry of the service (`iam:domain::<domain id>` or `iam:domain::*`), all pages
   * (limit 500), as VPCEP spells them. Some pages of the reference show the open entry as a bare
   * `*`: read both as "every account".
   */
  listPermissions(serviceId: string): Promise<string[]>;
}

// ---- CTS --------------------------------------------------------------------------------------

/** One Cloud Trace Service record of an accept or reject: who did it, when, from where. */
export interface CtsTrace {
  traceId: string;
  /** ISO 8601, from the trace's `time` (ms). */
  time: string;
  /** `serviceConnectionsAction`. */
  traceName: string;
  /** The endpoint service id the trace is about (resource_id). */
  resourceId: string;
  /** Consumer endpoint ids named in the request body (`endpoints`), empty when the body could not be read. */
  connectionIds: string[];
  /** `receive` or `reject` from the request body, when present. */
  action?: string;
  user: { name: string; type?: string; accountName?: string; accountId?: string };
  sourceIp?: string;
}

export interface CtsApi {
  /** VPCEP's serviceConnectionsAction traces (resource type EndpointService, trace_type system) from `fromMs` to `toMs`, every page. */
  listTraces(query: { fromMs: number; toMs: number }): Promise<CtsTrace[]>;
}

/**
 * Where the adapters say that the service throttled a call (HTTP 429, `APIGW.0308`,
 * `EndPoint.0022`), every throttled answer, also those the retries absorb before the call succeeds:
 * the scan's in-flight limit halves on it. The handler wires the adapters' side.
 */
export interface ThrottleSignal {
  /** Calls `listener` with the call's name on every throttled answer; returns the way to stop. */
  subscribe(listener: (api: string) => void): () => void;
}

// ---- OBS --------------------------------------------------------------------------------------

export interface StoredObject {
  body: string;
  etag: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: string;
}

/** Keys are full object keys (see `keys.ts` for the bucket's layout). */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  /** The object's body as it arrives, for objects too large to hold twice (the state). */
  getStream(key: string): Promise<{ body: AsyncIterable<Uint8Array | string>; etag: string } | undefined>;
  /** The object's ETag without its body, or `undefined` when there is no such object. */
  head(key: string): Promise<string | undefined>;
  /** The body is one string, or parts whose concatenation it is (sent without joining them). */
  put(key: string, body: string | readonly string[], contentType?: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every object under `prefix`, in key order. */
  list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo>;
}

// ---- SMN --------------------------------------------------------------------------------------

export interface SmnMessage {
  subject: string;
  /** Plain text for every protocol, or... */
  message?: string;
  /** ...one text per protocol; SMN requires the `default` key. */
  structure?: { default: string } & Record<string, string>;
}

export interface PublishReceipt {
  messageId: string;
  requestId: string | undefined;
}

export interface Publisher {
  publish(message: SmnMessage): Promise<PublishReceipt>;
}

// ---- Cloud Eye --------------------------------------------------------------------------------

/** Custom metrics, best effort: a failure is logged and counted, never allowed near an alert. */
export interface MetricsSink {
  /** Sends every metric, collected at `at`, under `namespace` (already checked by the config). */
  send(namespace: string, metrics: readonly Metric[], at: Date): Promise<void>;
}

// ---- time -------------------------------------------------------------------------------------

/** The time a run may still spend on the network; 0 or less means start nothing new. */
export interface Budget {
  remainingMs(): number;
}

// ---- everything a run is given ----------------------------------------------------------------

export interface MonitorDeps {
  vpcep: VpcepApi;
  objects: ObjectStore;
  publisher: Publisher;
  /** Present when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
  /** Present when CTS_ATTRIBUTION is on. */
  cts?: CtsApi;
  logger: Logger;
  now: () => Date;
  /** Time left for reading the cloud; the handler derives it from FunctionGraph's remaining time. */
  budget: Budget;
  /** Throttled VPCEP reads, for the scan's in-flight limit; without it the limit only grows. */
  throttles?: ThrottleSignal;
  /**
   * Called between the steps that change something, with the step's name. Whatever it throws
   * stops the run on the spot, as if the process died there (no lease release, no clean-up):
   * tests use it to prove that dying at any point loses nothing. Production wires none.
   */
  checkpoint?: (step: Checkpoint) => void | Promise<void>;
}

export type Checkpoint = 'state-loaded' | 'lease-acquired' | 'audit-written' | 'outbox-saved' | 'published' | 'delivered-saved';

// ---- failures ---------------------------------------------------------------------------------

/**
 * What the monitor reads of a failed call. The adapters' errors (`lib/huaweicloud/errors.ts`)
 * carry the HTTP status, the service's own code (VPCEP `EndPoint.0010`, SMN `SMN.0006`, the
 * gateway's `APIGW.0308`) and the request id; a failure without a status never reached a service.
 */
export interface CallFailure {
  status?: number;
  code?: string;
  requestId?: string;
  message: string;
}

export function callFailure(error: unknown): CallFailure {
  const { status, code, requestId } = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  return {
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof code === 'string' && code !== '' ? { code } : {}),
    ...(typeof requestId === 'string' && requestId !== '' ? { requestId } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}
