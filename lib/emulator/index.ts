import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultTable } from './faults';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http';
import { flattenHeaders, jsonResponse, Listener, queryRecord, readBody, send, sendTruncated, splitUrl } from './http';
import { ObsEndpoint } from './obs';
import { ObsStore } from './obs-store';
import { SmnEndpoint } from './smn';
import type {
  ApiCall,
  CloudCredential,
  ConnectionError,
  ConnectionSeed,
  EmulatedConnection,
  EmulatedService,
  Fault,
  LocalCloudOptions,
  PublishedMessage,
} from './types';
import { VpcepEndpoint } from './vpcep';
import { connectionToWire, serviceToPublic, VpcepStore } from './vpcep-store';

export type {
  ApiCall,
  CloudCredential,
  ConnectionError,
  ConnectionSeed,
  EmulatedConnection,
  EmulatedService,
  Fault,
  FaultAction,
  FaultMatchRequest,
  LocalCloudOptions,
  PublishedMessage,
  ServiceName,
} from './types';

export const DEFAULT_REGION = 'ap-southeast-1';
export const DEFAULT_PROJECT_ID = '0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b';

/**
 * A local Huawei Cloud: VPCEP, SMN and OBS on three loopback listeners, as strict as the real
 * services about signatures and parameters, with a world tests can seed and faults they can inject.
 */
export class LocalCloud {
  readonly region: string;
  readonly projectId: string;
  readonly endpoints: { vpcep: string; smn: string; obs: string } = { vpcep: '', smn: '', obs: '' };
  /** Every accepted SMN publish, in order. */
  readonly published: PublishedMessage[] = [];
  /** Every request received on any listener, in arrival order. */
  readonly calls: ApiCall[] = [];

