/**
 * What happens to one request on any listener: it is recorded as an ApiCall, its body read (or
 * refused as too large) and its size recorded, an injected fault applied if one matches (by
 * service, API, path, query, method or body), and otherwise the service's handler answers. A
 * throwing handler answers 500 EMULATOR.BUG so a test sees it instead of hanging.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultTable } from './faults.js';
import type { EmulatorResponse, IncomingRequest, ServiceEndpoint } from './http.js';
import { flattenHeaders, jsonResponse, queryRecord, readBody, send, sendTruncated, splitUrl } from './http.js';
import type { ApiCall, CloudWorld } from './types.js';

/** What the pipeline needs from the cloud it serves. */
export interface PipelineHost {
  readonly calls: ApiCall[];
  readonly faults: FaultTable;
  readonly world: CloudWorld;
  sleep(ms: number): Promise<void>;
  isStopped(): boolean;
  /** Told of every request refused for its signature, with the reason in `call.authFailure`. */
  refused(call: ApiCall): void;
}

export async function serveRequest(host: PipelineHost, service: ServiceEndpoint, request: IncomingMessage, wire: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const { rawPath, rawQuery } = splitUrl(request.url ?? '/');
  const api = service.classify(method, rawPath, rawQuery, request.headers.host ?? '');
  const call: ApiCall = {
    service: service.name,
    method,
    path: rawPath,
    query: queryRecord(rawQuery),
    status: 0,
    api,
    headers: flattenHeaders(request),
    bodyBytes: 0,
  };
  host.calls.push(call);
  const answer = (response: EmulatorResponse, closeAfter = false): void => {
    call.status = response.status;
    send(wire, response, closeAfter);
    if (call.authFailure !== undefined) host.refused(call);
  };

  try {
    const body = await readBody(request, service.maxBodyBytes);
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      call.bodyBytes = body.received;
      answer(service.tooLarge(), true);
      return;
    }
    call.bodyBytes = body.body.length;
    const incoming: IncomingRequest = { method, rawPath, rawQuery, headers: { ...call.headers }, body: body.body };

    const fault = host.faults.take(service.name, api, { path: rawPath, query: { ...call.query }, method, body: body.body });
    switch (fault?.kind) {
      case undefined:
        break;
      case 'status':
        answer(service.faultResponse(fault.status, fault.body, fault.retryAfter));
        return;
      case 'hang':
        return; // until the client gives up or stop() destroys the socket
      case 'reset':
        request.socket.destroy();
        return;
      case 'malformed':
        answer(service.malformedResponse(fault.body));
        return;
      case 'truncate': {
        const response = service.handle(incoming, call);
        call.status = response.status;
        sendTruncated(wire, response);
        return;
      }
      case 'mutate':
        fault.run(host.world);
        break;
      case 'delay':
        await host.sleep(fault.ms);
        if (host.isStopped() || wire.destroyed) return;
        break;
    }
    answer(service.handle(incoming, call));
  } catch (error) {
    // A bug in the emulator (or a throwing mutate fault) must show up in the test, not hang it.
    if (!wire.headersSent && !wire.destroyed) {
      const message = error instanceof Error ? error.message : String(error);
      answer(jsonResponse(500, { error_code: 'EMULATOR.BUG', error_msg: message }, { 'X-Request-Id': randomUUID() }));
    }
  }
}
