/** Hand-written fakes of the monitor's ports, for unit tests with plain data. */
import { createHash } from 'node:crypto';
import pino from 'pino';
import { Writable } from 'node:stream';
import type {
  Connection,
  ConnectionAction,
  CtsApi,
  CtsTrace,
  MetricsSink,
  ConnectionPage,
  SamePage,
  EndpointService,
  ObjectInfo,
  ObjectStore,
  PublishReceipt,
  Publisher,
  SmnMessage,
  StoredObject,
  VpcepApi,
} from '../lib/monitor/ports.js';

import type { AlertEvent } from '../lib/monitor/alerts.js';
import type { Metric } from '../lib/monitor/metrics.js';

/** What a test's checkpoint hook throws to stop a run dead between two steps, as a crash would. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export class FakeVpcep implements VpcepApi {
  services: EndpointService[] = [];
  connections = new Map<string, Connection[]>();
  calls: { serviceId: string; offset: number; limit: number }[] = [];
  /** Runs before each connections page is answered: lets a test move the list between pages. */
  beforePage?: (serviceId: string, offset: number) => void;
  failService = new Set<string>();
  actions: { serviceId: string; connectionId: string; action: ConnectionAction }[] = [];
  failActions = 0;

  async connectionAction(serviceId: string, connectionId: string, action: ConnectionAction): Promise<string> {
    this.actions.push({ serviceId, connectionId, action });
    if (this.failActions > 0) {
      this.failActions -= 1;
      throw new Error(`injected action failure for ${connectionId}`);
    }
    const connection = this.connections.get(serviceId)?.find((c) => c.id === connectionId);
    if (!connection) throw new Error(`no connection ${connectionId}`);
    connection.status = action === 'receive' ? 'accepted' : 'rejected';
    return connection.status;
  }

  /** How long listing the services takes, to let other work of the run go first. */
  listDelayMs = 0;

  /** Services that exist but a listing leaves out (an inconsistent read): `getService` still finds them. */
  unlisted = new Set<string>();
  /** What `getService` answers instead, e.g. a 503 error to throw. */
  getServiceFailure?: Error;
  getServiceCalls: string[] = [];

  async listServices(): Promise<EndpointService[]> {
    if (this.listDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.listDelayMs));
    return this.services.filter((service) => !this.unlisted.has(service.id)).map((service) => ({ ...service }));
  }

  async getService(serviceId: string): Promise<EndpointService | undefined> {
    this.getServiceCalls.push(serviceId);
    if (this.getServiceFailure) throw this.getServiceFailure;
    const service = this.services.find((s) => s.id === serviceId);
    return service && { ...service };
  }

  /** How a page at or past the end is answered. */
  pastEnd: 'empty page' | 'EndPoint.0010' = 'empty page';

  /** Answer with digests as the adapter does, and skip a page whose answer is the known one. */
  answerDigests = false;
  /** Pages answered whole (not `same`). */
  parsedPages = 0;

  listConnections(serviceId: string, offset: number, limit: number): Promise<ConnectionPage>;
  listConnections(serviceId: string, offset: number, limit: number, knownAnswer: string | undefined): Promise<ConnectionPage | SamePage>;
  async listConnections(serviceId: string, offset: number, limit: number, knownAnswer?: string): Promise<ConnectionPage | SamePage> {
    const page = await this.pageOf(serviceId, offset, limit);
    if (!this.answerDigests) return (this.parsedPages++, page);
    const answerDigest = createHash('sha256').update(JSON.stringify(page)).digest('hex').slice(0, 32);
    if (answerDigest === knownAnswer) return { same: true, answerDigest };
    this.parsedPages += 1;
    return { ...page, answerDigest };
  }

  private async pageOf(serviceId: string, offset: number, limit: number): Promise<ConnectionPage> {
    this.calls.push({ serviceId, offset, limit });
    this.beforePage?.(serviceId, offset);
    if (this.failService.has(serviceId)) throw new Error(`injected failure for ${serviceId}`);
    const all = this.connections.get(serviceId) ?? [];
    // VPCEP answers a page past the end empty, with the true total; the reference's stricter
    // reading refuses it with EndPoint.0010 (offset 0 of an empty list is fine either way).
    if (this.pastEnd === 'EndPoint.0010' && offset > 0 && offset >= all.length) {
      throw Object.assign(new Error('vpcep:connections:list failed: HTTP 400 EndPoint.0010 Invalid offset.'), { status: 400, code: 'EndPoint.0010' });
    }
    return { connections: all.slice(offset, offset + limit).map((c) => ({ ...c })), totalCount: all.length };
  }

  /** Each service's whitelist (`iam:domain::<id>` or `iam:domain::*`); a service not here has none. */
  permissions = new Map<string, string[]>();
  permissionCalls: string[] = [];
  /** What `listPermissions` throws instead, e.g. a 403 shaped like the adapter's. */
  permissionsFailure?: Error;

  async listPermissions(serviceId: string): Promise<string[]> {
    this.permissionCalls.push(serviceId);
    if (this.permissionsFailure) throw this.permissionsFailure;
    return [...(this.permissions.get(serviceId) ?? [])];
  }
}

