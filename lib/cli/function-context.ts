/**
 * A stand-in for FunctionGraph's invocation context, for the demo, the CLI's local runs and the
 * end-to-end tests: the same methods the platform provides, backed by plain values.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionGraphContext } from '../../functions/connection-monitor/index.js';

export interface LocalContextOptions {
  userData: Record<string, string>;
  credentials?: { ak: string; sk: string; securityToken?: string };
  /** The function's timeout; the remaining time counts down from it. */
  timeoutMs?: number;
  requestId?: string;
  /** The function's name (`vpcep-connection-monitor` unless told): a second deployment has another. */
  functionName?: string;
  /** The function's memory size in MB (128 unless told). */
  memorySize?: number;
}

export function functionGraphContext(options: LocalContextOptions): FunctionGraphContext & Record<string, unknown> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  return {
    getRequestID: () => options.requestId ?? randomUUID(),
    getRemainingTimeInMilliSeconds: () => Math.max(0, timeoutMs - (Date.now() - started)),
    getUserData: (key: string) => options.userData[key],
    // Without an agency FunctionGraph returns empty strings here.
    getSecurityAccessKey: () => options.credentials?.ak ?? '',
    getSecuritySecretKey: () => options.credentials?.sk ?? '',
    getSecurityToken: () => options.credentials?.securityToken ?? '',
    getFunctionName: () => options.functionName ?? 'vpcep-connection-monitor',
    getPackage: () => 'default',
    getVersion: () => 'latest',
    getMemorySize: () => options.memorySize ?? 128,
    getCPUNumber: () => 0.1,
    getRunningTimeInSeconds: () => Math.ceil(timeoutMs / 1000),
    getProjectID: () => options.userData.HUAWEICLOUD_PROJECT_ID ?? '',
  };
}

/** A FunctionGraph timer trigger's event. */
export function timerEvent(time: Date = new Date()): Record<string, string> {
  return {
    version: 'v1.0',
    time: time.toISOString(),
    trigger_type: 'TIMER',
    trigger_name: 'vpcep-monitor-every-5-minutes',
    user_event: '',
  };
}
