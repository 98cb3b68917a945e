/**
 * FunctionGraph, simulated: the packaged zip is unzipped into an empty directory and its
 * `index.handler` is called from a fresh Node process the way FunctionGraph's Node.js runtime
 * does it: a timer event, a context object, the settings only in user data, the agency's
 * temporary credentials only through the context, and no node_modules anywhere to fall back on.
 * The cloud on the other end is the local emulator (lib/emulator).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../lib/config';
import { LocalCloud } from '../../lib/emulator/index';

const ROOT = resolve(__dirname, '../..');
const TIMEOUT_MS = 20_000;

// Temporary credentials as an agency hands them out; the emulator insists on the token too.
const CREDENTIALS = { ak: 'AGENCYTEMPAK0000EXAMPLE', sk: 'agency-temporary-secret-key-example-0001', securityToken: 'agency-security-token-example-'.padEnd(96, 'x') };

interface Invocation {
  code: number | null;
  stdout: string;
  stderr: string;
  result?: unknown;
  error?: { name: string; message: string };
}

/**
 * What FunctionGraph's runtime does, in a child process: load `index.js` from the code directory,
 * build a context and call the handler with the event. The outcome goes to a file outside the
 * code directory because stdout belongs to the function's logs.
 */
const RUNNER = String.raw`
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + input.timeoutMs;
const context = {
  getRequestID: () => input.requestId,
  getRemainingTimeInMilliSeconds: () => Math.max(0, deadline - Date.now()),
  getRunningTimeInSeconds: () => input.timeoutMs / 1000,
  getUserData: (key) => input.userData[key],
  getSecurityAccessKey: () => input.credentials.ak,
  getSecuritySecretKey: () => input.credentials.sk,
  getSecurityToken: () => input.credentials.securityToken,
  getFunctionName: () => 'vpcep-connection-monitor',
  getVersion: () => 'latest',
  getAlias: () => '',
  getMemorySize: () => 256,
  getCPUNumber: () => 300,
  getPackage: () => 'default',
  getToken: () => '',
  getProjectID: () => input.userData.HUAWEICLOUD_PROJECT_ID,
  getLogger: () => ({ info: console.log, warn: console.warn, error: console.error, debug: console.log }),
};
const { handler } = require(join(process.cwd(), 'index.js'));
Promise.resolve()
  .then(() => handler(input.event, context))
  .then(
    (result) => writeFileSync(input.outcomeFile, JSON.stringify({ result })),
    (error) => writeFileSync(input.outcomeFile, JSON.stringify({ error: { name: error && error.name, message: String(error && error.message) } })),
  );
`;

function invoke(codeDir: string, scratch: string, event: unknown, userData: Record<string, string>): Promise<Invocation> {
  const inputFile = join(scratch, 'input.json');
  const outcomeFile = join(scratch, 'outcome.json');
  const runnerFile = join(scratch, 'runner.cjs');
  writeFileSync(runnerFile, RUNNER);
  writeFileSync(inputFile, JSON.stringify({ event, userData, credentials: CREDENTIALS, requestId: 'e2e-request-0001', timeoutMs: 60_000, outcomeFile }));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [runnerFile, inputFile], {
      cwd: codeDir,
      // Nothing from this process leaks in: no NODE_OPTIONS, no HUAWEICLOUD_SDK_* fallbacks. Only
      // what FunctionGraph presets is added: the project and the user data as JSON.
      env: {
        PATH: process.env.PATH ?? '',
        RUNTIME_PROJECT_ID: userData.HUAWEICLOUD_PROJECT_ID ?? '',
        RUNTIME_USERDATA: JSON.stringify(userData),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const outcome = existsSync(outcomeFile) ? (JSON.parse(readFileSync(outcomeFile, 'utf8')) as Partial<Invocation>) : {};
      resolvePromise({ code, stdout, stderr, ...outcome });
    });
  });
}

