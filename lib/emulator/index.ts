/**
 * A local Huawei Cloud: VPCEP, SMN, OBS, Cloud Eye and CTS on loopback listeners, as strict as the real services
 * about signatures and parameters, with a world tests can seed and change and faults they can
 * inject. The only cloud the tests, the bench and the demo ever talk to.
 */
import { createHash } from 'node:crypto';
import { BucketStore } from './bucket-store.js';
import { CesEndpoint } from './ces.js';
import { CtsEndpoint, CtsStore } from './cts.js';
import { FaultTable } from './faults.js';
import type { EmulatorContext, ServiceEndpoint } from './http.js';
import { Listener } from './http.js';
import { ObsEndpoint } from './obs.js';
import { OBS_HOST_NAME } from './obs-routes.js';
import { serveRequest, type PipelineHost } from './request-pipeline.js';
import { SmnEndpoint } from './smn.js';
import { TEST_LEAF_CERTIFICATE, TEST_LEAF_KEY } from './test-certificate.js';
import type {
  ApiCall,
  CloudCredential,
  CloudEndpoints,
  CloudWorld,
  ConnectionError,
  ConnectionSeed,
  EmulatedConnection,
  EmulatedService,
  EmulatedTrace,
  Fault,
  LocalCloudOptions,
  PublishedMessage,
  ReceivedMetric,
  ServiceName,
  ServiceSeed,
  TraceSeed,
  TraceUser,
} from './types.js';
import { VpcepEndpoint } from './vpcep.js';
import { connectionToWire, serviceToPublic, VpcepStore } from './vpcep-store.js';
import { WORLD_SCHEMA, type WorldSnapshot } from './world-snapshot.js';

export { API } from './api-names.js';
export { ctsRefused, offsetPastEndRefused, vpcepThrottled, whitelistRefused, type NamedFaultOptions } from './named-faults.js';
export { TRACE_RETENTION_MS } from './cts.js';
export { parseWorldSnapshot, WorldFileError, type WorldSnapshot } from './world-snapshot.js';
export { TEST_CA_CERTIFICATE } from './test-certificate.js';
export type {
  ApiCall,
  CloudCredential,
  CloudEndpoints,
  CesErrorShape,
  CloudWorld,
  ConnectionError,
  ConnectionSeed,
  EmulatedConnection,
  EmulatedPermission,
  EmulatedService,
  EmulatedTrace,
  Fault,
  FaultAction,
  FaultMatchRequest,
  LocalCloudOptions,
  PublishedMessage,
  ReceivedMetric,
  ServiceName,
  ServiceSeed,
  TraceSeed,
  TraceUser,
  VpcepErrorShape,
} from './types.js';

export const DEFAULT_REGION = 'ap-southeast-1';
export const DEFAULT_PROJECT_ID = '0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b';
const DEFAULT_ACCEPT_DELAY_MS = 1500;
/** The account's name in CTS traces (`user.domain.name`; an agency is `{account}/{agency}`). */
export const ACCOUNT_NAME = 'local-account';
/** Who the console acts as when no `--as` names somebody. */
export const CONSOLE_USER = 'local-admin';
// The console's operator, as CTS would see a browser session.
const CONSOLE_SOURCE_IP = '192.0.2.10';

/** A whitelist entry as VPCEP spells it: a domain id or `*` becomes `iam:domain::…`. */
export function permissionOf(entry: string): string {
  return entry.startsWith('iam:domain::') ? entry : `iam:domain::${entry}`;
}


export class LocalCloud implements CloudWorld {
  readonly region: string;
  readonly projectId: string;
  readonly endpoints: CloudEndpoints = { vpcep: '', smn: '', obs: '', obsHost: '', ces: '', cts: '' };
  /** Every accepted SMN publish, in order. */
  readonly published: PublishedMessage[] = [];
  /** Every Cloud Eye datum accepted, in arrival order. */
  readonly metrics: ReceivedMetric[] = [];
  /** Every request received on any listener, in arrival order. */
  readonly calls: ApiCall[] = [];

