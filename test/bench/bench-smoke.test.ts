/**
 * The benchmark's contenders on a tiny world (3 services × 50 connections): the floor and the
 * monitor make exactly services pages + ceil(n/1000) per service, the naive peer more. Timings and
 * memory are the benchmark's business (`npm run bench`), never a test's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, changeOne, churn, countCalls, floorCalls, floorPass, monitorPass, naivePeerPass, seedWorld, warmViews, type World } from '../../bench/contenders.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { bundle, capturingOutput } from '../e2e/harness.js';

const credentials = { ak: 'SMOKEACCESSKEY0000001', sk: 'smoke-secret-key-00000000000000000000001', securityToken: 'smoke-token' };
const shape = { name: 'smoke', services: 3, connectionsPerService: 50 };

describe('bench contenders on 3 services × 50 connections', () => {
  let cloud: LocalCloud;
  let world: World;
  const floor = floorCalls([50, 50, 50]);

  beforeAll(async () => {
    cloud = await LocalCloud.start({ credentials: [credentials] });
    world = seedWorld(cloud, shape, credentials);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  const callsOf = async (work: () => Promise<unknown>) => {
    cloud.resetCalls();
    await capturingOutput([], work);
    return countCalls(cloud.calls);
  };

  it('counts the floor as one services page plus one page per service', async () => {
    expect(floor).toBe(4);
    expect(floorCalls([0, 1000, 1001])).toBe(1 + 1 + 1 + 2);
    const calls = await callsOf(() => floorPass(world));
    expect(calls).toMatchObject({ vpcep: floor, listServices: 1, listConnections: 3, obsRequests: 0 });
  });

  it('the monitor reads exactly the floor, and a quiet pass writes nothing to OBS', async () => {
    const baseline = await callsOf(() => monitorPass(bundle.handler, world, 'smoke/', 'smoke-baseline'));
    expect(baseline.vpcep).toBe(floor);
    expect(cloud.getObject(BUCKET, 'smoke/state.json')).toBeDefined();

    const quiet = await callsOf(() => monitorPass(bundle.handler, world, 'smoke/', 'smoke-quiet'));
    expect(quiet.vpcep).toBe(floor);
    expect(quiet.obsWrites).toBe(0);
  });

  it('one changed connection and a 2% churn change what they say, and their passes write what OBS received', async () => {
    await callsOf(() => monitorPass(bundle.handler, world, 'churn/', 'churn-baseline'));
    const statuses = () => world.serviceIds.flatMap((id) => cloud.listConnections(id).map((connection) => connection.status));
    const before = statuses();
    expect(changeOne(cloud, world)).toBe(1);
    const afterOne = statuses();
    expect(afterOne.filter((status, i) => status !== before[i])).toEqual(['pendingAcceptance']);
    await warmViews(world);
    const one = await callsOf(() => monitorPass(bundle.handler, world, 'churn/', 'churn-one'));
    const puts = cloud.calls.filter((call) => call.service === 'obs' && call.method === 'PUT');
    expect(puts.length).toBeGreaterThan(0);
    expect(one.obsBytesWritten).toBe(puts.reduce((n, call) => n + call.bodyBytes, 0));
    expect(one.obsBytesWritten).toBeGreaterThan(0);

    // Every 50th of 50 connections: the last of each service.
    expect(churn(cloud, world, 50, 0)).toBe(3);
    const afterChurn = statuses();
    expect(afterChurn.flatMap((status, i) => (status !== afterOne[i] ? [[i % 50, status]] : []))).toEqual([[49, 'creating'], [49, 'creating'], [49, 'creating']]);
    expect(churn(cloud, world, 50, 1)).toBe(3);
    expect(statuses()).toEqual(afterOne);
  });

  it('the naive peer pages 10 at a time and rewrites its snapshot every pass', async () => {
    const first = await callsOf(() => naivePeerPass(world, 'naive/state.json'));
    const quiet = await callsOf(() => naivePeerPass(world, 'naive/state.json'));
    // 3 services fit one default page; 50 connections take 5 pages each.
    expect(first.vpcep).toBe(1 + 3 * 5);
    expect(quiet.vpcep).toBeGreaterThan(floor);
    expect(quiet.obsWrites).toBe(1);
    expect(cloud.objectWrites(BUCKET, 'naive/state.json')).toBe(2);
  });
});
