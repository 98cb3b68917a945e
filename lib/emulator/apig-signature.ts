import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal';
import type { IncomingRequest } from './http';
import { parseQueryPairs, tryDecode } from './http';
import type { CloudCredential } from './types';

// Verifies API Gateway's SDK-HMAC-SHA256 from the wire alone, the way the gateway in front of VPCEP
// and SMN does; it deliberately shares no code with the SDK's signer, so a signer bug cannot hide.

const ALGORITHM = 'SDK-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const AUTHORIZATION = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/;

export type AuthResult = { ok: true; ak: string } | { ok: false; reason: string };

/**
 * Percent-encodes like the SDK signer's urlEncode: UTF-8 bytes, only A-Z a-z 0-9 - _ . ~ kept,
 * upper-case hex. Unlike encodeURIComponent it also escapes ! ' ( ) *.
 */
export function apigEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x7e; // - _ . ~
    out += unreserved ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Each segment decoded once and re-encoded; the gateway always adds a trailing '/'. */
export function canonicalUri(rawPath: string): string | undefined {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    const decoded = tryDecode(segment);
    if (decoded === undefined) return undefined;
    segments.push(apigEncode(decoded));
  }
  const joined = segments.join('/');
  return joined.endsWith('/') ? joined : joined + '/';
}

/** Sorted by key, then by value for repeated keys (the signer sorts array values). */
export function canonicalQuery(rawQuery: string): string | undefined {
  const pairs = parseQueryPairs(rawQuery);
  if (pairs === undefined) return undefined;
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${apigEncode(k)}=${apigEncode(v)}`).join('&');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseSdkDate(value: string): Date | undefined {
  const m = SDK_DATE.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls invalid fields over (month 13, second 61); a real parser rejects them.
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCSeconds() === s ? date : undefined;
}

export function verifyApigSignature(
  req: IncomingRequest,
  credentials: ReadonlyMap<string, CloudCredential>,
  now: Date,
): AuthResult {
  const authorization = req.headers.authorization;
  if (authorization === undefined) return { ok: false, reason: 'missing Authorization header' };
  const parsed = AUTHORIZATION.exec(authorization.trim());
  if (parsed === null) return { ok: false, reason: `Authorization is not ${ALGORITHM} Access=…, SignedHeaders=…, Signature=…` };
  const [, ak = '', signedHeaderList = '', signature = ''] = parsed;

  const credential = credentials.get(ak);
  if (credential === undefined) return { ok: false, reason: 'unknown access key' };

  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase())) {
    return { ok: false, reason: 'SignedHeaders must be non-empty lower-case names' };
  }
  for (const required of ['host', 'x-sdk-date']) {
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }

  const sdkDate = req.headers['x-sdk-date'] ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return { ok: false, reason: 'X-Sdk-Date is not YYYYMMDDTHHMMSSZ' };
  if (Math.abs(signedAt.getTime() - now.getTime()) > MAX_SKEW_MS) {
    return { ok: false, reason: 'X-Sdk-Date is more than 15 minutes from server time' };
  }

  if (credential.securityToken !== undefined) {
    // Temporary credentials are only valid with their token, and the token must be signed so it
    // cannot be swapped in transit.
    if (req.headers['x-security-token'] !== credential.securityToken) {
      return { ok: false, reason: 'X-Security-Token missing or wrong for a temporary access key' };
    }
    if (!signedHeaders.includes('x-security-token')) return { ok: false, reason: 'x-security-token is not signed' };
  }

  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is absent` };
    canonicalHeaders += `${name}:${value}\n`;
  }

  const uri = canonicalUri(req.rawPath);
  const query = canonicalQuery(req.rawQuery);
  if (uri === undefined || query === undefined) return { ok: false, reason: 'malformed percent-encoding in URL' };

  // The gateway lets a client opt out of body signing with a signed
  // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`; any other value is ignored and the body is hashed.
  const unsignedPayload = signedHeaders.includes('x-sdk-content-sha256') && req.headers['x-sdk-content-sha256'] === 'UNSIGNED-PAYLOAD';
  const payloadHash = unsignedPayload ? 'UNSIGNED-PAYLOAD' : sha256Hex(req.body);
  const canonicalRequest = [req.method, uri, query, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const stringToSign = `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', credential.sk).update(stringToSign).digest('hex');
  if (!constantTimeEqual(expected, signature)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, ak };
}
