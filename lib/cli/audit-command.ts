/** `vpcep-monitor audit`: the audit trail, as a table for people or JSON Lines for machines. */
import { parseDuration } from '../duration.js';
import type { ObjectStore } from '../monitor/ports.js';
import type { AuditRecord } from '../monitor/audit.js';
import { auditDayPrefix } from '../monitor/keys.js';
import { cleanText, cleanToken, displayServiceName } from '../monitor/sanitize.js';
import { type Flags, type Io, terminalJson, UsageError } from './command.js';
import { openObjectStore } from './object-store.js';
import { styleFor } from './style.js';

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
}

/**
 * The widest range one query may span: each day in it costs one OBS list request, and the
 * Terraform module keeps audit records 400 days by default.
 */
export const MAX_DAYS = 800;
const FETCH_CONCURRENCY = 4;
const DAY_MS = 86_400_000;
const SERVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  return { since, until, service: text(values.service), connectionId: text(values.connection), status: text(values.status) };
}

/** The name a person sees for the record's service (the SERVICE column, before it is cut to fit). */
function serviceLabel(record: AuditRecord): string {
  return displayServiceName(record.serviceName, record.serviceId) || record.serviceId;
}

function serviceMatches(record: AuditRecord, service: string): boolean {
  return isServiceNamed(record.serviceId, record.serviceName, service);
}

/**
 * Whether `wanted`, as a person typed it after `--service`, names this service: its id, VPCEP's
 * full `{region}.{name}.{id}`, or the name shown in tables, in any case. `audit` and `report` agree.
 */
export function isServiceNamed(serviceId: string, serviceName: string, wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return serviceId.toLowerCase() === lower || serviceName.toLowerCase() === lower || (displayServiceName(serviceName, serviceId) || serviceId).toLowerCase() === lower;
}

export function matches(record: AuditRecord, query: AuditQuery): boolean {
  const at = Date.parse(record.at);
  return at >= query.since.getTime()
    && at <= query.until.getTime()
    && (query.service === undefined || serviceMatches(record, query.service))
    && (query.connectionId === undefined || record.connectionId === query.connectionId)
    && (query.status === undefined || record.from === query.status || record.to === query.status);
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

function startOfDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export async function auditCommand(values: Flags, io: Io, now: Date = new Date()): Promise<number> {
  const query = parseAuditQuery(values, now);
  const { config, store } = openObjectStore(io);
  const style = styleFor(io.stdout, io.env);
  const json = Boolean(values.json);
  let count = 0;
  let headed = false;
  const header = () => {
    if (json || headed) return;
    headed = true;
    io.stdout.write(`${style.bold(`${'TIME'.padEnd(24)} ${'SERVICE'.padEnd(24)} ${'CONNECTION'.padEnd(36)} ${'CHANGE'.padEnd(7)} FROM -> TO`)}\n`);
  };
  // Names of the services in the range, to list when --service names none of them.
  const services = new Map<string, string>();
  let serviceFound = query.service === undefined;

  for await (const record of readAuditRange(store, config.obsPrefix, query)) {
    if (!serviceFound) {
      services.set(serviceLabel(record), record.serviceId);
      serviceFound = serviceMatches(record, query.service!);
    }
    if (!matches(record, query)) continue;
    count += 1;
    if (json) {
      io.stdout.write(`${terminalJson(record)}\n`);
      continue;
    }
    header();
    const service = cleanText(serviceLabel(record), 24);
    const transition = `${record.from === null ? '-' : cleanToken(record.from)} -> ${record.to === null ? '-' : cleanToken(record.to)}`;
    const line = `${record.at.padEnd(24)} ${service.padEnd(24)} ${cleanToken(record.connectionId, 36).padEnd(36)} ${record.change.padEnd(7)} ${transition}${record.alerted ? ' (alerted)' : ''}`;
    io.stdout.write(`${record.alerted ? style.yellow(line) : line}\n`);
  }

  // An id with no changes in the range is a quiet service; a name that matches nothing is a typo.
  if (!serviceFound && !SERVICE_ID.test(query.service!)) {
    const known = [...services].sort(([a], [b]) => a.localeCompare(b)).map(([name, id]) => `${cleanText(name, 64)} (${cleanToken(id)})`);
    const list = known.length === 0 ? 'the trail has no records in that range' : `services in the trail: ${known.slice(0, 20).join(', ')}${known.length > 20 ? `, and ${known.length - 20} more` : ''}`;
    throw new UsageError(`--service "${cleanText(query.service!, 64)}" is neither the id nor the name of a service in the audit trail from ${query.since.toISOString()} to ${query.until.toISOString()}; ${list}`);
  }
  if (!json) {
    header();
    io.stdout.write(style.dim(`${count} record(s) from ${query.since.toISOString()} to ${query.until.toISOString()}\n`));
  }
  return 0;
}
