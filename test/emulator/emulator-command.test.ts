/**
 * `vpcep-monitor emulator` as a person uses it, through the built dist/cli.js: started in one
 * process, changed from its own prompt (stdin) and from a second terminal, watched by `run`, its
 * SMN messages printed as subscribers read them, and its world kept across a restart.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

const execFileAsync = promisify(execFile);
const CLI = join(process.cwd(), 'dist/cli.js');

/** One running `vpcep-monitor emulator`, with everything it printed so far. */
class EmulatorProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(args: string[], keys: { HUAWEICLOUD_SDK_AK?: string; HUAWEICLOUD_SDK_SK?: string } = {}): EmulatorProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.HUAWEICLOUD_SDK_AK;
    delete env.HUAWEICLOUD_SDK_SK;
    return new EmulatorProcess(spawn(process.execPath, [CLI, 'emulator', ...args], { env: { ...env, ...keys } }));
  }

  async waitFor(pattern: RegExp, from = 0, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match !== null) return match;
      if (Date.now() > deadline) throw new Error(`emulator never printed ${pattern}; it printed:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The environment its `export` lines describe. */
  async environment(): Promise<Record<string, string>> {
    await this.waitFor(/export VPCEP_EMULATOR_CONTROL=\S+\n/);
    return Object.fromEntries([...this.output.matchAll(/^export ([A-Z_]+)=(\S+)$/gm)].map((match) => [match[1] as string, match[2] as string]));
  }

  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  exit(): Promise<number | null> {
    return this.exited;
  }
}

let directory: string;
const started: EmulatorProcess[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'emulator-command-'));
});
afterAll(async () => {
  for (const emulator of started) emulator.child.kill('SIGKILL');
  await rm(directory, { recursive: true, force: true });
});

/** A port nothing listens on: bound once by us, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function start(args: string[]): EmulatorProcess {
  const emulator = EmulatorProcess.start(args);
  started.push(emulator);
  return emulator;
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'silent', NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('a scripted session: a pending request added at the prompt and a failure from a second terminal are alerted and printed; the world survives a restart', async () => {
  const dataDir = join(directory, 'world');
  const first = start(['--seed', '4', '--data-dir', dataDir]);
  const env = await first.environment();
  expect(first.output).toContain('New world: local-service with 4 connection(s), 2 of them pendingAcceptance.');
  expect(env.OBS_ENDPOINT).toMatch(/^http:\/\/obs\.localhost:\d+$/);

  const baseline = await cli(env, 'run');
  expect(baseline.code).toBe(0);
  expect(JSON.parse(baseline.stdout)).toMatchObject({ baseline: true, connections: 4, alerts: 2, published: 1 });
  await first.waitFor(/Subject: \[VPCEP ap-southeast-1\] 2 connections need attention \(first run\)/);

  // At the emulator's own prompt.
  const mark = first.output.length;
  first.type('add-pending local-service domain=0123456789abcdef0123456789abcdef "scripted request"');
  const added = (await first.waitFor(/added ([0-9a-f-]{36}) to local-service: pendingAcceptance/, mark))[1] as string;

  // From a second terminal, as docs/cli.md shows it.
  const fromSecond = await cli(env, 'emulator', 'add-pending', 'local-service', 'analytics team, ticket OPS-1182');
  expect(fromSecond.stdout).toMatch(/^added [0-9a-f-]{36} to local-service: pendingAcceptance, consumer [0-9a-f]{32}\n$/);
  const accepted = await cli(env, 'emulator', 'list', 'accepted');
  expect(accepted.code).toBe(0);
  const victim = /local-service\s+([0-9a-f-]{36})\s+accepted/.exec(accepted.stdout)?.[1] as string;
  const failed = await cli(env, 'emulator', 'fail', victim.slice(0, 8), 'EndPoint.2014', 'No free IP addresses.');
  expect(failed).toMatchObject({ code: 0, stdout: `${victim} is failed (EndPoint.2014: No free IP addresses.; was accepted)\n` });
  const mistake = await cli(env, 'emulator', 'reject', 'zz');
  expect(mistake).toMatchObject({ code: 2, stdout: '', stderr: 'error: "zz" is too short: give at least 4 characters of the connection id\n' });
  expect(await cli(env, 'emulator', 'reject', 'ffffffff')).toMatchObject({ code: 1, stderr: 'error: no connection starts with "ffffffff"; "list" shows them\n' });

  const changes = await cli(env, 'run');
  expect(JSON.parse(changes.stdout)).toMatchObject({ baseline: false, changes: 3, alerts: 3, published: 1 });
  const printed = await first.waitFor(/Subject: \[VPCEP ap-southeast-1\] 3 connections changed: 1 failed, 2 pendingAcceptance\n(?:.*\n)*?SMS: .*\n/, mark);
  expect(printed[0]).toContain(`${added}: new -> pendingAcceptance`);
  expect(printed[0]).toContain('description "scripted request"');
  expect(printed[0]).toContain(`${victim}: accepted -> failed`);
  expect(printed[0]).toMatch(/SMS: VPCEP ap-southeast-1: 1 failed, 2 pending/);

  first.type('quit');
  expect(await first.exit()).toBe(0);
  expect(first.output).toContain(`Saved the local cloud to ${join(dataDir, 'local-cloud.json')}.`);

  // Restarted with the documented command, the very one that started it: the same world (the
  // monitor's state included), and the same keys and ports, so the exports pasted before still work.
  const second = start(['--seed', '4', '--data-dir', dataDir]);
  const restartedEnv = await second.environment();
  expect(second.output).toContain(`World loaded from ${join(dataDir, 'local-cloud.json')}: 1 service(s), 6 connection(s).`);
  expect(second.output).toContain(`--seed 4 ignored: ${join(dataDir, 'local-cloud.json')} already holds a world`);
  expect(second.output).toContain('Same keys and ports as before: the exports it printed last time still work.');
  expect(restartedEnv).toEqual(env);
  const listed = await cli(env, 'emulator', 'list', 'pendingAcceptance');
  expect(listed.stdout).toContain(`${added}  pendingAcceptance`);
  const quiet = await cli(env, 'run');
  expect(JSON.parse(quiet.stdout)).toMatchObject({ baseline: false, changes: 0, alerts: 0, published: 0 });
  second.child.kill('SIGTERM');
  expect(await second.exit()).toBe(0);
  expect(second.output).toContain('Saved the local cloud to');
});

test('refuses a base port whose five listeners do not fit, and says why', async () => {
  const result = await cli({}, 'emulator', '--port', '65534');
  expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('--port 65534 leaves no room: the local cloud listens on 5 ports from N (VPCEP, SMN, OBS, Cloud Eye, CTS), so N must be at most 65531') });
  expect((await cli({}, 'emulator', '--port', 'http')).stderr).toContain('--port must be a port number from 1 to 65531, got "http"');
});

test('a command for a running emulator needs VPCEP_EMULATOR_CONTROL, and says where it comes from', async () => {
  const result = await cli({ VPCEP_EMULATOR_CONTROL: '' }, 'emulator', 'list');
  expect(result).toMatchObject({ code: 1, stderr: 'error: VPCEP_EMULATOR_CONTROL is not set: start "npm exec --no -- vpcep-monitor emulator" in another terminal and run the export lines it prints\n' });
  const closed = await freePort();
  const gone = await cli({ VPCEP_EMULATOR_CONTROL: `http://127.0.0.1:${closed}/secret-token/command` }, 'emulator', 'list');
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(new RegExp(`^error: cannot reach the local cloud at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\); is "vpcep-monitor emulator" still running`));
  expect(gone.stderr).not.toContain('secret-token');
  expect((await cli({}, 'emulator', 'help')).stdout).toContain('add-pending SERVICE [domain=ID] [TEXT...]');
});

