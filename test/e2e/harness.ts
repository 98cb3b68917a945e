/** What the end-to-end tests share: the built bundle, settings for the local cloud, captured output. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { FunctionGraphContext, Summary } from '../../functions/connection-monitor/index.js';
import type { LocalCloud } from '../../lib/emulator/index.js';

/** The handler of dist/connection-monitor/index.js, loaded as FunctionGraph loads it. */
export const bundle = createRequire(import.meta.url)(resolve('dist/connection-monitor/index.js')) as {
  handler: (event: unknown, context: FunctionGraphContext) => Promise<Summary>;
};

/** The function's user data pointing at the local cloud. */
export function userDataFor(cloud: LocalCloud, bucket: string, topic = 'alerts'): Record<string, string> {
  return {
    HUAWEICLOUD_PROJECT_ID: cloud.projectId,
    OBS_BUCKET: bucket,
    SMN_TOPIC_URN: cloud.createTopic(topic),
    VPCEP_ENDPOINT: cloud.endpoints.vpcep,
    SMN_ENDPOINT: cloud.endpoints.smn,
    OBS_ENDPOINT: cloud.endpoints.obs,
    CTS_ENDPOINT: cloud.endpoints.cts,
  };
}

/**
 * Runs `work` with every way a process can print captured, into `sink`: pino's synchronous writes
 * to fd 1 and 2, the process streams, and console.
 */
export async function capturingOutput<T>(sink: string[], work: () => Promise<T>): Promise<T> {
  const writeSync = fs.writeSync;
  const writes = [process.stdout.write, process.stderr.write] as const;
  const consoleMethods = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
  const keep = (data: unknown): void => {
    sink.push(
      typeof data === 'string' ? data
        : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()
        : String(data),
    );
  };
  fs.writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd !== 1 && fd !== 2) return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
    keep(data);
    return typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength;
  }) as typeof fs.writeSync;
  process.stdout.write = ((data: unknown) => (keep(data), true)) as typeof process.stdout.write;
  process.stderr.write = ((data: unknown) => (keep(data), true)) as typeof process.stderr.write;
  for (const name of Object.keys(consoleMethods) as (keyof typeof consoleMethods)[]) console[name] = (...args: unknown[]) => keep(args.join(' '));
  try {
    return await work();
  } finally {
    fs.writeSync = writeSync;
    [process.stdout.write, process.stderr.write] = writes;
    Object.assign(console, consoleMethods);
  }
}

/** The JSON log lines (pino's) among captured output. */
export function jsonLogLines(output: readonly string[]): Record<string, unknown>[] {
  return output.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}
