/**
 * `vpcep-monitor report`: the state and the audit trail from OBS, written as one self-contained
 * HTML page (see lib/report/). Reads only; makes no VPCEP call.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cleanText } from '../monitor/sanitize.js';
import { auditKeyTime, auditRoot } from '../monitor/keys.js';
import type { ObjectStore } from '../monitor/ports.js';
import type { MonitorState } from '../monitor/state.js';
import { ReportBuilder } from '../report/report-model.js';
import { renderReport } from '../report/render-report.js';
import { type Io, UsageError } from './command.js';
import { openObjectStore } from './object-store.js';
import { noStateText, prefixesWithState, readStoredState } from './stored-state.js';
import { isServiceNamed, listServices, parseAuditQuery, readAuditRange } from './trail.js';

/** The page could not be written where --out says (a missing folder, no permission, a full disk). */
class ReportWriteError extends Error {
  override readonly name = 'ReportWriteError';
}

const DEFAULT_SINCE = '30d';

/**
 * The service `--service` means: an id, VPCEP's full name, or the name people see (the middle of
 * `{region}.{name}.{id}`). Throws a UsageError naming the known services otherwise.
 */
export function resolveService(services: ReadonlyMap<string, { name: string }>, wanted: string): string {
  const matches = [...services].filter(([id, { name }]) => isServiceNamed(id, name, wanted));
  if (matches.length === 1) return matches[0]![0];
  const shown = cleanText(wanted, 80);
  if (matches.length > 1) {
    throw new UsageError(`--service "${shown}" names ${matches.length} services (${matches.map(([id]) => id).join(', ')}): pass the id`);
  }
  if (services.size === 0) throw new UsageError(`unknown service "${shown}": the monitor has not saved a snapshot yet, so no service is known`);
  throw new UsageError(`unknown service "${shown}"; known services: ${listServices([...services].map(([id, { name }]) => [id, name]))}`);
}

/** When the monitor's first run wrote the trail: the first audit object, one list call away. */
async function firstRunAt(store: ObjectStore, prefix: string): Promise<Date | undefined> {
  for await (const { key } of store.list(auditRoot(prefix))) return auditKeyTime(key);
  return undefined;
}

export async function reportCommand(values: Record<string, string | boolean | undefined>, io: Io, now: Date = new Date()): Promise<number> {
  const out = values.out;
  if (typeof out !== 'string' || out === '') throw new UsageError('--out FILE is required: where to write the report');
  const { since } = parseAuditQuery({ since: values.since ?? DEFAULT_SINCE }, now);
  const { config, store } = openObjectStore(io);

  const found = await readStoredState(store, config, { pages: true });
  const state: MonitorState | undefined = found?.state;
  // A page without a state is worth writing (the trail may have records), but says why it is empty.
  const missing = state ? '' : ` (${noStateText(config, await prefixesWithState(store, config.obsPrefix))})`;
  const service = typeof values.service === 'string' && values.service !== '' ? values.service : undefined;
  const serviceId = service === undefined ? undefined : resolveService(state?.services ?? new Map(), service);

  // Records stream through the builder, which keeps only what the page shows.
  const trailStart = await firstRunAt(store, config.obsPrefix);
  const builder = new ReportBuilder({ now, since, state, snapshots: found?.snapshots ?? new Map(), ...(serviceId ? { serviceId } : {}), ...(trailStart ? { trailStart } : {}) });
  // The builder keeps to --service itself; the range is what is read.
  for await (const record of readAuditRange(store, config.obsPrefix, { since, until: now })) builder.add(record);
  const model = builder.build();
  const path = resolve(out);
  try {
    await writeFile(path, renderReport(model), 'utf8');
  } catch (error) {
    throw new ReportWriteError(`could not write the report to ${path}: ${(error as Error).message}`, { cause: error });
  }
  const services = model.services.length;
  io.stdout.write(`Report written to ${path}: ${services} service${services === 1 ? '' : 's'}, ${model.recordCount} change${model.recordCount === 1 ? '' : 's'} from ${since.toISOString()} to ${now.toISOString()}${missing}\n`);
  return 0;
}
