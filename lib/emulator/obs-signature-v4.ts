/**
 * Verifies OBS's third header signature, S3's V4 (`AWS4-HMAC-SHA256`), as the official Go OBS SDK
 * (huaweicloud-sdk-go-obs `obs/auth.go`, signature "v4") and S3 tools send it. esdk-obs-nodejs
 * never signs headers this way. What the Go SDK does, and so what is accepted here:
 * - every header it sends is signed (Host, Date, x-amz-content-sha256, the token, ...); the list in
 *   SignedHeaders is verified as sent, and must hold `host`;
 * - the time is `x-amz-date` (YYYYMMDDTHHMMSSZ) or else the RFC 1123 `Date` header, and the
 *   credential scope `AK/YYYYMMDD/region/s3/aws4_request` must name that day and this region;
 * - the canonical URI is the path as sent (`/key` for a virtual-hosted bucket), the canonical query
 *   the pairs as sent, sorted, each with its `=`;
 * - the payload hash is the x-amz-content-sha256 header as sent, or the body's SHA-256 without it.
 *   It is not compared with the body: the Go SDK sends the empty body's hash on every request,
 *   uploads included, and works against OBS.
 */
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { IncomingRequest } from './http.js';
import type { ObsAuthResult } from './obs-signature.js';
import type { CloudCredential } from './types.js';

export const V4_ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})$/;
const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** `YYYYMMDDTHHMMSSZ` of a Date. */
function longDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The signing time as the client wrote it into the string to sign, and as a Date. */
function requestTime(headers: Record<string, string>): { text: string; at: Date } | undefined {
  const amz = headers['x-amz-date'];
  if (amz !== undefined) {
    const match = LONG_DATE.exec(amz);
    if (match === null) return undefined;
    const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
    return { text: amz, at: new Date(Date.UTC(y, mo - 1, d, h, mi, s)) };
  }
  const ms = headers.date === undefined ? NaN : Date.parse(headers.date);
  if (Number.isNaN(ms)) return undefined;
  const at = new Date(ms);
  return { text: longDate(at), at };
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      return equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)];
    });
  pairs.sort(([ka = '', va = ''], [kb = '', vb = '']) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

export function verifyObsV4Signature(
  request: IncomingRequest,
  credentials: ReadonlyMap<string, CloudCredential>,
  now: Date,
  region: string,
): ObsAuthResult {
  const deny = (code: string, message: string, reason: string): ObsAuthResult => ({ ok: false, dialect: 'v2', code, message, reason });
  const parsed = AUTHORIZATION.exec((request.headers.authorization ?? '').trim());
  if (parsed === null) return deny('AccessDenied', 'Access Denied', `Authorization is not ${V4_ALGORITHM} Credential=…, SignedHeaders=…, Signature=…`);
  const [, credentialText = '', signedHeaderList = '', signature = ''] = parsed;
  const [ak = '', scopeDate = '', scopeRegion = '', scopeService = '', terminator = '', ...extra] = credentialText.split('/');

  const credential = credentials.get(ak);
  if (credential === undefined) return deny('InvalidAccessKeyId', 'The access key Id you provided does not exist in our records.', 'unknown access key');

  const time = requestTime(request.headers);
  if (time === undefined) return deny('AccessDenied', 'A valid Date or x-amz-date header is required.', 'missing or unparsable date');
  if (Math.abs(time.at.getTime() - now.getTime()) > MAX_SKEW_MS) {
    return deny('RequestTimeTooSkewed', "The difference between the request time and the server's time is too large.", 'request date is more than 15 minutes from server time');
  }
  if (extra.length > 0 || scopeService !== 's3' || terminator !== 'aws4_request' || scopeDate !== time.text.slice(0, 8)) {
    return deny('AuthorizationHeaderMalformed', 'The authorization header is malformed.', 'credential scope is not AK/<request day>/<region>/s3/aws4_request');
  }
  if (scopeRegion !== region) {
    return deny('AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'.`, `credential scope names region ${scopeRegion}, not ${region}`);
  }

  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((name) => name === '' || name !== name.toLowerCase())) return deny('AccessDenied', 'Access Denied', 'SignedHeaders must be non-empty lower-case names');
  if (!signedHeaders.includes('host')) return deny('AccessDenied', 'Access Denied', 'host is not signed');

  if (credential.securityToken !== undefined) {
    const token = request.headers['x-amz-security-token'];
    if (token === undefined || !constantTimeEqual(token, credential.securityToken)) {
      return deny('InvalidToken', 'The provided security token is invalid.', 'x-amz-security-token missing or wrong for a temporary access key');
    }
  }

  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return deny('AccessDenied', 'Access Denied', `signed header ${name} is absent`);
    canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }
  const payloadHash = request.headers['x-amz-content-sha256'] ?? createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [request.method, request.rawPath === '' ? '/' : request.rawPath, canonicalQuery(request.rawQuery), canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/s3/aws4_request`;
  const stringToSign = `${V4_ALGORITHM}\n${time.text}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${credential.sk}`, scopeDate), scopeRegion), 's3'), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (!constantTimeEqual(expected, signature)) {
    return deny(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      'signature mismatch',
    );
  }
  return { ok: true, ak, dialect: 'v2' };
}
