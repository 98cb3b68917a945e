/**
 * The built bundle in a process of its own, as FunctionGraph runs it: for what is fixed at process
 * start (NODE_EXTRA_CA_CERTS, V8's heap flags) and for a peak RSS that is the function's alone.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** FunctionGraph's 128 MB size, as bench/bench.ts runs its children. */
export const HEAP_FLAGS_128_MB = ['--max-old-space-size=96', '--max-semi-space-size=1'];

export interface ChildRun {
  /** The handler's summary, when it resolved. */
  result?: Record<string, unknown>;
  /** The handler's error message, when it rejected. */
  error?: string;
  /** VmHWM of the child after the run. */
  peakRssKiB: number;
  /** Everything the child printed (the function's JSON log lines). */
  stdout: string;
  stderr: string;
}

const childScript = (bundle: string) => `
  const { handler } = require(${JSON.stringify(bundle)});
  const input = JSON.parse(process.env.CHILD_INPUT);
  delete process.env.CHILD_INPUT;
  const started = Date.now();
  const c = input.credentials;
  const context = {
    getRequestID: () => 'child-run',
    getRemainingTimeInMilliSeconds: () => input.timeoutMs - (Date.now() - started),
    getUserData: (key) => input.userData[key],
    getSecurityAccessKey: () => c.ak, getSecuritySecretKey: () => c.sk, getSecurityToken: () => c.securityToken || '',
  };
  const peak = () => Number(/VmHWM:\\s*(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
  // Idle keep-alive sockets would hold the process open; the outcome is written synchronously first.
  const report = (outcome) => { require('node:fs').writeSync(3, JSON.stringify({ ...outcome, peakRssKiB: peak() })); process.exit(0); };
  handler({ trigger_type: 'TIMER' }, context).then(
    (result) => report({ result }),
    (error) => report({ error: error.message }),
  );`;

export function runBundleInChild(options: {
  userData: Record<string, string>;
  credentials: { ak: string; sk: string; securityToken?: string };
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  timeoutMs?: number;
}): Promise<ChildRun> {
  const input = JSON.stringify({ userData: options.userData, credentials: options.credentials, timeoutMs: options.timeoutMs ?? 60_000 });
  return new Promise((resolvePromise, reject) => {
    // fd 3 carries the outcome, so the function's own output on stdout stays as it is.
    const child = spawn(process.execPath, [...(options.execArgv ?? []), '-e', childScript(resolve('dist/connection-monitor/index.js'))], {
      env: { PATH: process.env.PATH, ...options.env, CHILD_INPUT: input },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let outcome = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (outcome += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (outcome === '') {
        reject(new Error(`the bundle's process ended with ${signal ?? `code ${code}`} and no outcome; stderr: ${stderr.slice(-2000)}`));
        return;
      }
      resolvePromise({ ...(JSON.parse(outcome) as Omit<ChildRun, 'stdout' | 'stderr'>), stdout, stderr });
    });
  });
}
