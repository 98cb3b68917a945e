/**
 * Reading the audit trail for people, shared by `audit` and `report`: the time range the flags
 * give, the records of that range from OBS, and what a typed `--service` means.
 */
import { CONNECTION_STATUSES } from '../config.js';
import { closest } from '../config-values.js';
import { parseDuration } from '../duration.js';
import type { AuditRecord } from '../monitor/audit.js';
import { auditDayPrefix, isDeliveredAuditKey } from '../monitor/keys.js';
import type { ObjectStore } from '../monitor/ports.js';
import { cleanText, cleanToken, displayServiceName } from '../monitor/sanitize.js';
import { type Flags, UsageError } from './command.js';

export interface AuditRange {
  since: Date;
  until: Date;
}

export interface AuditQuery extends AuditRange {
  /** The endpoint service: its id, its full VPCEP name, or the name shown in the SERVICE column. */
  service?: string;
  connectionId?: string;
  /** Matches a record whose `from` or `to` is this status. */
  status?: string;
  /** Matches a record attributed to this user (any case), or, as `unknown`, one nobody was found for. */
  by?: string;
}

/**
 * The widest range one query may span: each day in it costs one OBS list request, and the
 * Terraform module keeps audit records 400 days by default.
 */
const MAX_DAYS = 800;
const FETCH_CONCURRENCY = 4;
const DAY_MS = 86_400_000;
/** An unknown --service lists the known names on one line; a project can have thousands. */
const LISTED_SERVICES = 20;

