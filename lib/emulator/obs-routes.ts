/**
 * Which OBS operation a request asks for, from its Host, method, path and sub-resources, in both
 * addressings: path style (`obs.{region}…/bucket/key`, what esdk-obs-nodejs uses with an IP
 * endpoint) and virtual-hosted (`bucket.obs.{region}…/key`, what it uses with a host name, as in
 * production). Only the operations the monitor uses are served; anything else (ACLs, multipart,
 * version listing…) is recorded as `obs:unknown` and answered 501.
 */
import { API, unknownApi } from './api-names.js';
import { parseQueryPairs, tryDecode } from './http.js';
import { isSubResource } from './obs-signature.js';

type ObjectApi = typeof API.putObject | typeof API.getObject | typeof API.getObjectVersion | typeof API.deleteObject;

export type ObsRoute =
  | { api: typeof API.listBucket | typeof API.headBucket; bucket: string }
  | { api: ObjectApi; bucket: string; key: string }
  | { api: string; unknown: true; invalidUri?: true };

const UNKNOWN = unknownApi('obs');

/**
 * The local OBS's host name, standing for `obs.{region}.myhuaweicloud.com`. Names under
 * `.localhost` are loopback by RFC 6761, so `http://obs.localhost:PORT` is a host name endpoint the
 * product may use over plain http; the client resolves `{bucket}.obs.localhost` to 127.0.0.1
 * itself, because glibc does not.
 */
export const OBS_HOST_NAME = 'obs.localhost';

/** The bucket a virtual-hosted request names in its Host (port ignored), or undefined for path style. */
function virtualHostBucket(host: string): string | undefined {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const suffix = `.${OBS_HOST_NAME}`;
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : undefined;
}

/** The request's path in path style, `/bucket/key`: what OBS signs (the canonical resource) in both addressings. */
export function pathStylePath(rawPath: string, host: string): string {
  const bucket = virtualHostBucket(host);
  return bucket === undefined ? rawPath : `/${bucket}${rawPath}`;
}

// Sub-resources select other operations; only these are meaningful on the object reads served here.
const READ_SUB_RESOURCES = ['versionid'];
const GET_SUB_RESOURCES = [
  'versionid', 'response-content-type', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding',
];

function objectApi(method: string, hasVersionId: boolean): ObjectApi | undefined {
  switch (method) {
    case 'PUT':
      return API.putObject;
    case 'GET':
    case 'HEAD':
      return hasVersionId ? API.getObjectVersion : API.getObject;
    case 'DELETE':
      return API.deleteObject;
    default:
      return undefined;
  }
}

export function routeObs(method: string, rawPath: string, rawQuery: string, host: string): ObsRoute {
  if (!rawPath.startsWith('/')) return { api: UNKNOWN, unknown: true, invalidUri: true };
  return routePathStyle(method, pathStylePath(rawPath, host), rawQuery);
}

function routePathStyle(method: string, rawPath: string, rawQuery: string): ObsRoute {
  const slash = rawPath.indexOf('/', 1);
  const bucket = tryDecode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
  const key = slash < 0 ? '' : tryDecode(rawPath.slice(slash + 1));
  if (bucket === undefined || key === undefined) return { api: UNKNOWN, unknown: true, invalidUri: true };
  const subResources = (parseQueryPairs(rawQuery) ?? []).map(([name]) => name.toLowerCase()).filter(isSubResource);
  if (bucket === '') return { api: UNKNOWN, unknown: true }; // ListBuckets
  if (key === '') {
    if (subResources.length > 0) return { api: UNKNOWN, unknown: true };
    if (method === 'GET') return { api: API.listBucket, bucket };
    if (method === 'HEAD') return { api: API.headBucket, bucket };
    return { api: UNKNOWN, unknown: true };
  }
  const allowed = method === 'GET' ? GET_SUB_RESOURCES : method === 'HEAD' ? READ_SUB_RESOURCES : [];
  if (subResources.some((name) => !allowed.includes(name))) return { api: UNKNOWN, unknown: true };
  const api = objectApi(method, subResources.includes('versionid'));
  return api === undefined ? { api: UNKNOWN, unknown: true } : { api, bucket, key };
}
