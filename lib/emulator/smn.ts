/**
 * SMN v2 publish behind its gateway: topics, the documented limits on subject, message and
 * message_structure (protocol keys, SMS length and brackets), SMN's own error body
 * `{"request_id","code","message"}`, and a record of every accepted publish.
 */
import { randomUUID } from 'node:crypto';
import { API, unknownApi } from './api-names.js';
import * as apigw from './apigw.js';
import { ServiceError } from './errors.js';
import type { EmulatorContext, EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { jsonObjectBody, jsonResponse, tryDecode } from './http.js';
import type { ApiCall, PublishedMessage } from './types.js';

// SMN's error-code page (API reference, "Error Codes"; the reference's SMN entry): SMN.0001 no
// permission (403), SMN.0005 invalid topic URN (400), SMN.0006 topic not found (404), SMN.0008
// "Parameter: Subject is invalid" (403), SMN.0009 "Parameter: Message is invalid" (403), SMN.0021
// "MessageStructure is invalid" (400), SMN.0027 message template not found (404). A 403 can thus be
// about the message, not the caller. The page gives no code for an unreadable body or a bad
// time_to_live; we answer those as an invalid message (403 SMN.0009), the nearest documented meaning.
const ERROR_CODES = {
  forbidden: 'SMN.0001',
  urn: 'SMN.0005',
  topicNotFound: 'SMN.0006',
  subject: 'SMN.0008',
  message: 'SMN.0009',
  structure: 'SMN.0021',
  template: 'SMN.0027',
} as const;

/** A documented refusal: its status comes with its code. */
const STATUS: Record<(typeof ERROR_CODES)[keyof typeof ERROR_CODES], number> = {
  'SMN.0001': 403,
  'SMN.0005': 400,
  'SMN.0006': 404,
  'SMN.0008': 403,
  'SMN.0009': 403,
  'SMN.0021': 400,
  'SMN.0027': 404,
};

function refused(code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES], message: string): ServiceError {
  return new ServiceError(STATUS[code], code, message);
}

const MAX_SUBJECT_BYTES = 512;
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_SMS_CHARS = 490;
const STRUCTURE_PROTOCOLS = new Set([
  'default', 'email', 'sms', 'http', 'https', 'functionstage', 'functiongraph', 'dingding', 'wechat',
  'feishu', 'welink', 'application',
]);
const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name);
}

/** SMN's own body shape; request_id repeats the X-Request-Id header. */
function smnResponse(status: number, body: Record<string, unknown>): EmulatorResponse {
  const requestId = randomUUID();
  return jsonResponse(status, { request_id: requestId, ...body }, { 'X-Request-Id': requestId });
}

/** The request body as a JSON object; anything else is an invalid message. */
function parseBody(rawBody: Buffer): Record<string, unknown> {
  try {
    return jsonObjectBody(rawBody, ERROR_CODES.message);
  } catch (error) {
    if (error instanceof ServiceError) throw refused(ERROR_CODES.message, `Parameter: Message is invalid: ${error.message}`);
    throw error;
  }
}

/** Parses and checks `message_structure`, a JSON string holding an object of strings. */
function parseStructure(raw: unknown): Record<string, string> {
  if (typeof raw !== 'string') throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: it must be a JSON string.');
  if (byteLength(raw) > MAX_MESSAGE_BYTES) throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: larger than 256 KB.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: must be a JSON object.');
  }
  const entries = Object.entries(parsed);
  for (const [key, value] of entries) {
    if (!STRUCTURE_PROTOCOLS.has(key)) throw refused(ERROR_CODES.structure, `MessageStructure is invalid: unknown protocol key ${key}.`);
    if (typeof value !== 'string') throw refused(ERROR_CODES.structure, `MessageStructure is invalid: ${key} must be a string.`);
  }
  const structure = Object.fromEntries(entries) as Record<string, string>;
  if (structure.default === undefined || structure.default === '') {
    throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: the default key is required.');
  }
  const sms = structure.sms;
  if (sms !== undefined) {
    if ([...sms].length > MAX_SMS_CHARS) throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: sms is longer than 490 characters.');
    // Carriers reserve these brackets for the sender signature.
    if (/[[\]【】]/.test(sms)) throw refused(ERROR_CODES.structure, 'MessageStructure is invalid: sms must not contain [ ] 【 】.');
  }
  return structure;
}

export class SmnEndpoint implements ServiceEndpoint {
  readonly name = 'smn' as const;
  private readonly topics = new Set<string>();

  constructor(
    private readonly context: EmulatorContext,
    /** Called with every publish SMN accepts. */
    private readonly record: (message: PublishedMessage) => void,
  ) {}

  createTopic(name: string): string {
    if (!isValidTopicName(name)) throw new Error(`invalid topic name ${name}`);
    this.topics.add(name);
    return `urn:smn:${this.context.region}:${this.context.projectId}:${name}`;
  }

