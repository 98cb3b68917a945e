/**
 * Reading OBS answers within bounds: a ceiling on bytes (`limits.ts`) for what the SDK reads whole
 * and for what it hands over as a stream, and a time limit between a stream's pieces.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { CloudError, endpointOrigin, networkError, ResponseTooLargeError, TimeoutError } from './errors.js';

/**
 * The request hook that holds an answer the SDK reads whole to `maxBytes`: a larger declared
 * length, or more bytes than that arriving, ends the response with ResponseTooLargeError, which
 * the SDK hands back as the call's failure.
 */
export function bodyCeiling(api: string, endpoint: string, maxBytes: number): (request: ClientRequest) => void {
  return (request) => {
    request.once('response', (response: IncomingMessage) => {
      const refuse = (): void => void response.destroy(new ResponseTooLargeError(api, endpoint, maxBytes));
      if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
        refuse();
        return;
      }
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) refuse();
      });
    });
  };
}

/**
 * The stream's pieces, failing as a timeout when one does not come within `ms` and as too large
 * past `maxBytes`, and closed however the reader stops.
 */
export async function* bounded(api: string, endpoint: string, stream: Readable, ms: number, maxBytes: number): AsyncGenerator<Uint8Array> {
  const arm = (): NodeJS.Timeout => setTimeout(() => stream.destroy(new TimeoutError(`${api} timed out after ${ms} ms without data from ${endpointOrigin(endpoint)}`, api)), ms);
  let timer = arm();
  let received = 0;
  try {
    for await (const piece of stream) {
      clearTimeout(timer);
      received += (piece as Uint8Array).length;
      if (received > maxBytes) throw new ResponseTooLargeError(api, endpoint, maxBytes);
      yield piece as Uint8Array;
      timer = arm();
    }
  } catch (error) {
    if (error instanceof CloudError) throw error;
    throw networkError(api, endpoint, error);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
}
