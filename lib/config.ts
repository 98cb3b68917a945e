/**
 * The monitor's configuration, parsed once at the edge. Every setting is read through one
 * `SettingSource` (FunctionGraph's `context.getUserData`, then `process.env`), validated, and
 * turned into a typed `Config`; anything missing or malformed throws a `ConfigError` that names the
 * setting, before a single network call is made.
 */
import { defaultEndpoint } from './region-endpoints.js';
import { checkEnvironmentSize, ConfigError, DEFAULT_ALERT_STATUSES, durationSetting, list, metricsNamespace, oneOf, parseAlertStatuses, parseBoolean, parseEndpoint, quote, wholeNumber } from './config-values.js';

export { CONNECTION_STATUSES, ConfigError, DEFAULT_ALERT_STATUSES } from './config-values.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Endpoints {
  vpcep: string;
  smn: string;
  obs: string;
  ces: string;
  cts: string;
}

export type ApprovalMode = 'off' | 'dry-run' | 'enforce';
const APPROVAL_MODES: readonly ApprovalMode[] = ['off', 'dry-run', 'enforce'];

export interface ApprovalPolicy {
  mode: ApprovalMode;
  acceptDomains: ReadonlySet<string>;
  /** `'*'`: every domain not on the accept list. */
  rejectDomains: ReadonlySet<string> | '*';
}

/** What a command that only reads the monitor's objects in OBS needs (`audit`, `status`). */
export interface StoreConfig {
  obsBucket: string;
  /** Always ends with `/` unless empty. */
  obsPrefix: string;
  endpoints: Pick<Endpoints, 'obs'>;
}

export interface Config extends StoreConfig {
  region: string;
  projectId: string;
  /** Empty: every endpoint service of the project. */
  serviceIds: readonly string[];
  smnTopicUrn: string;
  alertStatuses: ReadonlySet<string>;
  alertOnBaseline: boolean;
  endpoints: Endpoints;
  /** Cloud Eye namespace of the run's metrics; `undefined`: no metrics are sent. */
  metricsNamespace: string | undefined;
  logLevel: LogLevel;
  /** Milliseconds a request may wait in `pendingAcceptance` before a reminder; `undefined`: off. */
  remindPendingAfterMs: number | undefined;
  approval: ApprovalPolicy;
  /** How often each service's whitelist is read; `undefined`: never (`off`). */
  postureCheckIntervalMs: number | undefined;
  /** Whether accepted/rejected transitions are attributed from CTS traces. */
  ctsAttribution: boolean;
  /** The ceiling of concurrent VPCEP list requests (the adaptive limiter never goes above it). */
  maxInFlight: number;
}

/** Reads one setting by name; `undefined` or blank means unset. */
export type SettingSource = (name: string) => string | undefined;

/**
 * The settings users can give, in the order docs/configuration.md documents them. That table and the
 * Terraform module are checked against this list, so it is the one place a setting is declared.
 */
