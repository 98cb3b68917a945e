import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http';
import { parseQueryPairs, queryMap, tryDecode } from './http';
import type { ObsDialect } from './obs-signature';
import { headerPrefix, isSubResource, verifyObsSignature } from './obs-signature';
import type { ObjectVersion, ObsStore } from './obs-store';
import { lowerBound } from './obs-store';
import type { ApiCall } from './types';

// Path-style OBS (`/bucket/key`), speaking S3-compatible XML: esdk-obs-nodejs parses error bodies
// as <Error><Code/><Message/><RequestId/></Error> and takes VersionId, ETag and the request id from
// headers carrying the prefix of the dialect it signed with.

const MAX_LIST_KEYS = 1000;
const MAX_KEY_BYTES = 1024;
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

class ObsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ObsError';
  }
}

type Route =
  | { api: 'obs:listObjects' | 'obs:headBucket'; bucket: string }
  | { api: 'obs:putObject' | 'obs:getObject' | 'obs:headObject' | 'obs:deleteObject'; bucket: string; key: string }
  | { api: 'obs:unknown'; invalidUri?: true };

const OBJECT_APIS = { PUT: 'obs:putObject', GET: 'obs:getObject', HEAD: 'obs:headObject', DELETE: 'obs:deleteObject' } as const;
const BUCKET_APIS = { GET: 'obs:listObjects', HEAD: 'obs:headBucket' } as const;

// Sub-resources select other operations (ACLs, versions listing, multipart…) that the emulator
// does not implement; only these are meaningful on the operations it does.
const ALLOWED_SUB_RESOURCES: Record<string, readonly string[]> = {
  'obs:getObject': ['versionid', 'response-content-type', 'response-content-language', 'response-expires',
    'response-cache-control', 'response-content-disposition', 'response-content-encoding'],
  'obs:headObject': ['versionid'],
};

function route(method: string, rawPath: string, rawQuery: string): Route {
  const slash = rawPath.indexOf('/', 1);
  const bucket = tryDecode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
  const key = slash < 0 ? '' : tryDecode(rawPath.slice(slash + 1));
  if (!rawPath.startsWith('/') || bucket === undefined || key === undefined) return { api: 'obs:unknown', invalidUri: true };
  let r: Route;
  if (bucket === '') {
    r = { api: 'obs:unknown' }; // ListBuckets
  } else if (key === '') {
    const api = BUCKET_APIS[method as keyof typeof BUCKET_APIS];
    r = api === undefined ? { api: 'obs:unknown' } : { api, bucket };
  } else {
    const api = OBJECT_APIS[method as keyof typeof OBJECT_APIS];
    r = api === undefined ? { api: 'obs:unknown' } : { api, bucket, key };
  }
  const allowed = ALLOWED_SUB_RESOURCES[r.api] ?? [];
  for (const [name] of parseQueryPairs(rawQuery) ?? []) {
    if (isSubResource(name) && !allowed.includes(name.toLowerCase())) return { api: 'obs:unknown' };
  }
  return r;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function requestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function commonHeaders(dialect: ObsDialect): Record<string, string> {
  const prefix = headerPrefix(dialect);
  return {
    Server: 'OBS',
    [`${prefix}request-id`]: requestId(),
    [`${prefix}id-2`]: randomBytes(24).toString('base64'),
  };
}

function xmlResponse(status: number, xml: string, dialect: ObsDialect, headers: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers: { ...commonHeaders(dialect), 'Content-Type': 'application/xml', ...headers },
    body: Buffer.from(xml, 'utf8'),
  };
}

