/**
 * How OBS answers: S3-compatible XML bodies, error bodies `<Error><Code/><Message/><RequestId/>`
 * (esdk-obs-nodejs parses those), and request-id headers carrying the prefix of the dialect the
 * request was signed in (`x-amz-` or `x-obs-`), which is where the SDK looks for them.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceError } from './errors.js';
import type { EmulatorResponse } from './http.js';
import type { ObsDialect } from './obs-signature.js';
import { headerPrefix } from './obs-signature.js';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => XML_ENTITIES[character] ?? character);
}

function requestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function commonHeaders(dialect: ObsDialect): Record<string, string> {
  const prefix = headerPrefix(dialect);
  return {
    Server: 'OBS',
    [`${prefix}request-id`]: requestId(),
    [`${prefix}id-2`]: randomBytes(24).toString('base64'),
  };
}

export function xmlResponse(status: number, xml: string, dialect: ObsDialect, headers: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers: { ...commonHeaders(dialect), 'Content-Type': 'application/xml', ...headers },
    body: Buffer.from(xml, 'utf8'),
  };
}

/** An OBS error as XML; its RequestId repeats the request-id header. */
export function obsErrorResponse(error: ServiceError, dialect: ObsDialect, extra: Record<string, string> = {}): EmulatorResponse {
  const prefix = headerPrefix(dialect);
  const common = commonHeaders(dialect);
  const xml =
    `${XML_DECLARATION}<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    `<RequestId>${common[`${prefix}request-id`] ?? ''}</RequestId><HostId>${escapeXml(common[`${prefix}id-2`] ?? '')}</HostId></Error>`;
  return { status: error.status, headers: { ...common, 'Content-Type': 'application/xml', ...extra }, body: Buffer.from(xml, 'utf8') };
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Entity tags in a conditional header; quotes optional, `*` matches anything. */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replaceAll('"', '');
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '').replaceAll('"', '');
    return tag === '*' || tag === bare;
  });
}