export const SETTINGS = [
  { name: 'HUAWEICLOUD_REGION', required: false, default: 'the region in SMN_TOPIC_URN', example: 'ap-southeast-1' },
  { name: 'HUAWEICLOUD_PROJECT_ID', required: false, default: '`RUNTIME_PROJECT_ID`, then `HUAWEICLOUD_SDK_PROJECT_ID`', example: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
  { name: 'VPCEP_SERVICE_IDS', required: false, default: 'every service in the project', example: '4c1a…e2,9f7b…01' },
  { name: 'OBS_BUCKET', required: true, default: '(required)', example: 'vpcep-monitor-state' },
  { name: 'OBS_PREFIX', required: false, default: 'vpcep-monitor/', example: 'prod/vpcep-monitor/' },
  { name: 'SMN_TOPIC_URN', required: true, default: '(required)', example: 'urn:smn:ap-southeast-1:0a1b…f9:vpcep-alerts' },
  { name: 'ALERT_STATUSES', required: false, default: DEFAULT_ALERT_STATUSES.join(','), example: 'pendingAcceptance,failed' },
  { name: 'ALERT_ON_BASELINE', required: false, default: 'true', example: 'false' },
  { name: 'VPCEP_ENDPOINT', required: false, default: 'https://vpcep.{region}.myhuaweicloud.com (.eu in eu-west-101)', example: 'http://127.0.0.1:9100' },
  { name: 'SMN_ENDPOINT', required: false, default: 'https://smn.{region}.myhuaweicloud.com (.eu in eu-west-101, .cn in cn-north-2)', example: 'http://127.0.0.1:9101' },
  { name: 'OBS_ENDPOINT', required: false, default: 'https://obs.{region}.myhuaweicloud.com (.eu in eu-west-101)', example: 'http://127.0.0.1:9102' },
  { name: 'LOG_LEVEL', required: false, default: 'info', example: 'debug' },
  { name: 'REMIND_PENDING_AFTER', required: false, default: 'off', example: '24h' },
  { name: 'APPROVAL_MODE', required: false, default: 'off', example: 'dry-run' },
  { name: 'AUTO_ACCEPT_DOMAINS', required: false, default: '(none)', example: '0a1b…f9,7c6d…21' },
  { name: 'AUTO_REJECT_DOMAINS', required: false, default: '(none)', example: '*' },
  { name: 'METRICS_NAMESPACE', required: false, default: '(off)', example: 'VPCEP.ConnectionMonitor' },
  { name: 'CES_ENDPOINT', required: false, default: 'https://ces.{region}.myhuaweicloud.com (.eu in eu-west-101)', example: 'http://127.0.0.1:9103' },
  { name: 'POSTURE_CHECK_INTERVAL', required: false, default: '1h', example: '6h' },
  { name: 'CTS_ATTRIBUTION', required: false, default: 'on', example: 'off' },
  { name: 'CTS_ENDPOINT', required: false, default: 'https://cts.{region}.myhuaweicloud.com (.eu in eu-west-101)', example: 'http://127.0.0.1:9104' },
  { name: 'MAX_IN_FLIGHT', required: false, default: '16', example: '8' },
] as const;

export type SettingName = (typeof SETTINGS)[number]['name'];

// SMN topic names: letters, digits, `-` and `_`, starting with a letter or digit, at most 255.
const TOPIC_URN = /^urn:smn:([a-z0-9-]+):([0-9a-f]{32}):([A-Za-z0-9][A-Za-z0-9_-]{0,254})$/;
const PROJECT_ID = /^[0-9a-f]{32}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
const SERVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Get = (name: string) => string | undefined;

/** Everything a monitoring pass needs (the function, `vpcep-monitor run`). */
export function loadConfig(read: SettingSource): Config {
  checkEnvironmentSize(SETTINGS.map((s) => s.name), read);
  const get = trimmed(read);
  const smnTopicUrn = required(get, 'SMN_TOPIC_URN');
  const urnRegion = topicRegion(smnTopicUrn);
  const region = regionOf(get('HUAWEICLOUD_REGION') ?? urnRegion);
  const projectId = projectIdOf(get);

  const serviceIds = list(get('VPCEP_SERVICE_IDS'));
  for (const id of serviceIds) {
    if (!SERVICE_ID.test(id)) {
      throw new ConfigError('VPCEP_SERVICE_IDS', `Setting VPCEP_SERVICE_IDS holds ${quote(id)}, which is not an endpoint service id (a UUID)`);
    }
  }

  const store = storeConfig(get, () => region);
  const alertStatuses = parseAlertStatuses(get('ALERT_STATUSES'));
  const logLevel = oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? 'info', LOG_LEVELS, 'log level');

  const remindPendingAfterMs = durationSetting('REMIND_PENDING_AFTER', get('REMIND_PENDING_AFTER'), false);

  return {
    ...store,
    region,
    projectId,
    serviceIds,
    smnTopicUrn,
    alertStatuses,
    alertOnBaseline: parseBoolean('ALERT_ON_BASELINE', get('ALERT_ON_BASELINE'), true),
    endpoints: {
      vpcep: parseEndpoint('VPCEP_ENDPOINT', get('VPCEP_ENDPOINT') ?? defaultEndpoint('vpcep', region)),
      smn: parseEndpoint('SMN_ENDPOINT', get('SMN_ENDPOINT') ?? defaultEndpoint('smn', region)),
      obs: store.endpoints.obs,
      ces: parseEndpoint('CES_ENDPOINT', get('CES_ENDPOINT') ?? defaultEndpoint('ces', region)),
      cts: parseEndpoint('CTS_ENDPOINT', get('CTS_ENDPOINT') ?? defaultEndpoint('cts', region)),
    },
    logLevel,
    remindPendingAfterMs,
    approval: approvalPolicy(get),
    metricsNamespace: metricsNamespace(get('METRICS_NAMESPACE')),
    postureCheckIntervalMs: durationSetting('POSTURE_CHECK_INTERVAL', get('POSTURE_CHECK_INTERVAL') ?? '1h', true),
    ctsAttribution: parseBoolean('CTS_ATTRIBUTION', get('CTS_ATTRIBUTION'), true),
    // 64: well past where more parallel reads stop paying (docs/performance.md) and under the gateway's throttling.
    maxInFlight: wholeNumber('MAX_IN_FLIGHT', get('MAX_IN_FLIGHT') ?? '16', 1, 64),
  };
}