  private readonly clock: () => Date;
  private readonly vpcepStore: VpcepStore;
  private readonly obsStore = new ObsStore();
  private readonly smn: SmnEndpoint;
  private readonly services: ServiceEndpoint[];
  private readonly faults = new FaultTable();
  private readonly listeners: Listener[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  private constructor(opts: LocalCloudOptions) {
    this.region = opts.region ?? DEFAULT_REGION;
    this.projectId = opts.projectId ?? DEFAULT_PROJECT_ID;
    this.clock = opts.clock ?? (() => new Date());
    const credentials = new Map<string, CloudCredential>();
    for (const credential of opts.credentials) {
      if (credentials.has(credential.ak)) throw new Error(`duplicate access key ${credential.ak}`);
      credentials.set(credential.ak, { ...credential });
    }
    const ctx: EmulatorContext = {
      region: this.region,
      projectId: this.projectId,
      credentials,
      now: () => this.clock(),
    };
    this.vpcepStore = new VpcepStore(this.region);
    this.smn = new SmnEndpoint(ctx, this.published);
    this.services = [new VpcepEndpoint(ctx, this.vpcepStore), this.smn, new ObsEndpoint(ctx, this.obsStore)];
  }

  static async start(opts: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(opts);
    const base = opts.port ?? 0;
    try {
      for (const [i, service] of cloud.services.entries()) {
        const listener = new Listener((req, res) => void cloud.onRequest(service, req, res));
        cloud.listeners.push(listener);
        const port = await listener.listen(base === 0 ? 0 : base + i);
        cloud.endpoints[service.name] = `http://127.0.0.1:${port}`;
      }
    } catch (err) {
      await cloud.stop();
      throw err;
    }
    return cloud;
  }

  /** Closes the listeners and destroys every open socket, hung requests included. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  // ---- seeding and changing the world -------------------------------------------------------

  /** approvalEnabled defaults to true: the monitor exists for services that need approval. */
  addService(input: { id?: string; name?: string; approvalEnabled?: boolean } = {}): EmulatedService {
    return serviceToPublic(this.vpcepStore.addService(input, this.clock()));
  }

  addConnections(serviceId: string, count: number, fields: Partial<ConnectionSeed> = {}): EmulatedConnection[] {
    const service = this.vpcepStore.requireService(serviceId);
    const now = this.clock();
    const added: EmulatedConnection[] = [];
    for (let i = 0; i < count; i++) added.push(connectionToWire(this.vpcepStore.addConnection(service, fields, now)));
    return added;
  }

  addConnection(serviceId: string, fields: Partial<ConnectionSeed> = {}): EmulatedConnection {
    return this.addConnections(serviceId, 1, fields)[0] as EmulatedConnection;
  }

  /** Replaces `error` with the one given (or removes it) and bumps updated_at by at least 1 s. */
  setStatus(serviceId: string, connectionId: string, status: string, error?: ConnectionError[]): void {
    const service = this.vpcepStore.requireService(serviceId);
    const connection = this.vpcepStore.requireConnection(service, connectionId);
    this.vpcepStore.setStatus(service, connection, status, this.clock(), error);
  }

  removeConnection(serviceId: string, connectionId: string): void {
    this.vpcepStore.removeConnection(this.vpcepStore.requireService(serviceId), connectionId);
  }

  removeService(serviceId: string): void {
    this.vpcepStore.removeService(serviceId);
  }

  /** Copies, in marker_id order. */
  listConnections(serviceId: string): EmulatedConnection[] {
    const service = this.vpcepStore.requireService(serviceId);
    return [...service.connections.values()].sort((a, b) => a.markerId - b.markerId).map(connectionToWire);
  }

  /** Returns the topic URN, `urn:smn:{region}:{projectId}:{name}`. */
  createTopic(name: string): string {
    return this.smn.createTopic(name);
  }

  createBucket(name: string): void {
    this.obsStore.createBucket(name);
  }

  // ---- what went over the wire --------------------------------------------------------------

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** The current version's bytes (a copy); undefined when absent or deleted. */
  getObject(bucket: string, key: string): Buffer | undefined {
    const version = this.obsStore.get(bucket, key);
    return version === undefined ? undefined : Buffer.from(version.body);
  }

  objectKeys(bucket: string, prefix = ''): string[] {
    return this.obsStore.sortedKeys(bucket).filter((k) => k.startsWith(prefix));
  }

  /** Seeds an object directly (e.g. corrupt state); counts as a write like any PUT. */
  putObject(bucket: string, key: string, body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    this.obsStore.put(bucket, key, bytes, 'application/octet-stream', this.clock());
  }

  /** How many versions the key has received (the bucket is versioned: each PUT is one). */
  objectWrites(bucket: string, key: string): number {
    return this.obsStore.writes(bucket, key);
  }

  // ---- fault injection ----------------------------------------------------------------------

  inject(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---- request pipeline ---------------------------------------------------------------------

  private async onRequest(service: ServiceEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const { rawPath, rawQuery } = splitUrl(req.url ?? '/');
    const api = service.classify(method, rawPath, rawQuery);
    const call: ApiCall = {
      service: service.name,
      method,
      path: rawPath,
      query: queryRecord(rawQuery),
      status: 0,
      api,
      headers: flattenHeaders(req),
    };
    this.calls.push(call);
    const answer = (response: EmulatorResponse, closeAfter = false): void => {
      call.status = response.status;
      send(res, response, closeAfter);
    };

    try {
      const body = await readBody(req, service.maxBodyBytes);
      if (body.kind === 'aborted') return;
      if (body.kind === 'too-large') {
        answer(service.tooLarge(), true);
        return;
      }
      const incoming: IncomingRequest = { method, rawPath, rawQuery, headers: { ...call.headers }, body: body.body };

      const fault = this.faults.take(service.name, api, { path: rawPath, query: { ...call.query }, method });
      switch (fault?.kind) {
        case undefined:
          break;
        case 'status':
          answer(service.faultResponse(fault.status, fault.body, fault.retryAfter));
          return;
        case 'hang':
          return; // until the client gives up or stop() destroys the socket
        case 'reset':
          req.socket.destroy();
          return;
        case 'malformed':
          answer(service.malformedResponse(fault.body));
          return;
        case 'truncate': {
          const response = service.handle(incoming, call);
          call.status = response.status;
          sendTruncated(res, response);
          return;
        }
        case 'mutate':
          fault.run(this);
          break;
        case 'delay':
          await this.sleep(fault.ms);
          if (this.stopped || res.destroyed) return;
          break;
      }
      answer(service.handle(incoming, call));
    } catch (err) {
      // A bug in the emulator (or a throwing mutate fault) must show up in the test, not hang it.
      if (!res.headersSent && !res.destroyed) {
        const message = err instanceof Error ? err.message : String(err);
        answer(jsonResponse(500, { error_code: 'EMULATOR.BUG', error_msg: message }, { 'X-Request-Id': randomUUID() }));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
