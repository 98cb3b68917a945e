/**
 * OBS, the S3-compatible object store the monitor keeps its state and audit trail in: PUT, GET,
 * HEAD and DELETE of objects (versioned), conditional GETs, HEAD bucket and ListObjects, each
 * authenticated in whichever signing dialect the client chose.
 */
import { createHash } from 'node:crypto';
import { API } from './api-names.js';
import type { BucketStore, ObjectVersion } from './bucket-store.js';
import { lowerBound } from './bucket-store.js';
import { ServiceError } from './errors.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { queryMap } from './http.js';
import { commonHeaders, escapeXml, etagMatches, httpDate, obsErrorResponse, XML_DECLARATION, xmlResponse } from './obs-responses.js';
import { pathStylePath, routeObs } from './obs-routes.js';
import type { ObsDialect } from './obs-signature.js';
import { headerPrefix, verifyObsSignature } from './obs-signature.js';
import { V4_ALGORITHM, verifyObsV4Signature } from './obs-signature-v4.js';
import type { ApiCall } from './types.js';

const MAX_LIST_KEYS = 1000;
const MAX_KEY_BYTES = 1024;

export class ObsEndpoint implements ServiceEndpoint {
  readonly name = 'obs' as const;
  // Real OBS takes up to 5 GB in one PUT; objects live in memory here, so the cap is lower, but
  // high enough for a 100,000-connection state and its baseline audit trail.
  readonly maxBodyBytes = 256 * 1024 * 1024;

  constructor(
    private readonly context: EmulatorContext,
    private readonly store: BucketStore,
  ) {}

  classify(method: string, rawPath: string, rawQuery: string, host: string): string {
    return routeObs(method, rawPath, rawQuery, host).api;
  }

  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse {
    // OBS authenticates before it looks at what is asked. The signed resource is `/bucket/key`
    // even when the bucket travelled in the Host.
    const host = request.headers.host ?? '';
    const auth = (request.headers.authorization ?? '').startsWith(V4_ALGORITHM)
      ? verifyObsV4Signature(request, this.context.credentials, this.context.now(), this.context.region)
      : verifyObsSignature(request, this.context.credentials, this.context.now(), pathStylePath(request.rawPath, host));
    const dialect = auth.dialect;
    const respond = (response: EmulatorResponse): EmulatorResponse => {
      // A HEAD response has no body, but keeps the headers a GET would send.
      if (request.method === 'HEAD') return { ...response, headers: { 'Content-Length': String(response.body.length), ...response.headers }, body: Buffer.alloc(0) };
      return response;
    };
    if (!auth.ok) {
      call.authFailure = auth.reason;
      return respond(obsErrorResponse(new ServiceError(403, auth.code, auth.message), dialect));
    }
    try {
      return respond(this.dispatch(request, dialect));
    } catch (error) {
      if (error instanceof ServiceError) return respond(obsErrorResponse(error, dialect));
      throw error;
    }
  }

  faultResponse(status: number, body: unknown, retryAfter: number | undefined): EmulatorResponse {
    const extra: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
    if (typeof body === 'string') return xmlResponse(status, body, 'v2', extra);
    if (body !== undefined) {
      return { status, headers: { ...commonHeaders('v2'), 'Content-Type': 'application/json', ...extra }, body: Buffer.from(JSON.stringify(body), 'utf8') };
    }
    const code = status === 503 || status === 429 ? 'SlowDown' : status >= 500 ? 'InternalError' : 'InjectedFault';
    return obsErrorResponse(new ServiceError(status, code, 'Injected fault.'), 'v2', extra);
  }

  malformedResponse(body: string): EmulatorResponse {
    return xmlResponse(200, body, 'v2');
  }