  topicNames(): string[] {
    return [...this.topics];
  }

  classify(method: string, rawPath: string): string {
    return this.route(method, rawPath) === undefined ? unknownApi('smn') : API.publish;
  }

  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse {
    return apigw.serveBehindGateway(this.route(request.method, request.rawPath), request, call, this.context, (matched) => {
      if (matched.projectId !== this.context.projectId) {
        throw refused(ERROR_CODES.forbidden, 'You do not have permission to access this project.');
      }
      const messageId = this.publish(matched.topicUrn, request.body);
      return smnResponse(200, { message_id: messageId });
    }, (error) => smnResponse(error.status, { code: error.code, message: error.message }));
  }

  readonly faultResponse = apigw.faultResponse;
  readonly malformedResponse = apigw.malformedResponse;
  readonly tooLarge = apigw.tooLarge;

  /** The URN segment may arrive with its colons raw or percent-encoded; both decode the same. */
  private route(method: string, rawPath: string): { projectId: string; topicUrn: string } | undefined {
    const segments = rawPath.split('/');
    if (method !== 'POST' || segments.length !== 7 || segments[0] !== '' || segments[1] !== 'v2') return undefined;
    if (segments[3] !== 'notifications' || segments[4] !== 'topics' || segments[6] !== 'publish') return undefined;
    const projectId = tryDecode(segments[2] ?? '');
    const topicUrn = tryDecode(segments[5] ?? '');
    if (projectId === undefined || topicUrn === undefined || topicUrn === '') return undefined;
    return { projectId, topicUrn };
  }

  private publish(topicUrn: string, rawBody: Buffer): string {
    const urn = /^urn:smn:([^:]+):([^:]+):([^:]+)$/.exec(topicUrn);
    if (urn === null || urn[1] !== this.context.region || urn[2] !== this.context.projectId || !isValidTopicName(urn[3] ?? '')) {
      throw refused(ERROR_CODES.urn, 'Invalid topic URN.');
    }
    if (!this.topics.has(urn[3] ?? '')) throw refused(ERROR_CODES.topicNotFound, 'Topic not found.');
    // SMN documents 256 KB for `message` and says nothing of what it measures for
    // `message_structure`. We take the strictest reading, the whole request body: the subject, the
    // structure escaped once more as a JSON string (15–20 % larger than itself) and the JSON around
    // them. Which code the live service answers is undocumented; we answer 403 SMN.0009 "Message
    // is invalid", because the documented limit is the message's. A client must treat a refusal
    // of the message, whatever its status, as "split and retry" rather than rely on the code.
    if (rawBody.length > MAX_BODY_BYTES) {
      throw refused(ERROR_CODES.message, `Parameter: Message is invalid: the request body is ${rawBody.length} bytes, larger than 256 KB.`);
    }

    const body = parseBody(rawBody);

    const { subject, message, time_to_live: ttl } = body;
    if (subject !== undefined) {
      if (typeof subject !== 'string') throw refused(ERROR_CODES.subject, 'Parameter: Subject is invalid: must be a string.');
      if (byteLength(subject) > MAX_SUBJECT_BYTES) throw refused(ERROR_CODES.subject, 'Parameter: Subject is invalid: longer than 512 bytes.');
    }
    if (ttl !== undefined && (typeof ttl !== 'string' || !/^[0-9]{1,10}$/.test(ttl))) {
      throw refused(ERROR_CODES.message, 'Parameter: time_to_live is invalid: must be a string of digits.');
    }

    // Precedence: message_structure, then message_template_name, then message.
    const entry: PublishedMessage = { topicUrn, raw: body, at: this.context.now(), messageId: randomUUID().replaceAll('-', '') };
    if (typeof subject === 'string') entry.subject = subject;
    if (body.message_structure !== undefined && body.message_structure !== '') {
      entry.messageStructure = parseStructure(body.message_structure);
    } else if (body.message_template_name !== undefined && body.message_template_name !== '') {
      // The emulator holds no templates, so every template name is unknown.
      throw refused(ERROR_CODES.template, 'Message template not found.');
    } else if (message !== undefined && message !== '') {
      if (typeof message !== 'string') throw refused(ERROR_CODES.message, 'Parameter: Message is invalid: must be a string.');
      if (byteLength(message) > MAX_MESSAGE_BYTES) throw refused(ERROR_CODES.message, 'Parameter: Message is invalid: larger than 256 KB.');
      entry.message = message;
    } else {
      throw refused(ERROR_CODES.message, 'Parameter: Message is invalid: one of message_structure, message_template_name or message is required.');
    }
    // A message that also carries `message` alongside a structure keeps it for inspection.
    if (entry.message === undefined && typeof message === 'string') entry.message = message;
    this.record(entry);
    return entry.messageId;
  }
}
