/**
 * Settings Cloud Eye or FunctionGraph would refuse, given to the built bundle: the run stops at
 * start with the setting's name, in the thrown error and in the log line, before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'E2EACCESSKEY000000003', sk: 'e2e-secret-key-0000000000000000000000003', securityToken: 'e2e-security-token-value' };

describe('settings refused at start by the bundled handler', () => {
  let cloud: LocalCloud;
  let userData: Record<string, string>;

  beforeAll(async () => {
    cloud = await LocalCloud.start({ credentials: [credentials] });
    cloud.createBucket('settings-state');
    cloud.addService({ name: 'payments' });
    userData = userDataFor(cloud, 'settings-state');
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  const refusal = async (data: Record<string, string>) => {
    cloud.resetCalls();
    const output: string[] = [];
    const error = await capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData: data, credentials, requestId: 'run-settings' }))).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    const logged = jsonLogLines(output).filter((line) => String(line.msg).startsWith('configuration error'));
    return { error, logged, calls: cloud.calls.length };
  };

  it('refuses a 33-character METRICS_NAMESPACE, which Cloud Eye refuses (3-32 in total)', async () => {
    const namespace = `VPCEP.${'C'.repeat(27)}`;
    expect(namespace).toHaveLength(33);
    const { error, logged, calls } = await refusal({ ...userData, METRICS_NAMESPACE: namespace, CES_ENDPOINT: cloud.endpoints.ces });
    expect(error?.message).toContain('METRICS_NAMESPACE');
    expect(error?.message).toContain('33 characters');
    expect(logged).toHaveLength(1);
    expect(String(logged[0]!.msg)).toContain('Setting METRICS_NAMESPACE is 33 characters');
    expect(calls).toBe(0);
    // One character less is a namespace Cloud Eye takes: the same settings then run.
    const summary = await bundle.handler(timerEvent(), functionGraphContext({ userData: { ...userData, METRICS_NAMESPACE: namespace.slice(0, 32), CES_ENDPOINT: cloud.endpoints.ces }, credentials, requestId: 'run-ok' }));
    expect(summary.services).toBe(1);
  });

  it('refuses settings over FunctionGraph\'s 4 KB, naming the 5 KB AUTO_ACCEPT_DOMAINS list', async () => {
    const domains = Array.from({ length: 155 }, (_, i) => i.toString(16).padStart(32, 'a')).join(',');
    expect(domains.length).toBeGreaterThan(5000);
    const { error, logged, calls } = await refusal({ ...userData, APPROVAL_MODE: 'dry-run', AUTO_ACCEPT_DOMAINS: domains });
    expect(error?.message).toMatch(/^Settings take \d+ characters together .*allows 4096\. The largest is AUTO_ACCEPT_DOMAINS/);
    expect(String(logged[0]!.msg)).toContain('The largest is AUTO_ACCEPT_DOMAINS');
    expect(calls).toBe(0);
  });
});