  private readonly clock: () => Date;
  private readonly acceptDelayMs: number;
  private readonly publishListeners = new Set<(message: PublishedMessage) => void>();
  private readonly refusalListeners = new Set<(call: ApiCall) => void>();
  private readonly vpcepStore: VpcepStore;
  private readonly ctsStore: CtsStore;
  private readonly credentials: ReadonlyMap<string, CloudCredential>;
  private readonly bucketStore = new BucketStore();
  private readonly smn: SmnEndpoint;
  private readonly services: ServiceEndpoint[];
  private readonly faults = new FaultTable();
  private readonly listeners: Listener[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  private constructor(options: LocalCloudOptions) {
    this.region = options.region ?? DEFAULT_REGION;
    this.projectId = options.projectId ?? DEFAULT_PROJECT_ID;
    this.clock = options.clock ?? (() => new Date());
    this.acceptDelayMs = options.acceptDelayMs ?? DEFAULT_ACCEPT_DELAY_MS;
    const credentials = new Map<string, CloudCredential>();
    for (const credential of options.credentials) {
      if (credentials.has(credential.ak)) throw new Error(`duplicate access key ${credential.ak}`);
      credentials.set(credential.ak, { ...credential });
    }
    const context: EmulatorContext = {
      region: this.region,
      projectId: this.projectId,
      // The emulator has no accounts: a stable 32-hex id derived from the project stands for its owner.
      domainId: createHash('sha256').update(`domain:${this.projectId}`).digest('hex').slice(0, 32),
      credentials,
      now: () => this.clock(),
    };
    this.credentials = credentials;
    this.vpcepStore = new VpcepStore(this.region);
    this.ctsStore = new CtsStore({ domainId: context.domainId, domainName: ACCOUNT_NAME });
    this.ctsStore.delayMs = options.traceDelayMs ?? 0;
    this.smn = new SmnEndpoint(context, (message) => {
      this.published.push(message);
      for (const listener of this.publishListeners) listener(message);
    });
    const vpcep = new VpcepEndpoint(context, this.vpcepStore, {
      errorShape: options.vpcepErrorShape ?? 'flat',
      acceptDelayMs: this.acceptDelayMs,
      onAction: ({ serviceId, connectionId, action, ak }) =>
        this.recordTrace({ serviceId, connectionIds: [connectionId], action, user: this.userOf(ak), traceType: 'ApiCall' }),
    });
    this.services = [
      vpcep,
      this.smn,
      new ObsEndpoint(context, this.bucketStore),
      new CesEndpoint(context, this.metrics, options.cesErrorShape),
      new CtsEndpoint(context, this.ctsStore),
    ];
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    const base = options.port ?? 0;
    const host: PipelineHost = {
      calls: cloud.calls,
      faults: cloud.faults,
      world: cloud,
      sleep: (ms) => cloud.sleep(ms),
      isStopped: () => cloud.stopped,
      refused: (call) => {
        for (const listener of cloud.refusalListeners) listener(call);
      },
    };
    try {
      for (const [index, service] of cloud.services.entries()) {
        const tls = options.tls ? { cert: TEST_LEAF_CERTIFICATE, key: TEST_LEAF_KEY } : undefined;
        const listener = new Listener((request, response) => void serveRequest(host, service, request, response), tls);
        cloud.listeners.push(listener);
        const port = await listener.listen(options.ports?.[index] ?? (base === 0 ? 0 : base + index));
        const scheme = tls ? 'https' : 'http';
        cloud.endpoints[service.name] = `${scheme}://127.0.0.1:${port}`;
        if (service.name === 'obs') cloud.endpoints.obsHost = `${scheme}://${OBS_HOST_NAME}:${port}`;
      }
    } catch (error) {
      await cloud.stop();
      throw error;
    }
    return cloud;
  }

  /** TLS handshakes each host completed (with `tls`); 0 over plain http. */
  handshakes(service: ServiceName): number {
    const index = this.services.findIndex((candidate) => candidate.name === service);
    return this.listeners[index]?.handshakes ?? 0;
  }

  /** Closes the listeners and destroys every open socket, hung requests included. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.listeners.map((listener) => listener.close()));
  }

  // ---- seeding and changing the world -------------------------------------------------------

  /** approvalEnabled defaults to true: the monitor exists for services that need approval. */
  addService(input: ServiceSeed = {}): EmulatedService {
    return serviceToPublic(this.vpcepStore.addService(input, this.clock()));
  }

  addConnections(serviceId: string, count: number, fields: Partial<ConnectionSeed> = {}): EmulatedConnection[] {
    const service = this.vpcepStore.requireService(serviceId);
    const now = this.clock();
    const added: EmulatedConnection[] = [];
    for (let i = 0; i < count; i++) added.push(connectionToWire(this.vpcepStore.addConnection(service, fields, now)));
    return added;
  }

  /**
   * As `addConnections`, returning no copies of what it added: a benchmark seeding a million
   * connections would spend most of its time and memory on wire copies it never reads.
   */
  seedConnections(serviceId: string, count: number, fields: Partial<ConnectionSeed> = {}): void {
    const service = this.vpcepStore.requireService(serviceId);
    const now = this.clock();
    for (let i = 0; i < count; i++) this.vpcepStore.addConnection(service, fields, now);
  }

  /** The service's connection ids in the order they were added, without copying the connections. */
  connectionIds(serviceId: string): string[] {
    return [...this.vpcepStore.requireService(serviceId).connections.keys()];
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

  /** Accepts as the API's `receive` does: `creating` now, `accepted` after the accept delay. */
  acceptConnection(serviceId: string, connectionId: string): void {
    const service = this.vpcepStore.requireService(serviceId);
    const connection = this.vpcepStore.requireConnection(service, connectionId);
    this.vpcepStore.beginAccept(service, connection, this.clock(), this.acceptDelayMs);
  }

  removeConnection(serviceId: string, connectionId: string): void {
    this.vpcepStore.removeConnection(this.vpcepStore.requireService(serviceId), connectionId);
  }

  removeService(serviceId: string): void {
    this.vpcepStore.removeService(serviceId);
  }

  // ---- who did it (CTS) and the door (approval, whitelist) ---------------------------------

  /** Accepts as the console does, and CTS records `user` (a name, or a name and type) doing it. */
  acceptAs(serviceId: string, connectionId: string, user: string | TraceUser = CONSOLE_USER): EmulatedTrace {
    this.acceptConnection(serviceId, connectionId);
    return this.recordTrace({ serviceId, connectionIds: [connectionId], action: 'receive', user: traceUser(user), traceType: 'ConsoleAction', sourceIp: CONSOLE_SOURCE_IP });
  }

  /** Rejects as the console does, and CTS records `user` doing it. */
  rejectAs(serviceId: string, connectionId: string, user: string | TraceUser = CONSOLE_USER): EmulatedTrace {
    this.setStatus(serviceId, connectionId, 'rejected');
    return this.recordTrace({ serviceId, connectionIds: [connectionId], action: 'reject', user: traceUser(user), traceType: 'ConsoleAction', sourceIp: CONSOLE_SOURCE_IP });
  }

  /** Records a trace as CTS would (any time within its seven days; older ones are never listed). */
  recordTrace(seed: TraceSeed): EmulatedTrace {
    const service = this.vpcepStore.service(seed.serviceId);
    return this.ctsStore.record(seed, service?.serviceName ?? '', this.clock());
  }

  /** The traces CTS lists now (recorded, and not past seven days), newest first. */
  traces(): EmulatedTrace[] {
    return this.ctsStore.retained(this.clock());
  }

  /** From now on, CTS records (and lists) a trace `ms` after its operation. */
  setTraceDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error('trace delay must be >= 0');
    this.ctsStore.delayMs = ms;
  }

  /** Switches connection approval on or off (`approval_enabled`), recorded as modifyEndpointService. */
  setApprovalEnabled(serviceId: string, enabled: boolean, user: string | TraceUser = CONSOLE_USER): void {
    this.vpcepStore.setApprovalEnabled(this.vpcepStore.requireService(serviceId), enabled, this.clock());
    this.recordTrace({ serviceId, traceName: 'modifyEndpointService', user: traceUser(user), traceType: 'ConsoleAction', rawRequest: JSON.stringify({ approval_enabled: enabled }) });
  }

  /** The service's whitelist, as `iam:domain::…` entries in the order they were added. */
  whitelist(serviceId: string): string[] {
    return this.vpcepStore.requireService(serviceId).permissions.map((record) => record.permission);
  }

  /**
   * Adds (or with `remove`, removes) whitelist entries: domain ids, `*` for every account, or
   * entries already spelt `iam:domain::…`. Recorded as servicePermissionAction. Returns the
   * entries that changed.
   */
  changeWhitelist(serviceId: string, action: 'add' | 'remove', entries: readonly string[], user: string | TraceUser = CONSOLE_USER): string[] {
    const service = this.vpcepStore.requireService(serviceId);
    const permissions = entries.map(permissionOf);
    const changed = permissions.filter((permission) =>
      action === 'add' ? this.vpcepStore.addPermission(service, permission, this.clock()) : this.vpcepStore.removePermission(service, permission));
    if (changed.length > 0) {
      this.recordTrace({ serviceId, traceName: 'servicePermissionAction', user: traceUser(user), traceType: 'ConsoleAction', rawRequest: JSON.stringify({ action, permissions: changed }) });
    }
    return changed;
  }

  /** Replaces the whole whitelist (no trace: a test's seed, not somebody's action). */
  setWhitelist(serviceId: string, entries: readonly string[]): void {
    const service = this.vpcepStore.requireService(serviceId);
    for (const permission of this.whitelist(serviceId)) this.vpcepStore.removePermission(service, permission);
    for (const entry of entries) this.vpcepStore.addPermission(service, permissionOf(entry), this.clock());
  }

  /** Who CTS names for a request signed with `ak` (CloudCredential.user, or a default). */
  private userOf(ak: string): TraceUser {
    const credential = this.credentials.get(ak);
    if (credential?.user !== undefined) return { ...credential.user };
    // FunctionGraph signs with its agency's temporary key; a key without a token is an IAM user's.
    return credential?.securityToken !== undefined
      ? { type: 'AssumedAgency', name: `${ACCOUNT_NAME}/vpcep-connection-monitor` }
      : { type: 'User', name: 'local-user' };
  }

  /** In creation order. */
  listServices(): EmulatedService[] {
    return this.vpcepStore.allServices().sort((a, b) => a.seq - b.seq).map(serviceToPublic);
  }

  /** Copies, in marker_id order, as the API would list them now (accepts that are due completed). */
  listConnections(serviceId: string): EmulatedConnection[] {
    this.vpcepStore.settle(this.clock());
    const service = this.vpcepStore.requireService(serviceId);
    return [...service.connections.values()].sort((a, b) => a.markerId - b.markerId).map(connectionToWire);
  }

  /**
   * Completes every accept still passing through `creating`, whatever the clock says; returns how
   * many. For tests that are not about the delay.
   */
  settleConnections(): number {
    return this.vpcepStore.settle();
  }

  /** Returns the topic URN, `urn:smn:{region}:{projectId}:{name}`. */
  createTopic(name: string): string {
    return this.smn.createTopic(name);
  }

  createBucket(name: string): void {
    this.bucketStore.createBucket(name);
  }

  /** Calls `listener` with every publish SMN accepts from now on; returns the way to stop. */
  onPublish(listener: (message: PublishedMessage) => void): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /**
   * Calls `listener` with every request refused for its signature; `call.authFailure` says why
   * (never a key, token or signature). Returns the unsubscribe function.
   */
  onAuthFailure(listener: (call: ApiCall) => void): () => void {
    this.refusalListeners.add(listener);
    return () => this.refusalListeners.delete(listener);
  }

  // ---- keeping the world --------------------------------------------------------------------

  exportWorld(): WorldSnapshot {
    return {
      schema: WORLD_SCHEMA,
      region: this.region,
      projectId: this.projectId,
      services: this.vpcepStore.exportServices(),
      topics: this.smn.topicNames(),
      buckets: this.bucketStore.exportBuckets(),
      traces: this.ctsStore.exportTraces(),
    };
  }

  /** Loads a world file into this (empty) cloud; start the cloud with the file's region and project. */
  importWorld(world: WorldSnapshot): void {
    if (world.region !== this.region || world.projectId !== this.projectId) {
      throw new Error(`the world is of ${world.region}/${world.projectId}, this cloud serves ${this.region}/${this.projectId}`);
    }
    this.vpcepStore.importServices(world.services);
    for (const topic of world.topics) this.smn.createTopic(topic);
    this.bucketStore.importBuckets(world.buckets);
    this.ctsStore.importTraces(world.traces ?? []);
  }

  // ---- what went over the wire --------------------------------------------------------------

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** The current version's bytes (a copy); undefined when absent or deleted. */
  getObject(bucket: string, key: string): Buffer | undefined {
    const version = this.bucketStore.get(bucket, key);
    return version === undefined ? undefined : Buffer.from(version.body);
  }

  objectKeys(bucket: string, prefix = ''): string[] {
    return this.bucketStore.sortedKeys(bucket).filter((key) => key.startsWith(prefix));
  }

  /** Seeds an object directly (e.g. corrupt state); counts as a write like any PUT. */
  putObject(bucket: string, key: string, body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    this.bucketStore.put(bucket, key, bytes, 'application/octet-stream', this.clock());
  }

  /** Deletes an object as a DELETE would (a delete marker on the versioned bucket), e.g. to tear a state. */
  deleteObject(bucket: string, key: string): void {
    this.bucketStore.delete(bucket, key);
  }

  /** How many versions the key has received (the bucket is versioned: each PUT is one). */
  objectWrites(bucket: string, key: string): number {
    return this.bucketStore.writes(bucket, key);
  }

  // ---- fault injection ----------------------------------------------------------------------

  inject(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
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

function traceUser(user: string | TraceUser): TraceUser {
  return typeof user === 'string' ? { type: 'User', name: user } : { ...user };
}
