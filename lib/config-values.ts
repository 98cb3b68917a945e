/**
 * Parsers for the value of one setting: lists, booleans, endpoints, enumerations and the alert
 * statuses. Each throws a `ConfigError` naming the setting and, where the value looks like a slip
 * of the keyboard, the value the user most likely meant. `lib/config.ts` decides which setting
 * gets which parser.
 */
import { isIP } from 'node:net';
import { parseDuration } from './duration.js';
import { truncate } from './text.js';

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

/** The connection statuses VPCEP documents (ConnectionEndpoints.status). */
export const CONNECTION_STATUSES = ['pendingAcceptance', 'creating', 'accepted', 'rejected', 'failed', 'deleting'] as const;
export const DEFAULT_ALERT_STATUSES = ['pendingAcceptance', 'failed', 'rejected'] as const;

/** A comma-separated list, trimmed, without blanks or repeats. */
export function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}

/**
 * One of `allowed`, compared without regard to case and returned in its documented spelling: a
 * setting that can only be one of a few words is refused when it is none of them, with the word
 * the user probably meant. `what` names the kind of value for the message ("log level").
 */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], what: string): T {
  const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (match !== undefined) return match;
  throw new ConfigError(name, `Setting ${name} is ${quote(value)}, which is not a ${what}${suggestion(value, allowed)}; use one of ${allowed.join(', ')}`);
}

/** ` (did you mean X?)` when one of `candidates` is close to `value`, else nothing. */
function suggestion(value: string, candidates: readonly string[]): string {
  const likely = closest(value, candidates);
  return likely === undefined ? '' : ` (did you mean ${likely}?)`;
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

export function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const word = value.toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new ConfigError(name, `Setting ${name} is ${quote(value)}, which is not true or false${suggestion(value, ['true', 'false'])}`);
}

