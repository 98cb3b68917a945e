/** `vpcep-monitor run` stopped by a signal gives its state lease back, so the timer's runs are not skipped for 15 minutes. */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import { userDataFor } from '../e2e/harness.js';

const credentials = { ak: 'CLISIGNALAK000000001', sk: 'cli-signal-secret-key-000000000000001' };
const LEASE = 'vpcep-monitor/lease.json';
let cloud: LocalCloud;

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('signal-bucket');
  cloud.addConnection(cloud.addService({ name: 'payments' }).id, { status: 'pendingAcceptance' });
});
afterEach(async () => {
  await cloud.stop();
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  it(`releases the lease it holds on ${signal} and exits ${code}`, async () => {
    // SMN hangs, so the run is caught holding the lease, between saving its outbox and publishing.
    cloud.inject({ service: 'smn', kind: 'hang', times: Infinity });
    const env = { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, ...userDataFor(cloud, 'signal-bucket'), LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, ['dist/cli.js', 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Both: the lease alone is taken before the outbox is saved, and a kill then would find no state.
    const caught = () => cloud.getObject('signal-bucket', LEASE) !== undefined && cloud.getObject('signal-bucket', 'vpcep-monitor/state.json') !== undefined;
    for (let waited = 0; !caught(); waited += 50) {
      if (waited > 20_000) throw new Error(`the run never took the lease and saved its outbox: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.parse(cloud.getObject('signal-bucket', LEASE)!.toString())).toMatchObject({ runId: expect.stringMatching(/^cli-/) });
    child.kill(signal);
    expect(await closed).toBe(code);
    expect(cloud.getObject('signal-bucket', LEASE)).toBeUndefined();
    expect(stderr).toContain(`${signal}: stopping; releasing the state lease`);
    // The outbox was saved before the signal: the alert is not lost, the next run delivers it.
    cloud.clearFaults();
    expect(cloud.objectKeys('signal-bucket', 'vpcep-monitor/state.json')).toHaveLength(1);
  });
}
