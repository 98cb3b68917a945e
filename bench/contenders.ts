/**
 * What the benchmark races, as plain functions of a world seeded in a LocalCloud: the floor, the
 * naive peer and the monitor's bundle. `bench.ts` runs each in its own child process (for a clean
 * peak RSS); the smoke test runs them in-process on a tiny world.
 */
import type { FunctionGraphContext, Summary } from '../functions/connection-monitor/index.js';
import { functionGraphContext, timerEvent } from '../lib/cli/function-context.js';
import type { ApiCall, LocalCloud } from '../lib/emulator/index.js';
import { UNLIMITED } from '../lib/huaweicloud/budget.js';
import { ObsStore } from '../lib/huaweicloud/obs.js';
import { SignedClient } from '../lib/huaweicloud/signed-client.js';
import { MAX_PAGE_SIZE, VpcepClient } from '../lib/huaweicloud/vpcep.js';
import { createLimiter } from '../lib/monitor/limiter.js';
import { naivePass } from './naive-peer.js';

export interface Shape {
  name: string;
  services: number;
  connectionsPerService: number;
}

/** Everything a child process needs to reach the parent's local cloud. */
export interface World {
  projectId: string;
  region: string;
  endpoints: { vpcep: string; smn: string; obs: string; cts: string };
  credentials: { ak: string; sk: string; securityToken: string };
  bucket: string;
  topicUrn: string;
  /** In the order VPCEP lists them. */
  serviceIds: string[];
}

export type Handler = (event: unknown, context: FunctionGraphContext) => Promise<Summary>;

export const BUCKET = 'bench-state';

/** A million connections take the emulator about 11 s and 1 GB to seed; copies of each would double both. */
export function seedWorld(cloud: LocalCloud, shape: Shape, credentials: World['credentials']): World {
  cloud.createBucket(BUCKET);
  const topicUrn = cloud.createTopic('bench-alerts');
  const serviceIds: string[] = [];
  for (let i = 0; i < shape.services; i++) {
    const { id } = cloud.addService({ name: `bench-${i}` });
    cloud.seedConnections(id, shape.connectionsPerService, { description: 'consumer endpoint, ticket OPS-1182' });
    serviceIds.push(id);
  }
  return { projectId: cloud.projectId, region: cloud.region, endpoints: { ...cloud.endpoints }, credentials, bucket: BUCKET, topicUrn, serviceIds };
}

/**
 * One connection of the first service asks to connect again (`pendingAcceptance`): the smallest
 * change a run can find, which alerts once. Returns how many connections changed.
 */
export function changeOne(cloud: LocalCloud, world: World): number {
  const serviceId = world.serviceIds[0]!;
  const ids = cloud.connectionIds(serviceId);
  cloud.setStatus(serviceId, ids[Math.floor(ids.length / 2)]!, 'pendingAcceptance');
  return 1;
}

/**
 * Every `every`th connection of every service (2% at 50) changes status, spread evenly over the
 * pages. They move between `accepted` and `creating`, statuses nobody is alerted about by default,
 * so the pass measures the state and the trail rather than thousands of SMN messages; `round`
 * alternates the direction so each churn changes them again. `'rejected'` is the alert storm: every
 * one of them alerts. Returns how many changed.
 */
export function churn(cloud: LocalCloud, world: World, every: number, round: number | 'rejected'): number {
  const status = round === 'rejected' ? 'rejected' : round % 2 === 0 ? 'creating' : 'accepted';
  let changed = 0;
  for (const serviceId of world.serviceIds) {
    const ids = cloud.connectionIds(serviceId);
    for (let i = every - 1; i < ids.length; i += every) {
      cloud.setStatus(serviceId, ids[i]!, status);
      changed += 1;
    }
  }
  return changed;
}

/**
 * A change drops the emulator's sorted view of the service; one small page per service builds it
 * again here, so the pass timed next does not wait for the emulator to sort a million connections.
 */
export async function warmViews(world: World): Promise<void> {
  const vpcep = new VpcepClient(new SignedClient({ endpoint: world.endpoints.vpcep, credentials: world.credentials, budget: UNLIMITED }), world.projectId);
  for (const serviceId of world.serviceIds) await vpcep.listConnections(serviceId, 0, 1);
}

/**
 * The floor: every page once, at limit=1000, signed, through the monitor's own VPCEP adapter, and
 * nothing else: no state, no diff. With `inFlight` 1 (the floor every ratio is taken against) in
 * order; with 4, the same reads overlapped the way the monitor overlaps them (every service's first
 * page, then the rest of its pages at once, four requests in flight in all), to show what the
 * overlap itself costs in CPU.
 */
