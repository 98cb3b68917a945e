/**
 * Verifies API Gateway's SDK-HMAC-SHA256 from the wire alone, the way the gateway in front of
 * VPCEP, SMN and Cloud Eye does. It deliberately shares no code with the SDK's signer, so a signer
 * bug cannot hide.
 */
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { IncomingRequest } from './http.js';
import { parseQueryPairs, tryDecode } from './http.js';
import type { CloudCredential } from './types.js';

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
  pairs.sort(([keyA, valueA], [keyB, valueB]) =>
    keyA < keyB ? -1 : keyA > keyB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  return pairs.map(([key, value]) => `${apigEncode(key)}=${apigEncode(value)}`).join('&');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseSdkDate(value: string): Date | undefined {
  const match = SDK_DATE.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls invalid fields over (month 13, second 61); a real parser rejects them.
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCSeconds() === second ? date : undefined;
}

export function verifyApigSignature(
  request: IncomingRequest,
  credentials: ReadonlyMap<string, CloudCredential>,
  now: Date,
): AuthResult {
  const authorization = request.headers.authorization;
  if (authorization === undefined) return { ok: false, reason: 'missing Authorization header' };
  const parsed = AUTHORIZATION.exec(authorization.trim());
  if (parsed === null) return { ok: false, reason: `Authorization is not ${ALGORITHM} Access=…, SignedHeaders=…, Signature=…` };
  const [, ak = '', signedHeaderList = '', signature = ''] = parsed;

  const credential = credentials.get(ak);
  if (credential === undefined) return { ok: false, reason: 'unknown access key' };

  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((name) => name === '' || name !== name.toLowerCase())) {
    return { ok: false, reason: 'SignedHeaders must be non-empty lower-case names' };
  }
  // The API signing guide requires only X-Sdk-Date to be signed; every other header is the
  // client's choice (the Go v3 SDK signs user-agent;x-project-id;x-sdk-date and no host,
  // golangsdk accept;content-type;user-agent;x-sdk-date), and whatever it chose is verified as sent.
  if (!signedHeaders.includes('x-sdk-date')) return { ok: false, reason: 'x-sdk-date is not signed' };

  const sdkDate = request.headers['x-sdk-date'] ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return { ok: false, reason: 'X-Sdk-Date is not YYYYMMDDTHHMMSSZ' };
  if (Math.abs(signedAt.getTime() - now.getTime()) > MAX_SKEW_MS) {
    return { ok: false, reason: 'X-Sdk-Date is more than 15 minutes from server time' };
  }

  if (credential.securityToken !== undefined) {
    // Temporary credentials are only valid with their token. It may travel unsigned: golangsdk (the
    // Terraform provider's library) adds X-Security-Token after signing. Signed, it is checked
    // like any other signed header below.
    const token = request.headers['x-security-token'];
    if (token === undefined) return { ok: false, reason: 'X-Security-Token is missing for a temporary access key' };
    if (!constantTimeEqual(token, credential.securityToken)) return { ok: false, reason: 'X-Security-Token does not belong to this temporary access key' };
  }

  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is absent` };
    canonicalHeaders += `${name}:${value}\n`;
  }

  const uri = canonicalUri(request.rawPath);
  const query = canonicalQuery(request.rawQuery);
  if (uri === undefined || query === undefined) return { ok: false, reason: 'malformed percent-encoding in URL' };

  // The gateway lets a client opt out of body signing with a signed
  // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`; any other value is ignored and the body is hashed.
  const unsignedPayload = signedHeaders.includes('x-sdk-content-sha256') && request.headers['x-sdk-content-sha256'] === 'UNSIGNED-PAYLOAD';
  const payloadHash = unsignedPayload ? 'UNSIGNED-PAYLOAD' : sha256Hex(request.body);
  const canonicalRequest = [request.method, uri, query, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const stringToSign = `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', credential.sk).update(stringToSign).digest('hex');
  if (!constantTimeEqual(expected, signature)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, ak };
}