export function parseAuditQuery(values: Flags, now: Date): AuditQuery {
  const time = (flag: string, value: string | boolean | undefined, fallback: Date): Date => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} needs a value`);
    const ago = parseDuration(value);
    if (ago !== undefined) return new Date(now.getTime() - ago);
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
      throw new UsageError(`--${flag} must be a duration such as 7d, 24h, 30m or an ISO time such as 2026-11-01T00:00:00Z, got "${value}"`);
    }
    return parsed;
  };
  const since = time('since', values.since, new Date(now.getTime() - 7 * DAY_MS));
  const until = time('until', values.until, now);
  // Worded for the flags given: `report` has no --until, and neither needs one named when unused.
  if (since > until) throw new UsageError(values.until === undefined ? '--since is in the future' : '--since is after --until');
  if ((until.getTime() - since.getTime()) / DAY_MS > MAX_DAYS) {
    throw new UsageError(values.until === undefined
      ? `--since may reach back at most ${MAX_DAYS} days (each day is one OBS list request)`
      : `--since and --until may be at most ${MAX_DAYS} days apart (each day is one OBS list request)`);
  }
  const text = (value: string | boolean | undefined) => (typeof value === 'string' && value !== '' ? value : undefined);
  const status = text(values.status);
  const by = text(values.by);
  if (values.by !== undefined && by === undefined) throw new UsageError('--by needs a user name');
  return { since, until, service: text(values.service), connectionId: text(values.connection), ...(status === undefined ? {} : { status: parseStatus(status) }), ...(by === undefined ? {} : { by }) };
}

/**
 * `--status` as ALERT_STATUSES reads a status: any case, returned in VPCEP's spelling; a word that
 * is no status is refused with the one meant, never answered with an empty list.
 */
function parseStatus(value: string): string {
  const known = CONNECTION_STATUSES.find((status) => status.toLowerCase() === value.toLowerCase());
  if (known !== undefined) return known;
  const likely = closest(value, CONNECTION_STATUSES);
  throw new UsageError(`--status "${cleanText(value, 40)}" is not a connection status${likely === undefined ? '' : ` (did you mean ${likely}?)`}; use one of ${CONNECTION_STATUSES.join(', ')}`);
}

/** The name a person sees for a service (the SERVICE column, before it is cut to fit). */
export function serviceLabel(serviceName: string, serviceId: string): string {
  return displayServiceName(serviceName, serviceId) || serviceId;
}

/**
 * Whether `wanted`, as a person typed it after `--service`, names this service: its id, VPCEP's
 * full `{region}.{name}.{id}`, or the name shown in tables, in any case. `audit` and `report` agree.
 */
export function isServiceNamed(serviceId: string, serviceName: string, wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return serviceId.toLowerCase() === lower || serviceName.toLowerCase() === lower || serviceLabel(serviceName, serviceId).toLowerCase() === lower;
}

/** `name (id), …, and N more`: the services a mistyped `--service` could have meant. */
export function listServices(services: Iterable<[id: string, name: string]>): string {
  const names = [...services].map(([id, name]) => `${cleanText(serviceLabel(name, id), 64)} (${cleanToken(id)})`).sort();
  const more = names.length > LISTED_SERVICES ? `, and ${names.length - LISTED_SERVICES} more` : '';
  return `${names.slice(0, LISTED_SERVICES).join(', ')}${more}`;
}

/**
 * Every audit record in the range, oldest first. Lists each day's objects by prefix, fetches them
 * a few at a time, and yields records as soon as every earlier object has been yielded: output
 * streams in order without holding the whole trail in memory.
 */
export async function* readAuditRange(store: ObjectStore, obsPrefix: string, range: AuditRange): AsyncIterable<AuditRecord> {
  for (let day = startOfDay(range.since); day <= range.until; day = new Date(day.getTime() + DAY_MS)) {
    const keys: string[] = [];
    for await (const object of store.list(auditDayPrefix(obsPrefix, day))) {
      if (object.key.endsWith('.jsonl')) keys.push(object.key);
    }
    const pending: Promise<{ key: string; body: string }>[] = [];
    let next = 0;
    const fill = () => {
      while (next < keys.length && pending.length < FETCH_CONCURRENCY) {
        const key = keys[next++]!;
        pending.push(store.get(key).then((object) => ({ key, body: object?.body ?? '' })));
      }
    };
    fill();
    while (pending.length > 0) {
      const { key, body } = await pending.shift()!;
      fill();
      const lines = body.split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        const record = parseRecord(line, key, index + 1);
        const at = Date.parse(record.at);
        if (at >= range.since.getTime() && at <= range.until.getTime()) yield record;
      }
    }
  }
}

/** One line of the trail; a line that is not JSON names its object and line, so it can be found. */
function parseRecord(line: string, key: string, number: number): AuditRecord {
  try {
    return JSON.parse(line) as AuditRecord;
  } catch (error) {
    throw new Error(`audit object ${key} line ${number} is not JSON (${(error as Error).message})`);
  }
}

/** The newest delivery the trail records: when SMN accepted it, its message id, and the alerts it carried. */
export interface LastDelivery {
  at: string;
  messageId: string;
  alerts: number;
}

/**
 * The newest `delivered` records within `days` of `now`, newest day first: only the objects named as
 * delivery records are read, and only the newest of them, so this costs a few list requests.
 */
export async function lastDelivery(store: ObjectStore, obsPrefix: string, now: Date, days = 7): Promise<LastDelivery | undefined> {
  for (let back = 0; back < days; back++) {
    const day = new Date(startOfDay(now).getTime() - back * DAY_MS);
    let newest: string | undefined;
    for await (const { key } of store.list(auditDayPrefix(obsPrefix, day))) if (isDeliveredAuditKey(key)) newest = key;
    if (newest === undefined) continue;
    const lines = ((await store.get(newest))?.body ?? '').split('\n').filter((line) => line.trim() !== '');
    const records = lines.map((line, index) => parseRecord(line, newest!, index + 1)).filter((record) => record.change === 'delivered');
    const last = records.at(-1);
    if (!last) continue;
    return { at: last.at, messageId: last.messageId ?? 'unknown', alerts: records.filter((record) => record.messageId === last.messageId).length };
  }
  return undefined;
}

function startOfDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}