export function errorResponse(status: number, code: string, message: string, dialect: ObsDialect, extra: Record<string, string> = {}): EmulatorResponse {
  const common = commonHeaders(dialect);
  const id = common[`${headerPrefix(dialect)}request-id`] ?? '';
  const xml = `${XML_DECLARATION}<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `<RequestId>${id}</RequestId><HostId>${escapeXml(common[`${headerPrefix(dialect)}id-2`] ?? '')}</HostId></Error>`;
  return { status, headers: { ...common, 'Content-Type': 'application/xml', ...extra }, body: Buffer.from(xml, 'utf8') };
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Entity tags in a conditional header; quotes optional, `*` matches anything. */
function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replaceAll('"', '');
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '').replaceAll('"', '');
    return tag === '*' || tag === bare;
  });
}

export class ObsEndpoint implements ServiceEndpoint {
  readonly name = 'obs' as const;
  // Real OBS takes up to 5 GB in one PUT; objects live in memory here, so the cap is lower, but
  // high enough for a 100,000-connection state and its baseline audit trail.
  readonly maxBodyBytes = 256 * 1024 * 1024;

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly store: ObsStore,
  ) {}

  classify(method: string, rawPath: string, rawQuery: string): string {
    return route(method, rawPath, rawQuery).api;
  }

  handle(req: IncomingRequest, call: ApiCall): EmulatorResponse {
    // OBS authenticates before it looks at what is asked.
    const auth = verifyObsSignature(req, this.ctx.credentials, this.ctx.now());
    const dialect = auth.dialect;
    const respond = (response: EmulatorResponse): EmulatorResponse => {
      // A HEAD response has no body, but keeps the headers a GET would send.
      if (req.method === 'HEAD') return { ...response, headers: { 'Content-Length': String(response.body.length), ...response.headers }, body: Buffer.alloc(0) };
      return response;
    };
    if (!auth.ok) {
      call.authFailure = auth.reason;
      return respond(errorResponse(403, auth.code, auth.message, dialect));
    }
    try {
      return respond(this.dispatch(req, dialect));
    } catch (err) {
      if (err instanceof ObsError) return respond(errorResponse(err.status, err.code, err.message, dialect));
      throw err;
    }
  }

  faultResponse(status: number, body: unknown, retryAfter: number | undefined): EmulatorResponse {
    const extra: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
    if (typeof body === 'string') return xmlResponse(status, body, 'v2', extra);
    if (body !== undefined) {
      return { status, headers: { ...commonHeaders('v2'), 'Content-Type': 'application/json', ...extra }, body: Buffer.from(JSON.stringify(body), 'utf8') };
    }
    const code = status === 503 || status === 429 ? 'SlowDown' : status >= 500 ? 'InternalError' : 'InjectedFault';
    return errorResponse(status, code, 'Injected fault.', 'v2', extra);
  }

  malformedResponse(body: string): EmulatorResponse {
    return xmlResponse(200, body, 'v2');
  }

  tooLarge(): EmulatorResponse {
    return errorResponse(413, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', 'v2');
  }

  private dispatch(req: IncomingRequest, dialect: ObsDialect): EmulatorResponse {
    const r = route(req.method, req.rawPath, req.rawQuery);
    if (r.api === 'obs:unknown') {
      if (r.invalidUri) throw new ObsError(400, 'InvalidURI', 'Couldn\'t parse the specified URI.');
      throw new ObsError(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented.');
    }
    if (!this.store.hasBucket(r.bucket)) throw new ObsError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    const query = queryMap(req.rawQuery);

    switch (r.api) {
      case 'obs:headBucket':
        return xmlResponse(200, '', dialect);
      case 'obs:listObjects':
        return this.listObjects(r.bucket, query, dialect);
      case 'obs:putObject':
        return this.putObject(r.bucket, r.key, req, dialect);
      case 'obs:getObject':
      case 'obs:headObject':
        return this.getObject(r.bucket, r.key, req, query, dialect);
      case 'obs:deleteObject':
        return this.deleteObject(r.bucket, r.key, query, dialect);
    }
  }

  private putObject(bucket: string, key: string, req: IncomingRequest, dialect: ObsDialect): EmulatorResponse {
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new ObsError(400, 'KeyTooLongError', 'Your key is too long.');
    const md5 = req.headers['content-md5'];
    if (md5 !== undefined) {
      if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw new ObsError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
      if (createHash('md5').update(req.body).digest('base64') !== md5) {
        throw new ObsError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
    }
    const version = this.store.put(bucket, key, req.body, req.headers['content-type'] ?? 'binary/octet-stream', this.ctx.now());
    const prefix = headerPrefix(dialect);
    return {
      status: 200,
      headers: { ...commonHeaders(dialect), ETag: version.etag, [`${prefix}version-id`]: version.versionId, [`${prefix}storage-class`]: 'STANDARD' },
      body: Buffer.alloc(0),
    };
  }

  private getObject(bucket: string, key: string, req: IncomingRequest, query: Map<string, string>, dialect: ObsDialect): EmulatorResponse {
    const prefix = headerPrefix(dialect);
    const versionId = query.get('versionId');
    const version = this.store.get(bucket, key, versionId);
    if (version === undefined) {
      if (versionId !== undefined) throw new ObsError(404, 'NoSuchVersion', 'The specified version does not exist.');
      throw new ObsError(404, 'NoSuchKey', 'The specified key does not exist.');
    }
    const headers: Record<string, string> = {
      ...commonHeaders(dialect),
      'Content-Type': query.get('response-content-type') ?? version.contentType,
      ETag: version.etag,
      'Last-Modified': httpDate(version.lastModifiedMs),
      'Accept-Ranges': 'bytes',
      [`${prefix}version-id`]: version.versionId,
      [`${prefix}storage-class`]: 'STANDARD',
    };
    const notModified = this.preconditions(req, version);
    if (notModified) {
      const { 'Content-Type': _omit, ...rest } = headers;
      return { status: 304, headers: rest, body: Buffer.alloc(0) };
    }
    return { status: 200, headers, body: version.body };
  }

  /**
   * S3's order: If-Match, then If-Unmodified-Since (only without If-Match) can fail with 412;
   * If-None-Match, then If-Modified-Since (only without If-None-Match) can answer 304.
   * Header values are compared as sent: esdk-obs-nodejs percent-encodes them, so a quoted ETag
   * passed back through the SDK arrives as %22…%22 and does not match.
   */
  private preconditions(req: IncomingRequest, version: ObjectVersion): boolean {
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    const ifUnmodified = Date.parse(req.headers['if-unmodified-since'] ?? '');
    const ifModified = Date.parse(req.headers['if-modified-since'] ?? '');
    if (ifMatch !== undefined ? !etagMatches(ifMatch, version.etag) : version.lastModifiedMs > ifUnmodified) {
      throw new ObsError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
    }
    if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, version.etag);
    return version.lastModifiedMs <= ifModified;
  }

  private deleteObject(bucket: string, key: string, query: Map<string, string>, dialect: ObsDialect): EmulatorResponse {
    if (query.has('versionId')) {
      throw new ObsError(501, 'NotImplemented', 'Deleting a specific version is not implemented by the emulator.');
    }
    const markerId = this.store.delete(bucket, key);
    const prefix = headerPrefix(dialect);
    return {
      status: 204,
      headers: { ...commonHeaders(dialect), [`${prefix}version-id`]: markerId, [`${prefix}delete-marker`]: 'true' },
      body: Buffer.alloc(0),
    };
  }

  private listObjects(bucket: string, query: Map<string, string>, dialect: ObsDialect): EmulatorResponse {
    const prefix = query.get('prefix') ?? '';
    const marker = query.get('marker') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const encodingType = query.get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') throw new ObsError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request');
    const maxKeysRaw = query.get('max-keys');
    if (maxKeysRaw !== undefined && !/^[0-9]{1,10}$/.test(maxKeysRaw)) {
      throw new ObsError(400, 'InvalidArgument', 'Argument max-keys must be an integer between 0 and 2147483647');
    }
    // Like S3, larger values are accepted and capped rather than refused.
    const maxKeys = Math.min(maxKeysRaw === undefined ? MAX_LIST_KEYS : Number(maxKeysRaw), MAX_LIST_KEYS);
    const enc = (s: string): string => escapeXml(encodingType === 'url' ? encodeURIComponent(s) : s);

    const keys = this.store.sortedKeys(bucket);
    let i = Math.max(lowerBound(keys, prefix), lowerBound(keys, marker));
    if (keys[i] === marker) i++;
    const contents: string[] = [];
    const commonPrefixes: string[] = [];
    let lastReturned = '';
    let truncated = false;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      const rolledUp = cut < 0 ? undefined : key.slice(0, cut + delimiter.length);
      if (rolledUp !== undefined && rolledUp === commonPrefixes[commonPrefixes.length - 1]) continue;
      if (contents.length + commonPrefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (rolledUp !== undefined) {
        commonPrefixes.push(rolledUp);
        lastReturned = rolledUp;
        continue;
      }
      const v = this.store.get(bucket, key) as ObjectVersion;
      contents.push(
        `<Contents><Key>${enc(key)}</Key><LastModified>${new Date(v.lastModifiedMs).toISOString()}</LastModified>` +
          `<ETag>${escapeXml(v.etag)}</ETag><Size>${v.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      lastReturned = key;
    }

    const xml =
      `${XML_DECLARATION}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${escapeXml(bucket)}</Name><Prefix>${enc(prefix)}</Prefix><Marker>${enc(marker)}</Marker>` +
      (truncated ? `<NextMarker>${enc(lastReturned)}</NextMarker>` : '') +
      `<MaxKeys>${maxKeys}</MaxKeys>` +
      (delimiter === '' ? '' : `<Delimiter>${enc(delimiter)}</Delimiter>`) +
      (encodingType === undefined ? '' : '<EncodingType>url</EncodingType>') +
      `<IsTruncated>${truncated}</IsTruncated>` +
      contents.join('') +
      commonPrefixes.map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`).join('') +
      '</ListBucketResult>';
    return xmlResponse(200, xml, dialect);
  }
}
