/** Keeping the local cloud across restarts: a world saved atomically and read back whole, or refused naming the field. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import { loadWorld, saveWorld, worldFilePath } from '../../lib/emulator/world-file.js';
import { apigFetch, obsClient, PERMANENT, startCloud } from './helpers.js';

let directory: string;
const clouds: LocalCloud[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'local-cloud-'));
});
afterEach(async () => {
  await Promise.all(clouds.splice(0).map((cloud) => cloud.stop()));
  await rm(directory, { recursive: true, force: true });
});

async function cloudWith(options: Parameters<typeof startCloud>[0] = {}): Promise<LocalCloud> {
  const cloud = await startCloud(options);
  clouds.push(cloud);
  return cloud;
}

test('a saved world comes back whole: services, connections, accepts in flight, topics, objects', async () => {
  let now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const first = await cloudWith({ projectId: 'a'.repeat(32), clock: () => now });
  const service = first.addService({ name: 'payments', approvalEnabled: false });
  const [failed, accepting] = first.addConnections(service.id, 2, { status: 'pendingAcceptance', description: 'partner' });
  first.setStatus(service.id, failed!.id, 'failed', [{ error_code: 'EndPoint.2014', error_message: 'No free IP addresses.' }]);
  first.acceptConnection(service.id, accepting!.id);
  first.createTopic('vpcep-alerts');
  first.createBucket('state-bucket');
  first.putObject('state-bucket', 'vpcep-monitor/state.json', '{"v":1}');
  await saveWorld(directory, first.exportWorld());

  const world = await loadWorld(directory);
  expect(world).toBeDefined();
  const second = await cloudWith({ projectId: world!.projectId, region: world!.region, clock: () => now });
  second.importWorld(world!);
  expect(second.listServices()).toEqual(first.listServices());
  expect(second.listConnections(service.id)).toEqual(first.listConnections(service.id));
  expect(second.listConnections(service.id).map((connection) => connection.status)).toEqual(['failed', 'creating']);
  now = new Date(now.getTime() + 2000);
  expect(second.listConnections(service.id).map((connection) => connection.status)).toEqual(['failed', 'accepted']);
  expect(second.getObject('state-bucket', 'vpcep-monitor/state.json')?.toString()).toBe('{"v":1}');

  // New connections continue the marker ids; the topic and the bucket answer over the wire.
  const added = second.addConnection(service.id);
  expect(added.marker_id).toBeGreaterThan(Math.max(failed!.marker_id, accepting!.marker_id));
  const publish = await apigFetch(second.endpoints.smn, {
    method: 'POST',
    path: `/v2/${second.projectId}/notifications/topics/urn:smn:${second.region}:${second.projectId}:vpcep-alerts/publish`,
    body: { message: 'hello' },
  });
  expect(publish.status).toBe(200);
  const obs = await obsClient(second.endpoints.obs, PERMANENT);
  expect((await obs.getObject({ Bucket: 'state-bucket', Key: 'vpcep-monitor/state.json' })).InterfaceResult.Content).toBe('{"v":1}');
  obs.close();
});

test('a world of another project is refused by importWorld', async () => {
  const cloud = await cloudWith();
  const world = { ...cloud.exportWorld(), projectId: 'b'.repeat(32) };
  expect(() => cloud.importWorld(world)).toThrow(/the world is of ap-southeast-1\/b{32}, this cloud serves ap-southeast-1\/0a5c/);
});

describe('the world file', () => {
  test('is absent at first, and replaced by rename, never left half-written', async () => {
    expect(await loadWorld(directory)).toBeUndefined();
    const cloud = await cloudWith();
    cloud.addService({ name: 'a' });
    await saveWorld(join(directory, 'nested'), cloud.exportWorld());
    await saveWorld(join(directory, 'nested'), cloud.exportWorld());
    expect(await readdir(join(directory, 'nested'))).toEqual(['local-cloud.json']);
    expect(JSON.parse(await readFile(worldFilePath(join(directory, 'nested')), 'utf8'))).toMatchObject({ schema: 'vpcep-local-cloud/v1' });
  });

  test.each([
    ['not JSON', '{"schema":', /local-cloud\.json: not valid JSON/],
    ['another schema', '{"schema":"something-else"}', /local-cloud\.json: schema must be "vpcep-local-cloud\/v1" \(this file says "something-else"\)/],
    [
      'a connection without a status',
      JSON.stringify({ schema: 'vpcep-local-cloud/v1', region: 'r', projectId: 'p', topics: [], buckets: [], services: [{ id: 's', name: 'n', approvalEnabled: true, vpcId: 'v', createdMs: 0, updatedMs: 0, connections: [{ id: 'c', markerId: 1, createdMs: 0, updatedMs: 0, domainId: 'd', description: '' }] }] }),
      /local-cloud\.json: services\[0\]\.connections\[0\]\.status must be a string/,
    ],
    ['topics that are not a list', JSON.stringify({ schema: 'vpcep-local-cloud/v1', region: 'r', projectId: 'p', services: [], buckets: [], topics: 'x' }), /topics must be an array/],
  ])('that is %s is refused, naming the file and the field', async (_what, text, message) => {
    await writeFile(worldFilePath(directory), text);
    await expect(loadWorld(directory)).rejects.toThrow(message);
  });
});
