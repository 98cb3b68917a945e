/**
 * `vpcep-monitor status`: what the last snapshot says, the alerts raised but not yet delivered (the
 * outbox), the last delivery SMN confirmed (the trail's `delivered` records) and how many alerts SMN
 * refused for good (the dead-letter objects), read from OBS; makes no VPCEP call.
 */
import { formatDuration } from '../duration.js';
import { deadLetterRoot } from '../monitor/keys.js';
import type { ObjectStore } from '../monitor/ports.js';
import { decodeRecords } from '../monitor/records.js';
import { cleanToken } from '../monitor/sanitize.js';
import { type Io, terminalJson } from './command.js';
import { openObjectStore } from './object-store.js';
import { styleFor } from './style.js';
import { noStateText, prefixesWithState, readStoredState } from './stored-state.js';
import { lastDelivery, serviceLabel } from './trail.js';

/** The bucket is there but holds no state under OBS_PREFIX: exit 1, the message says where one is. */
class NoStateError extends Error {
  override readonly name = 'NoStateError';
}

interface ServiceStatus {
  serviceId: string;
  serviceName: string;
  scannedAt: string;
  counts: Record<string, number>;
  pending: { connectionId: string; domainId: string; since: string; waitingSeconds: number }[];
}

export async function statusCommand(json: boolean, io: Io, now: Date = new Date()): Promise<number> {
  const { config, store } = openObjectStore(io);
  const found = await readStoredState(store, config, { pages: true });
  if (!found) throw new NoStateError(noStateText(config, await prefixesWithState(store, config.obsPrefix)));
  const { state, snapshots } = found;
  const services: ServiceStatus[] = [...state.services].map(([serviceId, snapshot]) => {
    const counts: Record<string, number> = {};
    const pending: ServiceStatus['pending'] = [];
    const book = state.pending.get(serviceId);
    for (const record of decodeRecords(snapshots.get(serviceId) ?? [])) {
      counts[record.status] = (counts[record.status] ?? 0) + 1;
      if (record.status === 'pendingAcceptance') {
        // As the report and the reminders count it: from when the monitor first saw it pending,
        // or VPCEP's updated_at for a request the book does not know.
        const sinceText = book?.get(record.id)?.since ?? record.updatedAt;
        const since = Date.parse(sinceText);
        pending.push({ connectionId: record.id, domainId: record.domainId, since: sinceText, waitingSeconds: Number.isNaN(since) ? 0 : Math.max(0, Math.round((now.getTime() - since) / 1000)) });
      }
    }
    pending.sort((a, b) => b.waitingSeconds - a.waitingSeconds);
    return { serviceId, serviceName: snapshot.name, scannedAt: snapshot.scannedAt, counts, pending };
  });
  const deadLetters = deadLetterRoot(config.obsPrefix);
  const deadLettered = await countDeadLettered(store, deadLetters);
  const delivery = await lastDelivery(store, config.obsPrefix, now);

  if (json) {
    io.stdout.write(`${terminalJson({ savedAt: state.savedAt, generation: state.generation, undelivered: state.outbox.length, lastDelivery: delivery ?? null, deadLettered, services })}\n`);
    return 0;
  }
  const style = styleFor(io.stdout, io.env);
  io.stdout.write(`${style.bold('State')} saved ${state.savedAt} (generation ${state.generation}), ${state.outbox.length} alert(s) waiting for delivery, ${deadLettered} dead-lettered\n`);
  io.stdout.write(delivery
    ? `Last delivery ${delivery.at}: ${delivery.alerts} alert(s) accepted by SMN as message ${cleanToken(delivery.messageId)}\n`
    : style.dim('No delivery recorded in the audit trail in the last 7 days\n'));
  if (deadLettered > 0) {
    io.stdout.write(`${style.yellow('dead-lettered')} ${deadLettered} alert(s) SMN refused for good, with SMN's answer: obs://${config.obsBucket}/${deadLetters}\n`);
  }
  for (const service of services) {
    const counts = Object.entries(service.counts).sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${n} ${cleanToken(status)}`).join(', ') || 'no connections';
    io.stdout.write(`\n${style.bold(serviceLabel(service.serviceName, service.serviceId))} (${service.serviceId}), scanned ${service.scannedAt}\n  ${counts}\n`);
    for (const pending of service.pending) {
      io.stdout.write(`  ${style.yellow('pending')} ${cleanToken(pending.connectionId)}  consumer ${cleanToken(pending.domainId)}  waiting ${formatDuration(pending.waitingSeconds * 1000)} (since ${pending.since})\n`);
    }
  }
  return 0;
}

/**
 * Alerts set aside so far: the distinct events in the objects under `dead-letter/`, one per line.
 * Distinct, because a run whose notice failed after writing its object keeps the events in the
 * outbox, and the next run sets them aside again in an object of its own. They are rare (each is
 * an event SMN refused on its own), so reading every object is cheap.
 */
async function countDeadLettered(store: ObjectStore, root: string): Promise<number> {
  const events = new Set<string>();
  for await (const { key } of store.list(root)) {
    const object = await store.get(key);
    for (const line of object?.body.split('\n') ?? []) if (line.trim() !== '') events.add(eventIdOf(line));
  }
  return events.size;
}

/** A line's event id; a line that is not a dead letter counts as itself, so nothing goes uncounted. */
function eventIdOf(line: string): string {
  try {
    const id = (JSON.parse(line) as { event?: { id?: unknown } }).event?.id;
    return typeof id === 'string' ? `event ${id}` : line;
  } catch {
    return line;
  }
}
