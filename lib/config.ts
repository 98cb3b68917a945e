/**
 * The monitor's configuration, parsed once at the edge. Every setting is read through one
 * `SettingSource` (FunctionGraph's `context.getUserData`, then `process.env`), validated, and
 * turned into a typed `Config`; anything missing or malformed throws a `ConfigError` that names the
 * setting, before a single network call is made.
 */
import { isIP } from 'node:net';
import { parseDuration } from './duration.js';

/** A setting is missing or malformed. `setting` is the variable's name, as the user spells it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_ALERT_STATUSES = ['pendingAcceptance', 'failed', 'rejected'] as const;

export interface Endpoints {
  vpcep: string;
  smn: string;
  obs: string;
}

export type ApprovalMode = 'off' | 'dry-run' | 'enforce';

export interface ApprovalPolicy {
  mode: ApprovalMode;
  acceptDomains: ReadonlySet<string>;
  /** `'*'`: every domain not on the accept list. */
  rejectDomains: ReadonlySet<string> | '*';
}

export interface Config {
  region: string;
  projectId: string;
  /** Empty: every endpoint service of the project. */
  serviceIds: readonly string[];
  obsBucket: string;
  /** Always ends with `/` unless empty. */
  obsPrefix: string;
  smnTopicUrn: string;
  alertStatuses: ReadonlySet<string>;
  alertOnBaseline: boolean;
  endpoints: Endpoints;
  logLevel: LogLevel;
  /** Milliseconds a request may wait in `pendingAcceptance` before a reminder; `undefined`: off. */
  remindPendingAfterMs: number | undefined;
  approval: ApprovalPolicy;
}

/** Reads one setting by name; `undefined` or blank means unset. */
export type SettingSource = (name: string) => string | undefined;

