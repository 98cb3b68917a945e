/**
 * The benchmark's contenders on a tiny world (3 services × 50 connections): the floor and the
 * monitor make exactly services pages + ceil(n/1000) per service, the naive peer more. Timings and
 * memory are the benchmark's business (`npm run bench`), never a test's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, countCalls, floorCalls, floorPass, monitorPass, naivePeerPass, seedWorld, type World } from '../../bench/contenders.js';
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