/** CTS with traces a test puts in; `listTraces` answers those whose time falls in the window. */
export class FakeCts implements CtsApi {
  traces: CtsTrace[] = [];
  queries: { fromMs: number; toMs: number }[] = [];
  /** What `listTraces` throws instead, e.g. a 403 shaped like the adapter's. */
  failure?: Error;

  async listTraces(query: { fromMs: number; toMs: number }): Promise<CtsTrace[]> {
    this.queries.push(query);
    if (this.failure) throw this.failure;
    return this.traces.filter((trace) => {
      const at = Date.parse(trace.time);
      return at >= query.fromMs && at <= query.toMs;
    }).map((trace) => ({ ...trace, connectionIds: [...trace.connectionIds], user: { ...trace.user } }));
  }
}

export class FakeObjects implements ObjectStore {
  objects = new Map<string, string>();
  puts: string[] = [];

  async get(key: string): Promise<StoredObject | undefined> {
    const body = this.objects.get(key);
    return body === undefined ? undefined : { body, etag: createHash('md5').update(body).digest('hex') };
  }
  /** The body in small pieces, so that readers meet lines and characters cut across pieces. */
  async getStream(key: string): Promise<{ body: AsyncIterable<Uint8Array>; etag: string } | undefined> {
    const stored = await this.get(key);
    if (!stored) return undefined;
    const bytes = Buffer.from(stored.body, 'utf8');
    const body = (function* () {
      for (let at = 0; at < bytes.length; at += 7) yield bytes.subarray(at, at + 7);
    })();
    return { body: (async function* () { yield* body; })(), etag: stored.etag };
  }
  async head(key: string): Promise<string | undefined> {
    return (await this.get(key))?.etag;
  }
  async put(key: string, parts: string | readonly string[]): Promise<void> {
    const body = typeof parts === 'string' ? parts : parts.join('');
    this.puts.push(key);
    this.objects.set(key, body);
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield { key, size: this.objects.get(key)!.length, lastModified: '' };
    }
  }
}

export class FakePublisher implements Publisher {
  messages: SmnMessage[] = [];
  failNext = 0;
  /** Every publish attempted, accepted or not. */
  attempts: SmnMessage[] = [];
  /** Answers a publish with an error shaped like the SMN adapter's (status, code), or lets it through. */
  refuse?: (message: SmnMessage) => { status: number; code: string } | undefined;
  async publish(message: SmnMessage): Promise<PublishReceipt> {
    this.attempts.push(message);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('injected SMN failure');
    }
    const refusal = this.refuse?.(message);
    if (refusal) throw Object.assign(new Error(`smn:topic:publish failed: HTTP ${refusal.status} ${refusal.code}`), { ...refusal, requestId: 'req-1' });
    this.messages.push(message);
    return { messageId: `m${this.messages.length}`, requestId: undefined };
  }
}

export class FakeMetrics implements MetricsSink {
  sent: { namespace: string; metrics: readonly Metric[]; at: Date }[] = [];
  failing = false;
  async send(namespace: string, metrics: readonly Metric[], at: Date): Promise<void> {
    if (this.failing) throw Object.assign(new Error('ces:metricData:create failed: HTTP 503 CES.0001'), { status: 503 });
    this.sent.push({ namespace, metrics, at });
  }
}

export function connection(id: string, status: string, extra: Partial<Connection> = {}): Connection {
  return {
    id,
    status,
    domainId: 'domain-1',
    description: '',
    updatedAt: '2026-11-01T00:00:00Z',
    ...extra,
    errors: extra.errors ?? [],
  };
}

/** A logger that keeps its lines, so a test can read what was logged. */
export function memoryLogger(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'debug' }, stream), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** One alert event of an accepted connection that failed, as the delivery tests hand to the core. */
export function failedEvent(connectionId: string): AlertEvent {
  return {
    id: `evt-${connectionId}`,
    serviceId: 'svc-1',
    serviceName: 'payments',
    connectionId,
    domainId: 'domain-1',
    from: 'accepted',
    to: 'failed',
    at: '2026-11-25T11:59:00Z',
    detectedAt: '2026-11-25T12:00:00Z',
    description: '',
    errors: [],
  };
}

/** Everything an async iterable yields, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
