import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { defaultEndpoint, type RegionalService } from '../../lib/region-endpoints.js';

/**
 * The official SDKs' region tables, as read from the files each `source` names (repository, path,
 * commit): huaweicloud/huaweicloud-sdk-go-v3 services/vpcep/v1/region/region.go,
 * services/smn/v2/region/region.go, services/ces/v1/region/region.go, services/cts/v3/region/region.go, and
 * huaweicloud/huaweicloud-sdk-python-v3 huaweicloud-sdk-obs/huaweicloudsdkobs/v1/region/obs_region.py.
 */
const sdk = JSON.parse(readFileSync('test/fixtures/sdk-region-endpoints.json', 'utf8')) as Record<
  RegionalService,
  { source: { repo: string; path: string; commit: string }; endpoints: Record<string, string> }
>;

describe('defaultEndpoint', () => {
  for (const service of ['vpcep', 'smn', 'ces', 'obs', 'cts'] as const) {
    it(`agrees with every region of the SDK's ${service} table (${sdk[service].source.path})`, () => {
      const entries = Object.entries(sdk[service].endpoints);
      expect(entries.length).toBeGreaterThan(15);
      for (const [region, endpoint] of entries) expect(defaultEndpoint(service, region), region).toBe(endpoint);
    });
  }

  it('gives a region no SDK lists the usual domain', () => {
    expect(defaultEndpoint('vpcep', 'xx-new-1')).toBe('https://vpcep.xx-new-1.myhuaweicloud.com');
  });

  it('is what the config uses when no endpoint is set: eu-west-101 gets .myhuaweicloud.eu for all five', () => {
    const settings: Record<string, string> = {
      SMN_TOPIC_URN: 'urn:smn:eu-west-101:0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b:alerts',
      HUAWEICLOUD_PROJECT_ID: '0a5c1e3b7d9f4a2c8e6b0d1f3a5c7e9b',
      OBS_BUCKET: 'state',
    };
    const { endpoints } = loadConfig((name) => settings[name]);
    expect(endpoints).toEqual({
      vpcep: 'https://vpcep.eu-west-101.myhuaweicloud.eu',
      smn: 'https://smn.eu-west-101.myhuaweicloud.eu',
      obs: 'https://obs.eu-west-101.myhuaweicloud.eu',
      ces: 'https://ces.eu-west-101.myhuaweicloud.eu',
      cts: 'https://cts.eu-west-101.myhuaweicloud.eu',
    });
  });
});
