/** `vpcep-monitor audit`: the audit trail, as a table for people or JSON Lines for machines. */
import { alertRaised, type AuditRecord } from '../monitor/audit.js';
import { cleanText, cleanToken } from '../monitor/sanitize.js';
import { type Flags, type Io, terminalJson, UsageError } from './command.js';
import { openObjectStore } from './object-store.js';
import { styleFor } from './style.js';
import { type AuditQuery, isServiceNamed, listServices, parseAuditQuery, readAuditRange, serviceLabel } from './trail.js';

const SERVICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a record of the range (`readAuditRange` keeps to it) is one the query asks for. */
function matches(record: AuditRecord, query: AuditQuery): boolean {
  return (query.service === undefined || isServiceNamed(record.serviceId, record.serviceName, query.service))
    && (query.connectionId === undefined || record.connectionId === query.connectionId)
    && (query.status === undefined || record.from === query.status || record.to === query.status)
    && (query.by === undefined || isBy(record, query.by));
}

/** Whether the record names `name` as who made the change; `unknown` asks for those nobody was found for. */
function isBy(record: AuditRecord, name: string): boolean {
  if (name.toLowerCase() === 'unknown') return record.attribution === 'unknown';
  return typeof record.by === 'string' && record.by.toLowerCase() === name.toLowerCase();
}

/** ` by NAME from IP`: who made an accept or reject, as the trail says. */
function byText(record: AuditRecord): string {
  if (record.attribution === undefined) return '';
  if (record.attribution === 'pending') return ' by: not known yet (a later attribution record says)';
  if (record.by === undefined) return ' by: unknown';
  return ` by ${cleanText(record.by, 64)}${record.sourceIp ? ` from ${cleanToken(record.sourceIp, 45)}` : ''}`;
}

/** ` +a, +b -c`: the accounts a whitelist gained and lost. */
function doorAccounts(record: AuditRecord): string {
  const list = (accounts: string[] | undefined, sign: string): string => (accounts && accounts.length > 0 ? ` ${accounts.map((account) => `${sign}${account === '*' ? '*' : cleanToken(account)}`).join(', ')}` : '');
  return `${list(record.accountsAdded, '+')}${list(record.accountsRemoved, '-')}`;
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
    io.stdout.write(`${style.bold(`${'TIME'.padEnd(24)} ${'SERVICE'.padEnd(24)} ${'CONNECTION'.padEnd(36)} ${'CHANGE'.padEnd(9)} FROM -> TO`)}\n`);
  };
  // The services in the range, by id, to list when --service names none of them.
  const services = new Map<string, string>();
  let serviceFound = query.service === undefined;

  for await (const record of readAuditRange(store, config.obsPrefix, query)) {
    if (!serviceFound) {
      services.set(record.serviceId, record.serviceName);
      serviceFound = isServiceNamed(record.serviceId, record.serviceName, query.service!);
    }
    if (!matches(record, query)) continue;
    count += 1;
    if (json) {
      io.stdout.write(`${terminalJson(record)}\n`);
      continue;
    }
    header();
    const service = cleanText(serviceLabel(record.serviceName, record.serviceId), 24);
    const transition = `${record.from === null ? '-' : cleanToken(record.from)} -> ${record.to === null ? '-' : cleanToken(record.to)}`;
    const raised = alertRaised(record);
    const what = record.change === 'door' ? `${cleanToken(record.door ?? '')}${doorAccounts(record)}` : transition;
    const connection = record.connectionId ? cleanToken(record.connectionId, 36) : '(the service)';
    const line = `${record.at.padEnd(24)} ${service.padEnd(24)} ${connection.padEnd(36)} ${record.change.padEnd(9)} ${what}${byText(record)}${outcome(record, raised)}`;
    io.stdout.write(`${raised ? style.yellow(line) : line}\n`);
  }

  // An id with no changes in the range is a quiet service; a name that matches nothing is a typo.
  if (!serviceFound && !SERVICE_ID.test(query.service!)) {
    const list = services.size === 0 ? 'the trail has no records in that range' : `services in the trail: ${listServices(services)}`;
    throw new UsageError(`--service "${cleanText(query.service!, 64)}" is neither the id nor the name of a service in the audit trail from ${query.since.toISOString()} to ${query.until.toISOString()}; ${list}`);
  }
  if (!json) {
    header();
    io.stdout.write(style.dim(`${count} record(s) from ${query.since.toISOString()} to ${query.until.toISOString()}\n`));
  }
  return 0;
}

/**
 * What became of the alert, in the trail's own words: a change record says it was raised (older
 * trails said "alerted", meaning the same); only a `delivered` record, written after SMN accepted
 * the publish, names SMN's message id, and an `undeliverable` one SMN's refusal.
 */
function outcome(record: AuditRecord, raised: boolean): string {
  if (record.change === 'delivered') return ` (SMN message ${cleanToken(record.messageId ?? 'unknown', 64)}, event ${cleanToken(record.eventId)})`;
  if (record.change === 'undeliverable') return ` (refused by SMN: ${cleanText(record.error ?? 'no answer recorded', 120)}, event ${cleanToken(record.eventId)})`;
  // An older trail's `alerted` is shown as what it always meant: raised, not known to be delivered.
  return raised ? ` (alert raised, event ${cleanToken(record.eventId)})` : '';
}
