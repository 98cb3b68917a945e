import { loadConfig, settingSource } from '../config.js';
import { parseDuration } from '../duration.js';
import { UNLIMITED } from '../huaweicloud/budget.js';
import { resolveCredentials } from '../huaweicloud/credentials.js';
import { ObsStore } from '../huaweicloud/obs.js';
import type { ObjectStore } from '../monitor/ports.js';
import type { AuditRecord } from '../monitor/audit.js';
import { auditDayPrefix } from '../monitor/keys.js';
import { cleanText, cleanToken, displayServiceName } from '../monitor/sanitize.js';
import type { Io } from './main.js';
import { UsageError } from './main.js';
import { styleFor } from './style.js';

export interface AuditQuery {
  since: Date;
  until: Date;
  serviceId?: string;
  connectionId?: string;
  /** Matches a record whose `from` or `to` is this status. */
  status?: string;
}

const MAX_DAYS = 800;
const FETCH_CONCURRENCY = 4;

export function parseAuditQuery(values: Record<string, string | boolean | undefined>, now: Date): AuditQuery {
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
  const since = time('since', values.since, new Date(now.getTime() - 7 * 86_400_000));
  const until = time('until', values.until, now);
  if (since > until) throw new UsageError('--since is after --until');
  if ((until.getTime() - since.getTime()) / 86_400_000 > MAX_DAYS) throw new UsageError(`the range spans more than ${MAX_DAYS} days`);
  const text = (value: string | boolean | undefined) => (typeof value === 'string' && value !== '' ? value : undefined);
  return { since, until, serviceId: text(values.service), connectionId: text(values.connection), status: text(values.status) };
}

export function matches(record: AuditRecord, query: AuditQuery): boolean {
  const at = Date.parse(record.at);
  return at >= query.since.getTime()
    && at <= query.until.getTime()
    && (query.serviceId === undefined || record.serviceId === query.serviceId)
    && (query.connectionId === undefined || record.connectionId === query.connectionId)
    && (query.status === undefined || record.from === query.status || record.to === query.status);
}

/**
 * Every audit record in the range, oldest first. Lists each day's objects by prefix, fetches them
 * a few at a time, and yields records as soon as every earlier object has been yielded: output
 * streams in order without holding the whole trail in memory.
 */
export async function* readAudit(store: ObjectStore, obsPrefix: string, query: AuditQuery): AsyncIterable<AuditRecord> {
  for (let day = startOfDay(query.since); day <= query.until; day = new Date(day.getTime() + 86_400_000)) {
    const keys: string[] = [];
    for await (const object of store.list(auditDayPrefix(obsPrefix, day))) {
      if (object.key.endsWith('.jsonl')) keys.push(object.key);
    }
    const pending: Promise<string>[] = [];
    let next = 0;
    const fill = () => {
      while (next < keys.length && pending.length < FETCH_CONCURRENCY) {
        const key = keys[next++]!;
        pending.push(store.get(key).then((object) => object?.body ?? ''));
      }
    };
    fill();
    while (pending.length > 0) {
      const body = await pending.shift()!;
      fill();
      for (const line of body.split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as AuditRecord;
        if (matches(record, query)) yield record;
      }
    }
  }
}

function startOfDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** `vpcep-monitor audit`: the trail, as a table for people or JSON Lines for machines. */
export async function auditCommand(values: Record<string, string | boolean | undefined>, io: Io, now: Date = new Date()): Promise<number> {
  const query = parseAuditQuery(values, now);
  const config = loadConfig(settingSource(undefined, io.env));
  const credentials = resolveCredentials(undefined, io.env);
  const store = new ObsStore({ endpoint: config.endpoints.obs, bucket: config.obsBucket, credentials, budget: UNLIMITED });
  const style = styleFor(io.stdout, io.env);
  let count = 0;
  if (!values.json) {
    io.stdout.write(`${style.bold(`${'TIME'.padEnd(24)} ${'SERVICE'.padEnd(24)} ${'CONNECTION'.padEnd(36)} ${'CHANGE'.padEnd(7)} FROM -> TO`)}\n`);
  }
  for await (const record of readAudit(store, config.obsPrefix, query)) {
    count += 1;
    if (values.json) {
      io.stdout.write(`${JSON.stringify(record)}\n`);
      continue;
    }
    const service = cleanText(displayServiceName(record.serviceName, record.serviceId) || record.serviceId, 24);
    const transition = `${record.from === null ? '-' : cleanToken(record.from)} -> ${record.to === null ? '-' : cleanToken(record.to)}`;
    const line = `${record.at.padEnd(24)} ${service.padEnd(24)} ${cleanToken(record.connectionId, 36).padEnd(36)} ${record.change.padEnd(7)} ${transition}${record.alerted ? ' (alerted)' : ''}`;
    io.stdout.write(`${record.alerted ? style.yellow(line) : line}\n`);
  }
  if (!values.json) io.stdout.write(style.dim(`${count} record(s) from ${query.since.toISOString()} to ${query.until.toISOString()}\n`));
  return 0;
}