export async function floorPass(world: World, inFlight = 1): Promise<{ pages: number; connections: number }> {
  const vpcep = new VpcepClient(new SignedClient({ endpoint: world.endpoints.vpcep, credentials: world.credentials, budget: UNLIMITED }), world.projectId);
  let pages = 0;
  let connections = 0;
  const read = async (serviceId: string, offset: number): Promise<number> => {
    const page = await limit(() => vpcep.listConnections(serviceId, offset, MAX_PAGE_SIZE));
    pages += 1;
    connections += page.connections.length;
    return page.totalCount;
  };
  const limit = createLimiter(inFlight);
  const services = await vpcep.listServices();
  if (inFlight === 1) {
    for (const service of services) {
      const total = await read(service.id, 0);
      for (let offset = MAX_PAGE_SIZE; offset < total; offset += MAX_PAGE_SIZE) await read(service.id, offset);
    }
  } else {
    await Promise.all(services.map(async (service) => {
      const total = await read(service.id, 0);
      const rest: Promise<number>[] = [];
      for (let offset = MAX_PAGE_SIZE; offset < total; offset += MAX_PAGE_SIZE) rest.push(read(service.id, offset));
      await Promise.all(rest);
    }));
  }
  return { pages, connections };
}

const NAIVE_MAX_OBJECT_BYTES = 1024 * 1024 * 1024;

export function naivePeerPass(world: World, key: string): Promise<{ connections: number; changes: number }> {
  const vpcep = new SignedClient({ endpoint: world.endpoints.vpcep, credentials: world.credentials, budget: UNLIMITED });
  // Its snapshot is the whole API objects: 29 MB at 100,000 connections, past the 16 MiB the
  // monitor allows itself for one object read whole. A yardstick, so it gets the room it needs.
  const objects = new ObsStore({ endpoint: world.endpoints.obs, bucket: world.bucket, credentials: world.credentials, budget: UNLIMITED, maxObjectBytes: NAIVE_MAX_OBJECT_BYTES });
  return naivePass(vpcep, objects, world.projectId, key);
}

/** The function's settings for one monitor, all of them pointing at the local cloud. */
export function monitorUserData(world: World, obsPrefix: string, logLevel = 'info'): Record<string, string> {
  return {
    HUAWEICLOUD_PROJECT_ID: world.projectId,
    HUAWEICLOUD_REGION: world.region,
    OBS_BUCKET: world.bucket,
    OBS_PREFIX: obsPrefix,
    SMN_TOPIC_URN: world.topicUrn,
    VPCEP_ENDPOINT: world.endpoints.vpcep,
    SMN_ENDPOINT: world.endpoints.smn,
    OBS_ENDPOINT: world.endpoints.obs,
    CTS_ENDPOINT: world.endpoints.cts,
    LOG_LEVEL: logLevel,
  };
}

/** One invocation of the bundled handler, as FunctionGraph makes it (timer event, agency credentials). */
export function monitorPass(handler: Handler, world: World, obsPrefix: string, requestId: string, logLevel = 'info'): Promise<Summary> {
  // FunctionGraph's longest timeout, so no budget cuts a pass short here.
  const context = functionGraphContext({ userData: monitorUserData(world, obsPrefix, logLevel), credentials: world.credentials, requestId, timeoutMs: 900_000 });
  return handler(timerEvent(), context);
}

/** The VPCEP calls of the floor: the services pages, then ceil(n/1000) per service (one when empty). */
export function floorCalls(connectionsPerService: readonly number[]): number {
  const servicePages = Math.max(1, Math.ceil(connectionsPerService.length / MAX_PAGE_SIZE));
  return connectionsPerService.reduce((sum, n) => sum + Math.max(1, Math.ceil(n / MAX_PAGE_SIZE)), servicePages);
}

export interface CallCounts {
  /** The reads a pass must make: the service listing and the connection pages (the floor's calls). */
  vpcep: number;
  /** What the door and attribution add (#20): whitelist reads (at most one per service per POSTURE_CHECK_INTERVAL) and CTS queries. */
  whitelistReads: number;
  ctsQueries: number;
  listServices: number;
  listConnections: number;
  /** PUT and DELETE: what OBS bills as write requests and what versioning keeps. */
  obsWrites: number;
  /** The bodies of those writes, as they arrived on the wire. */
  obsBytesWritten: number;
  obsRequests: number;
  smn: number;
}

export function countCalls(calls: readonly ApiCall[]): CallCounts {
  const count = (test: (call: ApiCall) => boolean): number => calls.reduce((n, call) => n + (test(call) ? 1 : 0), 0);
  return {
    vpcep: count((call) => call.service === 'vpcep' && call.api !== 'vpcep:permissions:list'),
    whitelistReads: count((call) => call.api === 'vpcep:permissions:list'),
    ctsQueries: count((call) => call.service === 'cts'),
    listServices: count((call) => call.api === 'vpcep:epservices:list'),
    listConnections: count((call) => call.api === 'vpcep:connections:list'),
    obsWrites: count((call) => call.service === 'obs' && (call.method === 'PUT' || call.method === 'DELETE')),
    obsBytesWritten: calls.reduce((n, call) => n + (call.service === 'obs' && call.method === 'PUT' ? call.bodyBytes : 0), 0),
    obsRequests: count((call) => call.service === 'obs'),
    smn: count((call) => call.service === 'smn'),
  };
}
