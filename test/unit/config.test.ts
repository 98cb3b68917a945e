import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../lib/config-values.js';
import { CONNECTION_STATUSES, ConfigError, loadConfig, loadStoreConfig, settingSource } from '../../lib/config.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const URN = `urn:smn:ap-southeast-1:${PROJECT}:vpcep-alerts`;
const minimal = { OBS_BUCKET: 'monitor-state', SMN_TOPIC_URN: URN, HUAWEICLOUD_PROJECT_ID: PROJECT };

const load = (settings: Record<string, string | undefined>) => loadConfig((name) => settings[name]);
const failure = (settings: Record<string, string | undefined>): ConfigError => {
  try {
    load(settings);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('fills every default from the minimal settings', () => {
    const config = load(minimal);
    expect(config).toMatchObject({
      region: 'ap-southeast-1',
      projectId: PROJECT,
      serviceIds: [],
      obsBucket: 'monitor-state',
      obsPrefix: 'vpcep-monitor/',
      smnTopicUrn: URN,
      alertOnBaseline: true,
      logLevel: 'info',
      endpoints: {
        vpcep: 'https://vpcep.ap-southeast-1.myhuaweicloud.com',
        smn: 'https://smn.ap-southeast-1.myhuaweicloud.com',
        obs: 'https://obs.ap-southeast-1.myhuaweicloud.com',
        cts: 'https://cts.ap-southeast-1.myhuaweicloud.com',
      },
      postureCheckIntervalMs: 3_600_000,
      ctsAttribution: true,
      maxInFlight: 16,
    });
    expect([...config.alertStatuses]).toEqual(['pendingAcceptance', 'failed', 'rejected']);
  });

  it('names the missing required setting', () => {
    expect(failure({ ...minimal, OBS_BUCKET: undefined })).toMatchObject({ setting: 'OBS_BUCKET', message: 'Missing required setting OBS_BUCKET' });
    expect(failure({ ...minimal, SMN_TOPIC_URN: '  ' }).setting).toBe('SMN_TOPIC_URN');
  });

  it('rejects a topic URN that is not urn:smn:…, even when the region is set apart', () => {
    const error = failure({ ...minimal, SMN_TOPIC_URN: 'arn:aws:sns:us-east-1:123:topic' });
    expect(error.setting).toBe('SMN_TOPIC_URN');
    expect(error.message).toContain('urn:smn:');
    expect(failure({ ...minimal, HUAWEICLOUD_REGION: 'ap-southeast-1', SMN_TOPIC_URN: 'vpcep-alerts' }).setting).toBe('SMN_TOPIC_URN');
  });

  it('takes the project from RUNTIME_PROJECT_ID, then HUAWEICLOUD_SDK_PROJECT_ID', () => {
    const other = 'ffffffffffffffffffffffffffffffff';
    expect(load({ ...minimal, HUAWEICLOUD_PROJECT_ID: undefined, RUNTIME_PROJECT_ID: other }).projectId).toBe(other);
    expect(load({ ...minimal, HUAWEICLOUD_PROJECT_ID: undefined, HUAWEICLOUD_SDK_PROJECT_ID: other }).projectId).toBe(other);
    expect(failure({ ...minimal, HUAWEICLOUD_PROJECT_ID: undefined }).setting).toBe('HUAWEICLOUD_PROJECT_ID');
    expect(failure({ ...minimal, HUAWEICLOUD_PROJECT_ID: 'not-a-project' }).setting).toBe('HUAWEICLOUD_PROJECT_ID');
  });

  it('prefers HUAWEICLOUD_PROJECT_ID over RUNTIME_PROJECT_ID over HUAWEICLOUD_SDK_PROJECT_ID when several are set', () => {
    // FunctionGraph sets RUNTIME_PROJECT_ID to the function's own project; an operator who names
    // another project explicitly must win, or the monitor would watch the wrong project.
    const runtime = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const sdk = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    expect(load({ ...minimal, RUNTIME_PROJECT_ID: runtime, HUAWEICLOUD_SDK_PROJECT_ID: sdk }).projectId).toBe(PROJECT);
    expect(load({ ...minimal, HUAWEICLOUD_PROJECT_ID: undefined, RUNTIME_PROJECT_ID: runtime, HUAWEICLOUD_SDK_PROJECT_ID: sdk }).projectId).toBe(runtime);
    // The setting named in an error is the one that was read, not a valid one behind it.
    expect(failure({ ...minimal, HUAWEICLOUD_PROJECT_ID: 'not-a-project', RUNTIME_PROJECT_ID: runtime }).setting).toBe('HUAWEICLOUD_PROJECT_ID');
    expect(failure({ ...minimal, HUAWEICLOUD_PROJECT_ID: undefined, RUNTIME_PROJECT_ID: 'nope', HUAWEICLOUD_SDK_PROJECT_ID: sdk }).setting).toBe('RUNTIME_PROJECT_ID');
  });

  it('rejects endpoints that are not URLs, and plain http to anything but loopback', () => {
    expect(failure({ ...minimal, VPCEP_ENDPOINT: 'vpcep.example' }).setting).toBe('VPCEP_ENDPOINT');
    expect(failure({ ...minimal, SMN_ENDPOINT: 'http://smn.example.com' }).message).toContain('loopback');
    expect(failure({ ...minimal, OBS_ENDPOINT: 'https://obs.example.com/path' }).setting).toBe('OBS_ENDPOINT');
    expect(load({ ...minimal, OBS_ENDPOINT: 'http://127.0.0.1:9000/' }).endpoints.obs).toBe('http://127.0.0.1:9000');
    expect(load({ ...minimal, VPCEP_ENDPOINT: 'http://localhost:1' }).endpoints.vpcep).toBe('http://localhost:1');
  });

  it('parses lists, booleans and the prefix', () => {
    const id = '4c1a0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e6f';
    const config = load({ ...minimal, VPCEP_SERVICE_IDS: ` ${id}, ,${id}`, ALERT_STATUSES: 'failed', ALERT_ON_BASELINE: 'false', OBS_PREFIX: 'prod/monitor' });
    expect(config.serviceIds).toEqual([id]);
    expect([...config.alertStatuses]).toEqual(['failed']);
    expect(config.alertOnBaseline).toBe(false);
    expect(config.obsPrefix).toBe('prod/monitor/');
    expect(failure({ ...minimal, ALERT_ON_BASELINE: 'maybe' }).setting).toBe('ALERT_ON_BASELINE');
    expect(failure({ ...minimal, VPCEP_SERVICE_IDS: 'svc-1' }).setting).toBe('VPCEP_SERVICE_IDS');
    expect(failure({ ...minimal, OBS_PREFIX: '/abs' }).setting).toBe('OBS_PREFIX');
    expect(failure({ ...minimal, LOG_LEVEL: 'loud' }).setting).toBe('LOG_LEVEL');
  });

  it('sends no metrics unless METRICS_NAMESPACE is set, and builds the Cloud Eye endpoint', () => {
    expect(load(minimal).metricsNamespace).toBeUndefined();
    expect(load({ ...minimal, METRICS_NAMESPACE: ' ' }).metricsNamespace).toBeUndefined();
    expect(load(minimal).endpoints.ces).toBe('https://ces.ap-southeast-1.myhuaweicloud.com');
    expect(load({ ...minimal, CES_ENDPOINT: 'http://127.0.0.1:9103' }).endpoints.ces).toBe('http://127.0.0.1:9103');
    expect(failure({ ...minimal, CES_ENDPOINT: 'http://ces.example.com' }).setting).toBe('CES_ENDPOINT');
    expect(load({ ...minimal, METRICS_NAMESPACE: 'VPCEP.ConnectionMonitor' }).metricsNamespace).toBe('VPCEP.ConnectionMonitor');
  });

  it('holds METRICS_NAMESPACE to Cloud Eye\'s rules: 3-32 characters in total, no reserved service', () => {
    const at32 = `A${'b'.repeat(29)}.x`;
    expect(at32).toHaveLength(32);
    for (const good of ['VPCEP.ConnectionMonitor', 'abc.def', 'a.b', 'ab.cde', at32, 'SERVICE.ECS', 'Service_x.items']) {
      expect(load({ ...minimal, METRICS_NAMESPACE: good }).metricsNamespace, good).toBe(good);
    }
    const cases: [string, string][] = [
      ['VPCEP', 'service.item'],
      ['a.', 'service.item'],
      ['1bc.def', 'service.item'],
      ['abc.9ef', 'service.item'],
      ['a-c.def', 'service.item'],
      ['abc.def.ghi', 'service.item'],
      [`${at32}y`, '33 characters'],
      [`A${'b'.repeat(16)}.${'c'.repeat(16)}`, '34 characters'],
      ['SYS.ECS', 'SYS, AGT or SRE'],
      ['Sys_x.items', 'SYS, AGT or SRE'],
      ['agt.mine', 'SYS, AGT or SRE'],
      ['SRE.x', 'SYS, AGT or SRE'],
      ['SYSTEM.metrics', 'SYS, AGT or SRE'],
      ['SERVICE.BMS', 'SERVICE.BMS'],
      ['service.bms', 'SERVICE.BMS'],
    ];
    for (const [bad, why] of cases) {
      const error = failure({ ...minimal, METRICS_NAMESPACE: bad });
      expect(error.setting, bad).toBe('METRICS_NAMESPACE');
      expect(error.message, bad).toContain(why);
    }
  });

  it('reads POSTURE_CHECK_INTERVAL as a duration or off, refusing zero and anything else by name', () => {
    expect(load({ ...minimal, POSTURE_CHECK_INTERVAL: '6h' }).postureCheckIntervalMs).toBe(6 * 3_600_000);
    expect(load({ ...minimal, POSTURE_CHECK_INTERVAL: '90s' }).postureCheckIntervalMs).toBe(90_000);
    expect(load({ ...minimal, POSTURE_CHECK_INTERVAL: 'off' }).postureCheckIntervalMs).toBeUndefined();
    expect(load({ ...minimal, POSTURE_CHECK_INTERVAL: 'Off' }).postureCheckIntervalMs).toBeUndefined();
    expect(load({ ...minimal, POSTURE_CHECK_INTERVAL: '  ' }).postureCheckIntervalMs).toBe(3_600_000);
    for (const bad of ['0h', '1w', 'never', '-1h', '12345678m']) {
      expect(failure({ ...minimal, POSTURE_CHECK_INTERVAL: bad }), bad).toMatchObject({
        setting: 'POSTURE_CHECK_INTERVAL',
        message: `Setting POSTURE_CHECK_INTERVAL must be a duration such as 30m, 24h or 2d (units s, m, h, d), or off: ${JSON.stringify(bad)}`,
      });
    }
    // REMIND_PENDING_AFTER shares the parser but has no `off` word: unset is its off.
    expect(failure({ ...minimal, REMIND_PENDING_AFTER: 'off' })).toMatchObject({ setting: 'REMIND_PENDING_AFTER', message: expect.not.stringContaining('or off') });
  });

  it('reads CTS_ATTRIBUTION as on/off or true/false, and builds the CTS endpoint', () => {
    expect(load({ ...minimal, CTS_ATTRIBUTION: 'off' }).ctsAttribution).toBe(false);
    expect(load({ ...minimal, CTS_ATTRIBUTION: 'false' }).ctsAttribution).toBe(false);
    expect(load({ ...minimal, CTS_ATTRIBUTION: 'ON' }).ctsAttribution).toBe(true);
    expect(failure({ ...minimal, CTS_ATTRIBUTION: 'maybe' })).toMatchObject({ setting: 'CTS_ATTRIBUTION', message: expect.stringContaining('"maybe"') });
    expect(load({ ...minimal, CTS_ENDPOINT: 'http://127.0.0.1:9104' }).endpoints.cts).toBe('http://127.0.0.1:9104');
    expect(failure({ ...minimal, CTS_ENDPOINT: 'http://cts.example.com' }).setting).toBe('CTS_ENDPOINT');
  });

  it('reads MAX_IN_FLIGHT as a whole number from 1 to 64', () => {
    expect(load({ ...minimal, MAX_IN_FLIGHT: '1' }).maxInFlight).toBe(1);
    expect(load({ ...minimal, MAX_IN_FLIGHT: '64' }).maxInFlight).toBe(64);
    for (const bad of ['0', '65', '2.5', '-1', '1e1', 'sixteen', '0x10']) {
      expect(failure({ ...minimal, MAX_IN_FLIGHT: bad }), bad).toMatchObject({
        setting: 'MAX_IN_FLIGHT',
        message: `Setting MAX_IN_FLIGHT must be a whole number from 1 to 64: ${JSON.stringify(bad)}`,
      });
    }
  });

  it('refuses settings longer together than FunctionGraph\'s 4096-character user_data, naming the largest', () => {
    const domains = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, '0')).join(',');
    const withDomains = (list: string) => ({ ...minimal, APPROVAL_MODE: 'enforce', AUTO_ACCEPT_DOMAINS: list });
    // user_data is the JSON of every set setting: fill it to exactly 4096, then one character more.
    const base = JSON.stringify({ ...withDomains('') }).length;
    const fill = (room: number) => { let list = domains(Math.floor((room + 1) / 33)); while (list.length < room) list = `${list},`; return list; };
    const exact = withDomains(fill(4096 - base));
    expect(JSON.stringify(exact)).toHaveLength(4096);
    expect(load(exact).approval.acceptDomains.size).toBeGreaterThan(100);
    const over = withDomains(fill(4097 - base));
    expect(JSON.stringify(over)).toHaveLength(4097);
    const error = failure(over);
    expect(error.setting).toBe('AUTO_ACCEPT_DOMAINS');
    expect(error.message).toMatch(/^Settings take 4097 characters together .*allows 4096\. The largest is AUTO_ACCEPT_DOMAINS \(\d+ characters\)$/);
    // A 5 KB list: refused before its entries are even read.
    expect(failure(withDomains(domains(155))).setting).toBe('AUTO_ACCEPT_DOMAINS');
    expect(failure({ ...minimal, VPCEP_SERVICE_IDS: Array(120).fill('4c1a2b3c-0000-4000-8000-00000000e201').join(',') }).setting).toBe('VPCEP_SERVICE_IDS');
  });

  it('quotes a pasted value bounded by characters, never cutting one in half', () => {
    const pasted = `A${'\u{1F511}'.repeat(200)}`;
    const { message } = failure({ ...minimal, OBS_BUCKET: pasted });
    expect(message).toBe(`Setting OBS_BUCKET is not a valid bucket name: "A${'\u{1F511}'.repeat(118)}…"`);
  });

  it('reads the FunctionGraph context before the environment', () => {
    const read = settingSource({ getUserData: (key) => (key === 'OBS_BUCKET' ? 'from-context' : '') }, { OBS_BUCKET: 'from-env', LOG_LEVEL: 'debug' });
    expect(read('OBS_BUCKET')).toBe('from-context');
    expect(read('LOG_LEVEL')).toBe('debug');
  });
});

