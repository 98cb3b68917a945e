/**
 * One HTTP exchange with node:http(s), the body read whole. Not `fetch`: Node's fetch is undici,
 * whose first use costs ~20 MB of resident memory (its JavaScript and its WebAssembly HTTP parser)
 * against ~4 MB for node:http, which the OBS SDK loads anyway — a fifth of a 128 MB function.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received: decoded only by a caller that needs its text. */
  bytes: Buffer;
}

/** Thrown when the answer's body passes `maxBodyBytes`: the read stops there and the socket is closed. */
export class HttpBodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`the answer is larger than ${limitBytes} bytes`);
  }
}

/** Thrown when the time limit ends the exchange: the transport's "timed out", by name. */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
}

export function sendHttp(url: string, options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; maxBodyBytes: number }): Promise<HttpAnswer> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const headers = options.body === undefined ? options.headers : { ...options.headers, 'Content-Length': String(Buffer.byteLength(options.body, 'utf8')) };
  return new Promise((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new HttpTimeoutError(`no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onResponse = (response: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let received = 0;
      // A declared length past the ceiling is refused before a byte of it is read.
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > options.maxBodyBytes) {
        fail(new HttpBodyTooLargeError(options.maxBodyBytes));
        return;
      }
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBodyBytes) fail(new HttpBodyTooLargeError(options.maxBodyBytes));
        else chunks.push(chunk);
      });
      response.on('error', fail);
      // A body cut short ends in 'close' without 'end' (or with `complete` false).
      response.on('close', () => {
        if (!response.complete) fail(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' }));
      });
      response.on('end', () => {
        if (settled || !response.complete) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes: Buffer.concat(chunks) });
      });
    };
    try {
      request = transport.request(target, { method: options.method, headers }, onResponse);
    } catch (error) {
      // A header Node refuses (an invalid character) throws here, before any request exists.
      fail(error);
      return;
    }
    request.on('error', fail);
    request.end(options.body);
  });
}