/**
 * Only what reading the monitor's objects takes: the bucket, the prefix and where OBS is. The
 * region is needed only to build the default OBS endpoint; without HUAWEICLOUD_REGION it comes from
 * SMN_TOPIC_URN when that is set, as in `loadConfig`.
 */
export function loadStoreConfig(read: SettingSource): StoreConfig {
  const get = trimmed(read);
  return storeConfig(get, () => {
    const topic = get('SMN_TOPIC_URN');
    const region = get('HUAWEICLOUD_REGION') ?? (topic === undefined ? undefined : topicRegion(topic));
    if (region === undefined) {
      throw new ConfigError('HUAWEICLOUD_REGION', 'Missing required setting HUAWEICLOUD_REGION (or OBS_ENDPOINT): it says where the OBS bucket is');
    }
    return regionOf(region);
  });
}

function storeConfig(get: Get, region: () => string): StoreConfig {
  const obsBucket = required(get, 'OBS_BUCKET');
  // OBS bucket names: 3–63 characters, lower-case letters, digits, `-` and `.`, no `..`, `.-` or
  // `-.`, nothing shaped like an IP address (OBS refuses 999.1.1.1 too). As the Terraform module.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(obsBucket) || /\.\.|\.-|-\./.test(obsBucket) || /^\d+\.\d+\.\d+\.\d+$/.test(obsBucket)) {
    throw new ConfigError('OBS_BUCKET', `Setting OBS_BUCKET is not a valid bucket name: ${quote(obsBucket)}`);
  }

  let obsPrefix = get('OBS_PREFIX') ?? 'vpcep-monitor/';
  if (obsPrefix.startsWith('/') || obsPrefix.includes('//') || /[\u0000-\u001f\u007f\\]/.test(obsPrefix)) {
    throw new ConfigError('OBS_PREFIX', `Setting OBS_PREFIX must be a relative key prefix such as vpcep-monitor/: ${quote(obsPrefix)}`);
  }
  if (!obsPrefix.endsWith('/')) obsPrefix += '/';

  const obs = parseEndpoint('OBS_ENDPOINT', get('OBS_ENDPOINT') ?? defaultEndpoint('obs', region()));
  return { obsBucket, obsPrefix, endpoints: { obs } };
}

function trimmed(read: SettingSource): Get {
  return (name) => {
    const value = read(name)?.trim();
    return value === '' ? undefined : value;
  };
}

function required(get: Get, name: SettingName): string {
  const value = get(name);
  if (value === undefined) throw new ConfigError(name, `Missing required setting ${name}`);
  return value;
}