describe('settings that cannot be what the user meant', () => {
  it('refuses a misspelt ALERT_STATUSES entry, naming the setting and the status meant', () => {
    const error = failure({ ...minimal, ALERT_STATUSES: 'pendingAcceptence,failed' });
    expect(error.setting).toBe('ALERT_STATUSES');
    expect(error.message).toContain('"pendingAcceptence"');
    expect(error.message).toContain('did you mean pendingAcceptance?');
    expect(failure({ ...minimal, ALERT_STATUSES: 'failed,pending' }).message).toContain('did you mean pendingAcceptance?');
    expect(failure({ ...minimal, ALERT_STATUSES: 'faild' }).message).toContain('did you mean failed?');
    expect(failure({ ...minimal, ALERT_STATUSES: 'banana' }).message).not.toContain('did you mean');
  });

  it('takes a case-only difference as the documented spelling', () => {
    expect([...load({ ...minimal, ALERT_STATUSES: 'pendingacceptance,FAILED,Rejected' }).alertStatuses]).toEqual(['pendingAcceptance', 'failed', 'rejected']);
  });

  it('takes a status VPCEP does not document only when written with +', () => {
    const unknown = failure({ ...minimal, ALERT_STATUSES: 'failed,deactivated' });
    expect(unknown.setting).toBe('ALERT_STATUSES');
    expect(unknown.message).toContain('write +deactivated');
    expect([...load({ ...minimal, ALERT_STATUSES: 'failed,+deactivated,+Creating' }).alertStatuses]).toEqual(['failed', 'deactivated', 'creating']);
    expect(failure({ ...minimal, ALERT_STATUSES: '+' }).setting).toBe('ALERT_STATUSES');
    expect(failure({ ...minimal, ALERT_STATUSES: ' , ' }).message).toBe('Setting ALERT_STATUSES names no status');
  });

  it('treats every other enumerated setting the same way', () => {
    expect(failure({ ...minimal, LOG_LEVEL: 'inof' })).toMatchObject({ setting: 'LOG_LEVEL', message: expect.stringContaining('did you mean info?') });
    expect(failure({ ...minimal, LOG_LEVEL: 'warning' }).message).toContain('did you mean warn?');
    expect(load({ ...minimal, LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(failure({ ...minimal, APPROVAL_MODE: 'dryrun' })).toMatchObject({ setting: 'APPROVAL_MODE', message: expect.stringContaining('did you mean dry-run?') });
    expect(load({ ...minimal, APPROVAL_MODE: 'Dry-Run', AUTO_REJECT_DOMAINS: '*' }).approval.mode).toBe('dry-run');
    expect(failure({ ...minimal, ALERT_ON_BASELINE: 'flase' })).toMatchObject({ setting: 'ALERT_ON_BASELINE', message: expect.stringContaining('did you mean false?') });
    expect(load({ ...minimal, ALERT_ON_BASELINE: 'No' }).alertOnBaseline).toBe(false);
  });

  it('suggests by edit distance, counting a swap of two letters as one edit', () => {
    expect(editDistance('pendingacceptence', 'pendingacceptance')).toBe(1);
    expect(editDistance('ture', 'true')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('accpeted', CONNECTION_STATUSES)).toBe('accepted');
    expect(closest('delet', CONNECTION_STATUSES)).toBe('deleting');
    expect(closest('xyz', CONNECTION_STATUSES)).toBeUndefined();
  });
});

describe('loadStoreConfig', () => {
  const store = { OBS_BUCKET: 'monitor-state' };
  const loadStore = (settings: Record<string, string | undefined>) => loadStoreConfig((name) => settings[name]);

  it('needs neither the topic nor the project', () => {
    expect(loadStore({ ...store, HUAWEICLOUD_REGION: 'eu-west-101' })).toEqual({
      obsBucket: 'monitor-state',
      obsPrefix: 'vpcep-monitor/',
      endpoints: { obs: 'https://obs.eu-west-101.myhuaweicloud.eu' },
    });
    expect(loadStore({ ...store, OBS_ENDPOINT: 'http://127.0.0.1:9102', OBS_PREFIX: 'p' })).toMatchObject({ obsPrefix: 'p/', endpoints: { obs: 'http://127.0.0.1:9102' } });
    expect(loadStore({ ...store, SMN_TOPIC_URN: URN }).endpoints.obs).toBe('https://obs.ap-southeast-1.myhuaweicloud.com');
  });

  it('names what is missing, with the same errors as loadConfig', () => {
    const error = (settings: Record<string, string | undefined>) => {
      try {
        loadStore(settings);
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(error({ HUAWEICLOUD_REGION: 'ap-southeast-1' }).message).toBe('Missing required setting OBS_BUCKET');
    expect(error(store).setting).toBe('HUAWEICLOUD_REGION');
    expect(error({ ...store, SMN_TOPIC_URN: 'nope' }).setting).toBe('SMN_TOPIC_URN');
    expect(error({ ...store, OBS_ENDPOINT: 'http://obs.example.com' }).message).toContain('loopback');
  });
});