/**
 * The settings users can give, in the order the README documents them. The README table and the
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
  { name: 'VPCEP_ENDPOINT', required: false, default: 'https://vpcep.{region}.myhuaweicloud.com', example: 'http://127.0.0.1:9100' },
  { name: 'SMN_ENDPOINT', required: false, default: 'https://smn.{region}.myhuaweicloud.com', example: 'http://127.0.0.1:9101' },
  { name: 'OBS_ENDPOINT', required: false, default: 'https://obs.{region}.myhuaweicloud.com', example: 'http://127.0.0.1:9102' },
  { name: 'LOG_LEVEL', required: false, default: 'info', example: 'debug' },
  { name: 'REMIND_PENDING_AFTER', required: false, default: 'off', example: '24h' },
  { name: 'APPROVAL_MODE', required: false, default: 'off', example: 'dry-run' },
  { name: 'AUTO_ACCEPT_DOMAINS', required: false, default: '(none)', example: '0a1b…f9,7c6d…21' },
  { name: 'AUTO_REJECT_DOMAINS', required: false, default: '(none)', example: '*' },
] as const;

export type SettingName = (typeof SETTINGS)[number]['name'];

// SMN topic names: letters, digits, `-` and `_`, starting with a letter or digit, at most 255.
const TOPIC_URN = /^urn:smn:([a-z0-9-]+):([0-9a-f]{32}):([A-Za-z0-9][A-Za-z0-9_-]{0,254})$/;
const PROJECT_ID = /^[0-9a-f]{32}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+)+$/;
const SERVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function loadConfig(read: SettingSource): Config {
  const get = (name: string): string | undefined => {
    const value = read(name)?.trim();
    return value === '' ? undefined : value;
  };
  const require = (name: SettingName): string => {
    const value = get(name);
    if (value === undefined) throw new ConfigError(name, `Missing required setting ${name}`);
    return value;
  };

  const smnTopicUrn = require('SMN_TOPIC_URN');
  const urn = TOPIC_URN.exec(smnTopicUrn);
  if (!urn) {
    throw new ConfigError(
      'SMN_TOPIC_URN',
      `Setting SMN_TOPIC_URN is not an SMN topic URN (expected urn:smn:{region}:{project_id}:{topic_name}): ${quote(smnTopicUrn)}`,
    );
  }

  const region = get('HUAWEICLOUD_REGION') ?? urn[1]!;
  if (!REGION.test(region)) {
    throw new ConfigError('HUAWEICLOUD_REGION', `Setting HUAWEICLOUD_REGION is not a region name such as ap-southeast-1: ${quote(region)}`);
  }

  const projectSetting = get('HUAWEICLOUD_PROJECT_ID') !== undefined ? 'HUAWEICLOUD_PROJECT_ID'
    : get('RUNTIME_PROJECT_ID') !== undefined ? 'RUNTIME_PROJECT_ID'
    : 'HUAWEICLOUD_SDK_PROJECT_ID';
  const projectId = get(projectSetting);
  if (projectId === undefined) {
    throw new ConfigError(
      'HUAWEICLOUD_PROJECT_ID',
      'Missing required setting HUAWEICLOUD_PROJECT_ID (nor is RUNTIME_PROJECT_ID or HUAWEICLOUD_SDK_PROJECT_ID set)',
    );
  }
  if (!PROJECT_ID.test(projectId)) {
    throw new ConfigError(projectSetting, `Setting ${projectSetting} is not a project id (32 lower-case hex digits): ${quote(projectId)}`);
  }

  const serviceIds = list(get('VPCEP_SERVICE_IDS'));
  for (const id of serviceIds) {
    if (!SERVICE_ID.test(id)) {
      throw new ConfigError('VPCEP_SERVICE_IDS', `Setting VPCEP_SERVICE_IDS holds ${quote(id)}, which is not an endpoint service id (a UUID)`);
    }
  }

  const obsBucket = require('OBS_BUCKET');
  // OBS bucket names: 3–63 characters, lower-case letters, digits, `-` and `.`, no IP address form.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(obsBucket) || isIP(obsBucket) !== 0) {
    throw new ConfigError('OBS_BUCKET', `Setting OBS_BUCKET is not a valid bucket name: ${quote(obsBucket)}`);
  }

  let obsPrefix = get('OBS_PREFIX') ?? 'vpcep-monitor/';
  if (obsPrefix.startsWith('/') || obsPrefix.includes('//') || /[\u0000-\u001f\u007f\\]/.test(obsPrefix)) {
    throw new ConfigError('OBS_PREFIX', `Setting OBS_PREFIX must be a relative key prefix such as vpcep-monitor/: ${quote(obsPrefix)}`);
  }
  if (!obsPrefix.endsWith('/')) obsPrefix += '/';

  const alertStatuses = list(get('ALERT_STATUSES') ?? DEFAULT_ALERT_STATUSES.join(','));
  if (alertStatuses.length === 0) {
    throw new ConfigError('ALERT_STATUSES', 'Setting ALERT_STATUSES names no status');
  }
  for (const status of alertStatuses) {
    if (!/^[A-Za-z]+$/.test(status)) {
      throw new ConfigError('ALERT_STATUSES', `Setting ALERT_STATUSES holds ${quote(status)}, which is not a status name`);
    }
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `Setting LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}: ${quote(logLevel)}`);
  }

  const remindSetting = get('REMIND_PENDING_AFTER');
  const remindPendingAfterMs = remindSetting === undefined ? undefined : parseDuration(remindSetting);
  if (remindSetting !== undefined && remindPendingAfterMs === undefined) {
    throw new ConfigError('REMIND_PENDING_AFTER', `Setting REMIND_PENDING_AFTER must be a duration such as 30m, 24h or 2d (units s, m, h, d): ${quote(remindSetting)}`);
  }

  return {
    region,
    projectId,
    serviceIds,
    obsBucket,
    obsPrefix,
    smnTopicUrn,
    alertStatuses: new Set(alertStatuses),
    alertOnBaseline: parseBoolean('ALERT_ON_BASELINE', get('ALERT_ON_BASELINE'), true),
    endpoints: {
      vpcep: endpoint('VPCEP_ENDPOINT', get('VPCEP_ENDPOINT') ?? `https://vpcep.${region}.myhuaweicloud.com`),
      smn: endpoint('SMN_ENDPOINT', get('SMN_ENDPOINT') ?? `https://smn.${region}.myhuaweicloud.com`),
      obs: endpoint('OBS_ENDPOINT', get('OBS_ENDPOINT') ?? `https://obs.${region}.myhuaweicloud.com`),
    },
    logLevel: logLevel as LogLevel,
    remindPendingAfterMs,
    approval: approvalPolicy(get),
  };
}

// Domain (account) ids are 32 hex digits; anything else on these lists is a typo that would
// silently match nobody.
const DOMAIN_ID = /^[0-9a-f]{32}$/;

function approvalPolicy(get: (name: string) => string | undefined): ApprovalPolicy {
  const mode = (get('APPROVAL_MODE') ?? 'off').toLowerCase();
  if (mode !== 'off' && mode !== 'dry-run' && mode !== 'enforce') {
    throw new ConfigError('APPROVAL_MODE', `Setting APPROVAL_MODE must be off, dry-run or enforce: ${quote(mode)}`);
  }
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

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(name, `Setting ${name} must be true or false: ${quote(value)}`);
}

function endpoint(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `Setting ${name} is not a URL: ${quote(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `Setting ${name} must be an https:// URL: ${quote(value)}`);
  }
  // Credentials travel in headers: plain HTTP is allowed only to this machine (the local cloud).
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new ConfigError(name, `Setting ${name} may use http:// only for a loopback host; use https:// for ${url.hostname}`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(name, `Setting ${name} must be a bare origin such as https://host[:port], without path, query or user: ${quote(value)}`);
  }
  return url.origin;
}

/** Names under `.localhost` are loopback by RFC 6761 (the local cloud's OBS is `obs.localhost`). */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Quotes a user value for an error message, bounded so a pasted secret or blob stays short. */
function quote(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);
}