/** An https origin (http only to loopback), without path, query or user. */
export function parseEndpoint(name: string, value: string): string {
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

/**
 * FunctionGraph keeps a function's environment variables as one `user_data` string, a JSON object
 * of name/value pairs, and refuses one longer than 4 KB: CreateFunction's `user_data` "总长度不超过4KB"
 * (api-functiongraph/functiongraph_06_0108), the user guide's "total length of the key and value
 * cannot exceed 4096 characters" (usermanual-functiongraph/functiongraph_01_0154). The Terraform
 * provider sends `user_data` as given, and the module gives `jsonencode(...)` of the settings, so
 * that string's length in characters is what is counted, here and in the module's check.
 */
export const ENVIRONMENT_LIMIT = 4096;

/** Characters of `{"NAME":"value",...}` for the settings in `names` that are set, as user_data. */
export function environmentLength(names: readonly string[], read: (name: string) => string | undefined): number {
  const set = names.flatMap((name) => {
    const value = read(name);
    return value === undefined ? [] : [[name, value] as const];
  });
  return [...JSON.stringify(Object.fromEntries(set))].length;
}

/** Refuses settings that together exceed what FunctionGraph stores, naming the largest one. */
export function checkEnvironmentSize(names: readonly string[], read: (name: string) => string | undefined): void {
  const total = environmentLength(names, read);
  if (total <= ENVIRONMENT_LIMIT) return;
  const sizes = names.map((name) => ({ name, size: [...(read(name) ?? '')].length }));
  const largest = sizes.reduce((a, b) => (b.size > a.size ? b : a));
  throw new ConfigError(
    largest.name,
    `Settings take ${total} characters together (as FunctionGraph's user_data JSON); FunctionGraph allows ${ENVIRONMENT_LIMIT}. ` +
      `The largest is ${largest.name} (${largest.size} characters)`,
  );
}

/** Quotes a user value for an error message, bounded so a pasted secret or blob stays short. */
export function quote(value: string): string {
  return JSON.stringify(truncate(value, 120));
}

/**
 * The candidate `value` was most likely meant to be, or `undefined` when none is close. Close
 * means a few edits away (a third of the candidate's length, at least one; swapping two letters
 * is one edit), or one being the start of the other (`pending`, `warning`).
 */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  const typed = value.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    const prefix = typed.length >= 3 && (known.startsWith(typed) || typed.startsWith(known));
    const distance = editDistance(typed, known);
    if (!prefix && distance > Math.max(1, Math.floor(known.length / 3))) continue;
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      row.push(distance);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

// Cloud Eye custom namespaces (PutMetricData, "namespace"): service.item, each part a letter then
// letters, digits or `_`; 3–32 characters IN TOTAL; the service part may not start with SYS, AGT or
// SRE (Cloud Eye's own), and SERVICE.BMS is taken. Case is not documented for the prefixes, so they
// are refused in any case: a refused name costs a rename, an accepted one that Cloud Eye refuses
// costs every run's metrics. The Terraform module validates the same way (test/deploy/agreement).
const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED_NAMESPACE_PREFIXES = ['SYS', 'AGT', 'SRE'];
const RESERVED_NAMESPACES = ['SERVICE.BMS'];

export function metricsNamespace(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = !NAMESPACE.test(value) ? 'must be service.item: each part a letter, then letters, digits or _'
    : value.length < 3 || value.length > 32 ? `is ${value.length} characters; Cloud Eye takes 3-32 in total`
    : RESERVED_NAMESPACE_PREFIXES.some((prefix) => value.toUpperCase().startsWith(prefix)) ? 'starts with SYS, AGT or SRE, which Cloud Eye keeps for itself'
    : RESERVED_NAMESPACES.includes(value.toUpperCase()) ? 'is SERVICE.BMS, which Cloud Eye keeps for itself'
    : undefined;
  if (problem !== undefined) throw new ConfigError('METRICS_NAMESPACE', `Setting METRICS_NAMESPACE ${problem}: ${quote(value)}`);
  return value;
}

/**
 * A typo here would silently turn an alert off (`pendingAcceptence` matches no connection ever),
 * so only VPCEP's documented statuses are taken, in any case. A status VPCEP adds later is written
 * with a leading `+` (`+deactivated`) and taken as written.
 */
export function parseAlertStatuses(value: string | undefined): ReadonlySet<string> {
  const entries = list(value ?? DEFAULT_ALERT_STATUSES.join(','));
  if (entries.length === 0) throw new ConfigError('ALERT_STATUSES', 'Setting ALERT_STATUSES names no status');
  const statuses = new Set<string>();
  for (const entry of entries) {
    const explicit = entry.startsWith('+');
    const name = explicit ? entry.slice(1) : entry;
    const known = CONNECTION_STATUSES.find((status) => status.toLowerCase() === name.toLowerCase());
    if (known !== undefined) {
      statuses.add(known);
    } else if (explicit && /^[A-Za-z]+$/.test(name)) {
      statuses.add(name);
    } else if (explicit) {
      throw new ConfigError('ALERT_STATUSES', `Setting ALERT_STATUSES holds ${quote(entry)}: after + comes a status name, letters only`);
    } else {
      const likely = suggestion(name, CONNECTION_STATUSES);
      const future = likely === '' && /^[A-Za-z]+$/.test(name) ? `+${name}` : '+name';
      throw new ConfigError(
        'ALERT_STATUSES',
        `Setting ALERT_STATUSES holds ${quote(entry)}, which is not a VPCEP connection status${likely}; ` +
          `use ${CONNECTION_STATUSES.join(', ')}, or write ${future} for a status VPCEP added later`,
      );
    }
  }
  return statuses;
}

/**
 * A period such as `30m`, `24h` or `2d`: a positive whole number of s, m, h or d, up to 7 digits
 * (zero would mean "every run, forever": refused). `undefined` when unset, or when the setting
 * allows `off` and says it.
 */
export function durationSetting(name: string, value: string | undefined, allowOff: boolean): number | undefined {
  if (value === undefined || (allowOff && value.toLowerCase() === 'off')) return undefined;
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  throw new ConfigError(name, `Setting ${name} must be a duration such as 30m, 24h or 2d (units s, m, h, d)${allowOff ? ', or off' : ''}: ${quote(value)}`);
}

/** A whole number from `min` to `max`, written in plain digits. */
export function wholeNumber(name: string, value: string, min: number, max: number): number {
  const number = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (number >= min && number <= max) return number;
  throw new ConfigError(name, `Setting ${name} must be a whole number from ${min} to ${max}: ${quote(value)}`);
}
