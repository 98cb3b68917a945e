/**
 * Verifies OBS's header signatures. OBS accepts two dialects with the same HMAC-SHA1 algorithm:
 * S3's V2 (`AWS ak:sig`, x-amz-* headers) and its own (`OBS ak:sig`, x-obs-* headers).
 * esdk-obs-nodejs signs with OBS's own against a host name endpoint (production) and falls back to
 * V2 whenever `server` is an IP address (path style).
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { IncomingRequest } from './http.js';
import { tryDecode } from './http.js';
import type { CloudCredential } from './types.js';

const MAX_SKEW_MS = 15 * 60 * 1000;

export type ObsDialect = 'v2' | 'obs';

export function headerPrefix(dialect: ObsDialect): string {
  return dialect === 'v2' ? 'x-amz-' : 'x-obs-';
}

// The query parameters that are part of the signed resource: esdk-obs-nodejs's
// allowedResourceParameterNames (utils.js), compared lower-cased.
const SUB_RESOURCES = new Set([
  'acl', 'backtosource', 'policy', 'torrent', 'logging', 'location', 'storageinfo', 'quota',
  'storageclass', 'storagepolicy', 'requestpayment', 'versions', 'versioning', 'versionid', 'uploads',
  'uploadid', 'partnumber', 'website', 'notification', 'replication', 'lifecycle', 'deletebucket',
  'delete', 'cors', 'restore', 'tagging', 'append', 'position', 'response-content-type',
  'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'x-image-process', 'x-oss-process',
  'x-image-save-object', 'x-image-save-bucket', 'encryption', 'directcoldaccess', 'rename', 'name',
  'metadata', 'modify', 'attname', 'truncate', 'x-obs-security-token', 'x-workflow-prefix',
  'x-workflow-start', 'x-workflow-limit', 'x-workflow-template-name', 'x-workflow-graph-name',
  'x-workflow-execution-state', 'x-workflow-execution-type', 'x-workflow-next-marker',
  'obsworkflowtriggerpolicy', 'obsbucketalias', 'obsalias', 'publicaccessblock', 'bucketstatus',
  'policystatus', 'customdomain', 'inventory', 'object-lock', 'retention', 'mirrorbacktosource',
  'obscompresspolicy', 'length',
]);

export function isSubResource(name: string): boolean {
  return SUB_RESOURCES.has(name.toLowerCase());
}

export type ObsAuthResult =
  | { ok: true; ak: string; dialect: ObsDialect }
  | { ok: false; dialect: ObsDialect; code: string; message: string; reason: string };

/** The path as sent (it is signed percent-encoded) plus the signed sub-resources, sorted. */
export function canonicalResource(rawPath: string, rawQuery: string): string {
  if (rawQuery === '') return rawPath;
  let resource = '';
  for (const part of rawQuery.split('&').sort()) {
    const [rawKey = '', rawValue] = part.split('=');
    const key = tryDecode(rawKey) ?? rawKey;
    if (!isSubResource(key)) continue;
    resource += (resource === '' ? '?' : '&') + key;
    if (rawValue) resource += '=' + (tryDecode(rawValue) ?? rawValue);
  }
  return rawPath + resource;
}

/** `resourcePath` is the path in path style (`/bucket/key`), whichever addressing the request used. */
export function obsStringToSign(request: IncomingRequest, dialect: ObsDialect, resourcePath: string): string {
  const prefix = headerPrefix(dialect);
  const headers = request.headers;
  // With x-amz-date/x-obs-date present the Date line is empty (the prefixed header is signed below).
  const date = headers[`${prefix}date`] !== undefined ? '' : (headers.date ?? '');
  let text = `${request.method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${date}\n`;
  const prefixed = Object.keys(headers)
    .filter((name) => name.startsWith(prefix))
    .sort();
  for (const name of prefixed) text += `${name}:${headers[name]}\n`;
  return text + canonicalResource(resourcePath, request.rawQuery);
}

export function verifyObsSignature(
  request: IncomingRequest,
  credentials: ReadonlyMap<string, CloudCredential>,
  now: Date,
  resourcePath: string,
): ObsAuthResult {
  const authorization = request.headers.authorization;
  if (authorization === undefined) {
    // Buckets are private: an anonymous request is simply denied.
    return { ok: false, dialect: 'v2', code: 'AccessDenied', message: 'Access Denied', reason: 'missing Authorization header' };
  }
  const parsed = /^(AWS|OBS) ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (parsed === null) {
    return { ok: false, dialect: 'v2', code: 'AccessDenied', message: 'Access Denied', reason: 'Authorization is not `AWS|OBS ak:signature`' };
  }
  const [, scheme, ak = '', signature = ''] = parsed;
  const dialect: ObsDialect = scheme === 'OBS' ? 'obs' : 'v2';
  const prefix = headerPrefix(dialect);
  const deny = (code: string, message: string, reason: string): ObsAuthResult => ({ ok: false, dialect, code, message, reason });

  const credential = credentials.get(ak);
  if (credential === undefined) {
    return deny('InvalidAccessKeyId', 'The access key Id you provided does not exist in our records.', 'unknown access key');
  }

  const dateHeader = request.headers[`${prefix}date`] ?? request.headers.date;
  const signedAt = dateHeader === undefined ? NaN : Date.parse(dateHeader);
  if (Number.isNaN(signedAt)) {
    return deny('AccessDenied', 'A valid Date or x-amz-date/x-obs-date header is required.', 'missing or unparsable date');
  }
  if (Math.abs(signedAt - now.getTime()) > MAX_SKEW_MS) {
    return deny(
      'RequestTimeTooSkewed',
      'The difference between the request time and the server\'s time is too large.',
      'request date is more than 15 minutes from server time',
    );
  }

  // The token header carries the dialect's prefix, so it is always part of the string to sign.
  if (credential.securityToken !== undefined && request.headers[`${prefix}security-token`] !== credential.securityToken) {
    return deny('InvalidToken', 'The provided security token is invalid.', `${prefix}security-token missing or wrong for a temporary access key`);
  }

  const expected = createHmac('sha1', credential.sk).update(obsStringToSign(request, dialect, resourcePath)).digest('base64');
  if (!constantTimeEqual(expected, signature)) {
    return deny(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      'signature mismatch',
    );
  }
  return { ok: true, ak, dialect };
}
