/**
 * The default endpoint of each service in a region, as Huawei Cloud's official SDKs spell it. Most
 * regions live under `myhuaweicloud.com`; the exceptions below are the SDKs' own (their region
 * tables: huaweicloud-sdk-go-v3 `services/{vpcep/v1,smn/v2,ces/v1,cts/v3}/region/region.go`,
 * huaweicloud-sdk-python-v3 `huaweicloud-sdk-obs/huaweicloudsdkobs/v1/region/obs_region.py`).
 * `test/unit/region-endpoints.test.ts` holds this table to those files' entries.
 */
export type RegionalService = 'vpcep' | 'smn' | 'ces' | 'obs' | 'cts';

const DEFAULT_DOMAIN = 'myhuaweicloud.com';

// Europe's sovereign region is served under its own domain; SMN alone answers cn-north-2 under .cn.
const DOMAIN_EXCEPTIONS: Record<RegionalService, Readonly<Record<string, string>>> = {
  vpcep: { 'eu-west-101': 'myhuaweicloud.eu' },
  smn: { 'eu-west-101': 'myhuaweicloud.eu', 'cn-north-2': 'myhuaweicloud.cn' },
  ces: { 'eu-west-101': 'myhuaweicloud.eu' },
  obs: { 'eu-west-101': 'myhuaweicloud.eu' },
  cts: { 'eu-west-101': 'myhuaweicloud.eu' },
};

/** `https://{service}.{region}.{domain}`; a region the SDKs do not list gets `myhuaweicloud.com`. */
export function defaultEndpoint(service: RegionalService, region: string): string {
  return `https://${service}.${region}.${DOMAIN_EXCEPTIONS[service][region] ?? DEFAULT_DOMAIN}`;
}