test('never prints keys it did not make: real ones in the environment are not reused, its own are', async () => {
  const real = EmulatorProcess.start(['--seed', '1'], { HUAWEICLOUD_SDK_AK: 'REALACCESSKEY00000001', HUAWEICLOUD_SDK_SK: 'real-secret-key-do-not-print' });
  started.push(real);
  const printed = await real.environment();
  expect(real.output).not.toContain('real-secret-key-do-not-print');
  expect(printed.HUAWEICLOUD_SDK_AK).toMatch(/^LOCAL/);
  real.type('quit');
  await real.exit();
  const again = EmulatorProcess.start(['--seed', '1'], { HUAWEICLOUD_SDK_AK: printed.HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK: printed.HUAWEICLOUD_SDK_SK });
  started.push(again);
  expect(await again.environment()).toMatchObject({ HUAWEICLOUD_SDK_AK: printed.HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK: printed.HUAWEICLOUD_SDK_SK });
  again.type('quit');
  await again.exit();
});

test('says in its log why it refused a signature, which the client only sees as 401 APIGW.0301, and prints no credential', async () => {
  const emulator = EmulatorProcess.start(['--seed', '1']);
  started.push(emulator);
  const env = await emulator.environment();
  const from = emulator.output.length;
  const sdkDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const signature = 'ab'.repeat(32);
  const res = await fetch(`${env.VPCEP_ENDPOINT}/v1/${env.HUAWEICLOUD_PROJECT_ID}/vpc-endpoint-services`, {
    headers: { 'X-Sdk-Date': sdkDate, Authorization: `SDK-HMAC-SHA256 Access=${env.HUAWEICLOUD_SDK_AK}, SignedHeaders=host;x-sdk-date, Signature=${signature}` },
  });
  expect([res.status, ((await res.json()) as { error_code: string }).error_code]).toEqual([401, 'APIGW.0301']);
  await emulator.waitFor(/refused GET \/v1\/[0-9a-f]{32}\/vpc-endpoint-services \(vpcep, HTTP 401\): signature mismatch\n/, from);
  expect(emulator.output).not.toContain(signature);
  expect(emulator.output.slice(from)).not.toContain(env.HUAWEICLOUD_SDK_SK!);
  emulator.type('quit');
  await emulator.exit();
});