  tooLarge(): EmulatorResponse {
    return obsErrorResponse(new ServiceError(413, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'), 'v2');
  }

  private dispatch(request: IncomingRequest, dialect: ObsDialect): EmulatorResponse {
    const route = routeObs(request.method, request.rawPath, request.rawQuery, request.headers.host ?? '');
    if ('unknown' in route) {
      if (route.invalidUri) throw new ServiceError(400, 'InvalidURI', 'Couldn\'t parse the specified URI.');
      throw new ServiceError(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented.');
    }
    if (!this.store.hasBucket(route.bucket)) throw new ServiceError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    const query = queryMap(request.rawQuery);

    if (!('key' in route)) {
      return route.api === API.headBucket ? xmlResponse(200, '', dialect) : this.listObjects(route.bucket, query, dialect);
    }
    switch (route.api) {
      case API.putObject:
        return this.putObject(route.bucket, route.key, request, dialect);
      case API.getObject:
      case API.getObjectVersion:
        return this.getObject(route.bucket, route.key, request, query, dialect);
      case API.deleteObject:
        return this.deleteObject(route.bucket, route.key, dialect);
    }
  }

  private putObject(bucket: string, key: string, request: IncomingRequest, dialect: ObsDialect): EmulatorResponse {
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new ServiceError(400, 'KeyTooLongError', 'Your key is too long.');
    const md5 = request.headers['content-md5'];
    if (md5 !== undefined) {
      if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw new ServiceError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
      if (createHash('md5').update(request.body).digest('base64') !== md5) {
        throw new ServiceError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
    }
    const version = this.store.put(bucket, key, request.body, request.headers['content-type'] ?? 'binary/octet-stream', this.context.now());
    const prefix = headerPrefix(dialect);
    return {
      status: 200,
      headers: { ...commonHeaders(dialect), ETag: version.etag, [`${prefix}version-id`]: version.versionId, [`${prefix}storage-class`]: 'STANDARD' },
      body: Buffer.alloc(0),
    };
  }

  private getObject(bucket: string, key: string, request: IncomingRequest, query: Map<string, string>, dialect: ObsDialect): EmulatorResponse {
    const prefix = headerPrefix(dialect);
    const versionId = query.get('versionId');
    const version = this.store.get(bucket, key, versionId);
    if (version === undefined) {
      if (versionId !== undefined) throw new ServiceError(404, 'NoSuchVersion', 'The specified version does not exist.');
      throw new ServiceError(404, 'NoSuchKey', 'The specified key does not exist.');
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
    if (this.notModified(request, version)) {
      const { 'Content-Type': _omitted, ...rest } = headers;
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
  private notModified(request: IncomingRequest, version: ObjectVersion): boolean {
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    const ifUnmodified = Date.parse(request.headers['if-unmodified-since'] ?? '');
    const ifModified = Date.parse(request.headers['if-modified-since'] ?? '');
    if (ifMatch !== undefined ? !etagMatches(ifMatch, version.etag) : version.lastModifiedMs > ifUnmodified) {
      throw new ServiceError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
    }
    if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, version.etag);
    return version.lastModifiedMs <= ifModified;
  }

  private deleteObject(bucket: string, key: string, dialect: ObsDialect): EmulatorResponse {
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
    if (encodingType !== undefined && encodingType !== 'url') throw new ServiceError(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request');
    const maxKeysRaw = query.get('max-keys');
    if (maxKeysRaw !== undefined && !/^[0-9]{1,10}$/.test(maxKeysRaw)) {
      throw new ServiceError(400, 'InvalidArgument', 'Argument max-keys must be an integer between 0 and 2147483647');
    }
    // Like S3, larger values are accepted and capped rather than refused.
    const maxKeys = Math.min(maxKeysRaw === undefined ? MAX_LIST_KEYS : Number(maxKeysRaw), MAX_LIST_KEYS);
    const encode = (text: string): string => escapeXml(encodingType === 'url' ? encodeURIComponent(text) : text);

    const keys = this.store.sortedKeys(bucket);
    let index = Math.max(lowerBound(keys, prefix), lowerBound(keys, marker));
    if (keys[index] === marker) index++;
    const contents: string[] = [];
    const commonPrefixes: string[] = [];
    let lastReturned = '';
    let truncated = false;
    for (; index < keys.length; index++) {
      const key = keys[index] as string;
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
      const version = this.store.get(bucket, key) as ObjectVersion;
      contents.push(
        `<Contents><Key>${encode(key)}</Key><LastModified>${new Date(version.lastModifiedMs).toISOString()}</LastModified>` +
          `<ETag>${escapeXml(version.etag)}</ETag><Size>${version.body.length}</Size>` +
          // OBS's ListObjects names each object's owner by account id only (no DisplayName, unlike S3).
          `<Owner><ID>${this.context.domainId}</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      lastReturned = key;
    }

    const xml =
      `${XML_DECLARATION}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${escapeXml(bucket)}</Name><Prefix>${encode(prefix)}</Prefix><Marker>${encode(marker)}</Marker>` +
      (truncated ? `<NextMarker>${encode(lastReturned)}</NextMarker>` : '') +
      `<MaxKeys>${maxKeys}</MaxKeys>` +
      (delimiter === '' ? '' : `<Delimiter>${encode(delimiter)}</Delimiter>`) +
      (encodingType === undefined ? '' : '<EncodingType>url</EncodingType>') +
      `<IsTruncated>${truncated}</IsTruncated>` +
      contents.join('') +
      commonPrefixes.map((common) => `<CommonPrefixes><Prefix>${encode(common)}</Prefix></CommonPrefixes>`).join('') +
      '</ListBucketResult>';
    return xmlResponse(200, xml, dialect);
  }
}