function topicRegion(smnTopicUrn: string): string {
  const urn = TOPIC_URN.exec(smnTopicUrn);
  if (!urn) {
    throw new ConfigError(
      'SMN_TOPIC_URN',
      `Setting SMN_TOPIC_URN is not an SMN topic URN (expected urn:smn:{region}:{project_id}:{topic_name}): ${quote(smnTopicUrn)}`,
    );
  }
  return urn[1]!;
}

function regionOf(region: string): string {
  if (!REGION.test(region)) {
    throw new ConfigError('HUAWEICLOUD_REGION', `Setting HUAWEICLOUD_REGION is not a region name such as ap-southeast-1: ${quote(region)}`);
  }
  return region;
}

function projectIdOf(get: Get): string {
  const setting = get('HUAWEICLOUD_PROJECT_ID') !== undefined ? 'HUAWEICLOUD_PROJECT_ID'
    : get('RUNTIME_PROJECT_ID') !== undefined ? 'RUNTIME_PROJECT_ID'
    : 'HUAWEICLOUD_SDK_PROJECT_ID';
  const projectId = get(setting);
  if (projectId === undefined) {
    throw new ConfigError(
      'HUAWEICLOUD_PROJECT_ID',
      'Missing required setting HUAWEICLOUD_PROJECT_ID (nor is RUNTIME_PROJECT_ID or HUAWEICLOUD_SDK_PROJECT_ID set)',
    );
  }
  if (!PROJECT_ID.test(projectId)) {
    throw new ConfigError(setting, `Setting ${setting} is not a project id (32 lower-case hex digits): ${quote(projectId)}`);
  }
  return projectId;
}

// Domain (account) ids are 32 hex digits; anything else on these lists is a typo that would
// silently match nobody.
const DOMAIN_ID = /^[0-9a-f]{32}$/;

function approvalPolicy(get: Get): ApprovalPolicy {
  const mode = oneOf('APPROVAL_MODE', get('APPROVAL_MODE') ?? 'off', APPROVAL_MODES, 'approval mode');
  const domains = (name: 'AUTO_ACCEPT_DOMAINS' | 'AUTO_REJECT_DOMAINS'): string[] => {
    const values = list(get(name));
    for (const value of values) {
      if (value === '*' && name === 'AUTO_REJECT_DOMAINS' && values.length === 1) continue;
      if (value === '*') {
        throw new ConfigError(name, name === 'AUTO_ACCEPT_DOMAINS'
          ? 'Setting AUTO_ACCEPT_DOMAINS cannot be *: accepting every consumer is turning approval off, do that on the endpoint service'
          : 'Setting AUTO_REJECT_DOMAINS is either * alone or a list of domain ids');
      }
      if (!DOMAIN_ID.test(value)) throw new ConfigError(name, `Setting ${name} holds ${quote(value)}, which is not a domain id (32 lower-case hex digits)`);
    }
    return values;
  };
  const accept = domains('AUTO_ACCEPT_DOMAINS');
  const reject = domains('AUTO_REJECT_DOMAINS');
  if (mode !== 'off' && accept.length === 0 && reject.length === 0) {
    throw new ConfigError('APPROVAL_MODE', `Setting APPROVAL_MODE is ${mode} but neither AUTO_ACCEPT_DOMAINS nor AUTO_REJECT_DOMAINS names a domain`);
  }
  return {
    mode,
    acceptDomains: new Set(accept),
    rejectDomains: reject.length === 1 && reject[0] === '*' ? '*' : new Set(reject),
  };
}

/**
 * FunctionGraph hands user settings to the function through `context.getUserData`; whether they
 * also reach `process.env` is unconfirmed, so the context wins and the environment is the fallback
 * (which is also how the CLI and tests configure the monitor).
 */
export function settingSource(
  context: { getUserData?(key: string): string | undefined } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SettingSource {
  return (name) => {
    const fromContext = context?.getUserData?.(name);
    if (typeof fromContext === 'string' && fromContext.trim() !== '') return fromContext;
    return env[name];
  };
}

