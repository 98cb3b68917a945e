/**
 * The console's second door: a small HTTP endpoint on loopback, so a person can change the local
 * cloud from another terminal (`vpcep-monitor emulator VERB …`). Its URL carries a random token,
 * printed with the rest of the emulator's environment, so only someone who can read that output
 * can drive it. One request is one command: `POST {url}` with `{"words":[…]}`, answered
 * `{"ok","output"}`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Listener, readBody } from './http.js';
import type { ConsoleResult } from './console-commands.js';

const MAX_COMMAND_BYTES = 64 * 1024;

export class ConsoleControl {
  private readonly listener: Listener;
  private address = '';

  /** `token` keeps an earlier start's URL valid (the emulator's --data-dir keeps it); new by default. */
  constructor(
    private readonly run: (words: string[]) => ConsoleResult,
    private readonly token: string = randomBytes(16).toString('hex'),
  ) {
    this.listener = new Listener((request, response) => void this.serve(request, response));
  }

  /** Starts listening on 127.0.0.1 and returns the URL the client needs (token included). */
  async start(port = 0): Promise<string> {
    const bound = await this.listener.listen(port);
    this.address = `http://127.0.0.1:${bound}/${this.token}/command`;
    return this.address;
  }

  stop(): Promise<void> {
    return this.listener.close();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = (status: number, value: unknown): void => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (request.method !== 'POST' || request.url !== `/${this.token}/command`) {
      answer(404, { ok: false, output: 'error: not a local cloud console URL (is the token in VPCEP_EMULATOR_CONTROL current?)' });
      return;
    }
    const body = await readBody(request, MAX_COMMAND_BYTES);
    if (body.kind !== 'ok') {
      answer(400, { ok: false, output: 'error: the command is missing or larger than 64 KiB' });
      return;
    }
    let words: unknown;
    try {
      words = (JSON.parse(body.body.toString('utf8')) as { words?: unknown }).words;
    } catch {
      words = undefined;
    }
    if (!Array.isArray(words) || !words.every((word): word is string => typeof word === 'string')) {
      answer(400, { ok: false, output: 'error: the body must be {"words": ["verb", "argument", …]}' });
      return;
    }
    try {
      answer(200, this.run(words));
    } catch (error) {
      answer(500, { ok: false, output: `error: the local cloud failed on this command: ${(error as Error).message}` });
    }
  }
}

/** Sends one command to a running emulator; the error says what to check when it cannot be reached. */
export async function sendConsoleCommand(controlUrl: string, words: readonly string[]): Promise<ConsoleResult> {
  let url: URL;
  try {
    url = new URL(controlUrl);
  } catch {
    throw new Error(`VPCEP_EMULATOR_CONTROL is not a URL: ${JSON.stringify(controlUrl.slice(0, 120))}`);
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ words }) });
  } catch (error) {
    // undici puts the socket-level reason (ECONNREFUSED, "bad port") in the cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new Error(`cannot reach the local cloud at ${url.origin} (${reason}); is "vpcep-monitor emulator" still running, and VPCEP_EMULATOR_CONTROL from its current output?`);
  }
  const result = (await response.json().catch(() => undefined)) as ConsoleResult | undefined;
  if (result === undefined || typeof result.output !== 'string') throw new Error(`the local cloud at ${url.origin} answered HTTP ${response.status} without a console result`);
  return { ok: result.ok === true && response.ok, output: result.output, ...(result.quit ? { quit: true } : {}), ...(result.usage === true ? { usage: true } : {}) };
}