/** Every directory from `dir` up to the filesystem root. */
function ancestors(dir: string): string[] {
  const out = [dir];
  while (dirname(out[out.length - 1]!) !== out[out.length - 1]) out.push(dirname(out[out.length - 1]!));
  return out;
}

describe('FunctionGraph, simulated', () => {
  let scratch: string;
  let codeDir: string;
  let cloud: LocalCloud;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'fgs-scratch-'));
    const zipPath = join(scratch, 'connection-monitor.zip');
    execFileSync(process.execPath, [join(ROOT, 'scripts/package.mjs'), '--out', zipPath], { cwd: ROOT, stdio: 'pipe' });

    codeDir = mkdtempSync(join(tmpdir(), 'fgs-code-'));
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync(zipPath))))) {
      writeFileSync(join(codeDir, name), bytes);
    }
    cloud = await LocalCloud.start({ credentials: [CREDENTIALS] });
  });

  afterAll(async () => {
    await cloud?.stop();
    for (const dir of [scratch, codeDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs from a directory with no node_modules on the way up', () => {
    expect(existsSync(join(codeDir, 'index.js'))).toBe(true);
    for (const dir of ancestors(codeDir)) expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
  });

  it('scans the services, alerts on the pending connection and returns the summary', async () => {
    const service = cloud.addService({ name: 'orders' });
    const accepted = cloud.addConnections(service.id, 2, { status: 'accepted' });
    const [pending] = cloud.addConnections(service.id, 1, { status: 'pendingAcceptance' });
    expect(pending).toBeDefined();
    const topicUrn = cloud.createTopic('vpcep-alerts');
    cloud.createBucket('vpcep-monitor-state');

    // The settings as the Terraform module's user_data would carry them, pointed at the emulator.
    const userData: Record<string, string> = {
      HUAWEICLOUD_REGION: cloud.region,
      HUAWEICLOUD_PROJECT_ID: cloud.projectId,
      OBS_BUCKET: 'vpcep-monitor-state',
      OBS_PREFIX: 'vpcep-monitor/',
      SMN_TOPIC_URN: topicUrn,
      VPCEP_ENDPOINT: cloud.endpoints.vpcep,
      SMN_ENDPOINT: cloud.endpoints.smn,
      OBS_ENDPOINT: cloud.endpoints.obs,
      LOG_LEVEL: 'info',
    };
    const known = new Set<string>(SETTINGS.map((s) => s.name));
    expect(Object.keys(userData).filter((k) => !known.has(k))).toEqual([]);

    const timerEvent = {
      version: 'v1.0',
      time: new Date().toISOString(),
      trigger_type: 'TIMER',
      trigger_name: 'vpcep-connection-monitor-timer',
      user_event: 'vpcep-connection-monitor',
    };
    const run = await invoke(codeDir, scratch, timerEvent, userData);

    expect(run.error, `handler threw; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBeUndefined();
    expect(run.code, `runner exited abnormally; stderr:\n${run.stderr}`).toBe(0);
    expect(run.result).toMatchObject({ services: 1, connections: 3 });

    const toTopic = cloud.published.filter((p) => p.topicUrn === topicUrn);
    expect(toTopic.length).toBeGreaterThan(0);
    expect(toTopic.some((p) => JSON.stringify(p.raw).includes(pending!.id))).toBe(true);
    for (const { id } of accepted) expect(JSON.stringify(toTopic.map((p) => p.raw)), 'accepted connections are not alerts').not.toContain(id);

    // Where the Terraform module's lifecycle rules and IAM resource expect the state and audit trail.
    expect(cloud.getObject('vpcep-monitor-state', 'vpcep-monitor/state.json')).toBeDefined();
    expect(cloud.objectKeys('vpcep-monitor-state', 'vpcep-monitor/audit/').length).toBeGreaterThan(0);

    // Logs are the function's stdout in LTS: JSON lines, and never the agency's credentials.
    const logs = `${run.stdout}${run.stderr}`;
    for (const secret of [CREDENTIALS.sk, CREDENTIALS.securityToken]) expect(logs).not.toContain(secret);
    const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});
