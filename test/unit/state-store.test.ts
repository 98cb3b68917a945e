import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { OverlapError } from '../../lib/monitor/errors.js';
import { assertStateUnchanged } from '../../lib/monitor/state-store.js';
import { FakeObjects } from '../fakes.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const config = loadConfig((name) => ({ OBS_BUCKET: 'bucket', SMN_TOPIC_URN: `urn:smn:ap-southeast-1:${PROJECT}:alerts`, HUAWEICLOUD_PROJECT_ID: PROJECT })[name]);
const KEY = 'vpcep-monitor/state.json';

describe('assertStateUnchanged', () => {
  it('lets a run save when the state is the one it loaded', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    await expect(assertStateUnchanged(config, objects, (await objects.head(KEY))!)).resolves.toBeUndefined();
  });

  it('lets a first run save when there is still no state', async () => {
    await expect(assertStateUnchanged(config, new FakeObjects(), undefined)).resolves.toBeUndefined();
  });

  it('stops a run whose state another saved meanwhile, naming the state object', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    const etag = (await objects.head(KEY))!;
    objects.objects.set(KEY, 'saved by another');
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(OverlapError);
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(KEY);
  });

  it('stops a first run when another first run saved a state meanwhile', async () => {
    // No state was loaded, so there is no ETag: a state that appeared since is still a change.
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'saved by another first run');
    await expect(assertStateUnchanged(config, objects, undefined)).rejects.toThrow(OverlapError);
  });

  it('stops a run whose state was deleted meanwhile', async () => {
    const objects = new FakeObjects();
    objects.objects.set(KEY, 'loaded');
    const etag = (await objects.head(KEY))!;
    objects.objects.delete(KEY);
    await expect(assertStateUnchanged(config, objects, etag)).rejects.toThrow(OverlapError);
  });
});
