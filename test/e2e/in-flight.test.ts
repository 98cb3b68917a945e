/**
 * The adaptive in-flight limit, through the built bundle against the local cloud: the VPCEP reads
 * overlap up to MAX_IN_FLIGHT, and a throttled answer halves how many are in flight.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { functionGraphContext, timerEvent } from '../../lib/cli/function-context.js';
import { API } from '../../lib/emulator/api-names.js';
import { LocalCloud } from '../../lib/emulator/index.js';
import { vpcepThrottled } from '../../lib/emulator/named-faults.js';
import { bundle, capturingOutput, jsonLogLines, userDataFor } from './harness.js';

const credentials = { ak: 'INFLIGHTTESTKEY00001', sk: 'in-flight-test-secret-key-00000000000001', securityToken: 'in-flight-test-token' };

let cloud: LocalCloud;
let output: string[];
/** How many connection pages VPCEP was answering when each one arrived (itself included). */
let arrivals: number[];

beforeEach(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket('state');
  cloud.addConnections(cloud.addService({ name: 'big' }).id, 100_000);
  output = [];
  arrivals = [];
  // Sees every page request as it arrives and lets it through to the faults below: a call not yet
  // answered is in flight.
  cloud.inject({
    service: 'vpcep',
    api: API.listConnections,
    kind: 'delay',
    ms: 0,
    times: Infinity,
    match: () => {
      arrivals.push(cloud.calls.filter((call) => call.api === API.listConnections && call.status === 0).length);
      return false;
    },
  });
});
afterEach(async () => {
  await cloud.stop();
});

const invoke = (settings: Record<string, string> = {}) => {
  const userData = { ...userDataFor(cloud, 'state'), LOG_LEVEL: 'debug', ...settings };
  return capturingOutput(output, () => bundle.handler(timerEvent(), functionGraphContext({ userData, credentials, timeoutMs: 120_000 })));
};

describe('the in-flight limit of the deployed function', () => {
  it('grows to sixteen pages in flight while VPCEP answers, and halves on a throttled page', async () => {
    // The first page that arrives with sixteen in flight is refused as VPCEP refuses too many.
    cloud.inject(vpcepThrottled({ api: API.listConnections, match: () => arrivals.at(-1)! >= 16 }));
    cloud.inject({ service: 'vpcep', api: API.listConnections, kind: 'delay', ms: 80, times: Infinity });
    const summary = await invoke();

    expect(summary.connections).toBe(100_000);
    const refused = cloud.calls.filter((call) => call.api === API.listConnections && call.status === 400);
    expect(refused).toHaveLength(1);
    const at = arrivals.indexOf(16);
    expect(Math.max(...arrivals.slice(0, at + 1))).toBe(16);
    // Eight in flight from here, one of them the refused page waiting to be asked again; eight
    // successes of pages started after the halving raise it to nine. Sixteen would show fifteen.
    const after = arrivals.slice(at + 1, at + 15);
    expect(after).toHaveLength(14);
    expect(Math.max(...after)).toBeLessThanOrEqual(8);
    const halved = jsonLogLines(output).filter((line) => line.previousLimit !== undefined);
    expect(halved.map((line) => [line.level, line.previousLimit, line.inFlightLimit])).toEqual([['info', 16, 8]]);
    expect(halved[0]!.msg).toBe('vpcep:connections:list was throttled: in-flight limit halved from 16 to 8; further changes in this burst are logged at debug');
  }, 30_000);

  it('without throttling keeps sixteen in flight, and no more', async () => {
    cloud.inject({ service: 'vpcep', api: API.listConnections, kind: 'delay', ms: 80, times: Infinity });
    await invoke();
    expect(Math.max(...arrivals)).toBe(16);
    expect(jsonLogLines(output).filter((line) => line.previousLimit !== undefined)).toEqual([]);
  }, 30_000);

  it('keeps to MAX_IN_FLIGHT', async () => {
    cloud.inject({ service: 'vpcep', api: API.listConnections, kind: 'delay', ms: 80, times: Infinity });
    await invoke({ MAX_IN_FLIGHT: '6' });
    expect(Math.max(...arrivals)).toBe(6);
  }, 30_000);
});
