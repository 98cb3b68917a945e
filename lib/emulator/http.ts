/**
 * The HTTP plumbing every emulated host shares: the request and response shapes handlers work
 * with, URL and query parsing that keeps what was sent (signatures are computed over it), body
 * reading with a size limit, and a listener that can be closed with requests still hanging.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ServiceError } from './errors.js';
import type { ApiCall, CloudCredential, ServiceName } from './types.js';

/** Bodies are read whole before signatures are checked; anything larger is refused with 413. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface IncomingRequest {
  method: string;
  /** Path exactly as sent, still percent-encoded. */
  rawPath: string;
  /** Everything after the first '?', exactly as sent ('' when absent). */
  rawQuery: string;
  /** Lower-cased names; repeated headers joined with ', ' (what node:http does). */
  headers: Record<string, string>;
  body: Buffer;
}

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json;charset=UTF-8', ...headers },
    body: Buffer.from(JSON.stringify(value), 'utf8'),
  };
}

export function splitUrl(url: string): { rawPath: string; rawQuery: string } {
  const question = url.indexOf('?');
  return question < 0 ? { rawPath: url, rawQuery: '' } : { rawPath: url.slice(0, question), rawQuery: url.slice(question + 1) };
}

/**
 * Pairs in wire order, decoded; `undefined` when some component is not valid percent-encoding.
 * A '+' stays a '+': the APIG signer encodes spaces as %20, never as '+'.
 */
export function parseQueryPairs(rawQuery: string): [string, string][] | undefined {
  if (rawQuery === '') return [];
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = tryDecode(equals < 0 ? part : part.slice(0, equals));
    const value = tryDecode(equals < 0 ? '' : part.slice(equals + 1));
    if (key === undefined || value === undefined) return undefined;
    pairs.push([key, value]);
  }
  return pairs;
}

/**
 * A request body that must be one JSON object, as VPCEP's and SMN's JSON APIs take: anything else
 * is refused with a 400 carrying the service's own `code`.
 */
export function jsonObjectBody(body: Buffer, code: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError(400, code, 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError(400, code, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Decoded parameters, the first value winning for repeated keys; an undecodable query reads as empty. */
export function queryMap(rawQuery: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of parseQueryPairs(rawQuery) ?? []) if (!map.has(key)) map.set(key, value);
  return map;
}

/** For ApiCall.query: first value wins, like the handlers; undecodable input is kept raw. */
export function queryRecord(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = tryDecode(equals < 0 ? part : part.slice(0, equals)) ?? part;
    if (key in out) continue;
    out[key] = equals < 0 ? '' : (tryDecode(part.slice(equals + 1)) ?? part.slice(equals + 1));
  }
  return out;
}

export function tryDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** `received`: the bytes that arrived before the body was refused, or its declared length when larger. */
export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large'; received: number } | { kind: 'aborted' };

export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve({ kind: 'too-large', received: declared });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish({ kind: 'too-large', received: Math.max(size, declared) });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks) }));
    request.on('error', () => finish({ kind: 'aborted' }));
    request.on('close', () => finish({ kind: 'aborted' }));
  });
}

/** Headers plus Content-Length, unless the response set its own (HEAD) or may have no body. */
function wireHeaders(response: EmulatorResponse): Record<string, string> {
  const headers = { ...response.headers };
  if (headers['Content-Length'] === undefined && response.status !== 204 && response.status !== 304) {
    headers['Content-Length'] = String(response.body.length);
  }
  return headers;
}

export function send(wire: ServerResponse, response: EmulatorResponse, closeAfter = false): void {
  const headers = wireHeaders(response);
  if (closeAfter) headers.Connection = 'close';
  wire.writeHead(response.status, headers);
  wire.end(response.body);
}

/** Sends the headers and the first half of the body, then cuts the connection. */
export function sendTruncated(wire: ServerResponse, response: EmulatorResponse): void {
  wire.writeHead(response.status, wireHeaders(response));
  const half = response.body.subarray(0, Math.floor(response.body.length / 2));
  const cut = (): void => {
    wire.socket?.destroy();
  };
  if (half.length === 0) {
    wire.flushHeaders();
    setImmediate(cut);
  } else {
    wire.write(half, cut);
  }
}

/**
 * One node:http server that remembers its sockets, so that close() can end hung requests and idle
 * keep-alive connections instead of waiting for them.
 */
export class Listener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** TLS handshakes completed (https only): a client that reuses its connections makes fewer than requests. */
  handshakes = 0;

  constructor(onRequest: (request: IncomingMessage, response: ServerResponse) => void, tls?: { cert: string; key: string }) {
    this.server = tls === undefined ? createServer(onRequest) : createTlsServer({ ...tls, keepAliveTimeout: 5_000 }, onRequest);
    this.server.on('secureConnection', () => this.handshakes++);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('listener has no TCP address'));
          return;
        }
        resolve(address.port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.server.closeAllConnections();
    });
  }
}

/** Credentials and clock shared by the listeners. */
export interface EmulatorContext {
  readonly region: string;
  readonly projectId: string;
  /** The account owning the project: VPCEP's `domain_id` of a service, OBS's object `<Owner>`. */
  readonly domainId: string;
  readonly credentials: ReadonlyMap<string, CloudCredential>;
  now(): Date;
}

/** What one listener (one emulated host) knows how to do. */
export interface ServiceEndpoint {
  readonly name: ServiceName;
  /** The ApiCall.api name for a request, from its method, path, query and Host header alone. */
  classify(method: string, rawPath: string, rawQuery: string, host: string): string;
  /** Authenticates and answers. Sets call.authFailure when authentication fails. */
  handle(request: IncomingRequest, call: ApiCall): EmulatorResponse;
  /** The answer for an injected `status` fault; a body the test did not choose is the service's usual error. */
  faultResponse(status: number, body: unknown, retryAfter: number | undefined): EmulatorResponse;
  malformedResponse(body: string): EmulatorResponse;
  tooLarge(): EmulatorResponse;
  /** The largest request body this host accepts; MAX_BODY_BYTES when not set. */
  readonly maxBodyBytes?: number;
}
