/** `vpcep-monitor status`: what the last snapshot says, read from OBS; makes no VPCEP call. */
import { formatDuration } from '../duration.js';
import { stateKey } from '../monitor/keys.js';
import { cleanToken, displayServiceName } from '../monitor/sanitize.js';
import { parseState } from '../monitor/state.js';
import type { Io } from './command.js';
import { openObjectStore } from './object-store.js';
import { styleFor } from './style.js';

interface ServiceStatus {
  serviceId: string;
  serviceName: string;
  scannedAt: string;
  counts: Record<string, number>;
  pending: { connectionId: string; domainId: string; since: string; waitingSeconds: number }[];
}

export async function statusCommand(json: boolean, io: Io, now: Date = new Date()): Promise<number> {
  const { config, store } = openObjectStore(io);
  const stored = await store.get(stateKey(config.obsPrefix));
  if (!stored) {
    io.stderr.write(`No state at obs://${config.obsBucket}/${stateKey(config.obsPrefix)}: the monitor has not run yet.\n`);
    return 1;
  }
  const state = parseState(stored.body);
  const services: ServiceStatus[] = [...state.services].map(([serviceId, snapshot]) => {
    const counts: Record<string, number> = {};
    const pending: ServiceStatus['pending'] = [];
    for (const [connectionId, record] of snapshot.connections) {
      counts[record.status] = (counts[record.status] ?? 0) + 1;
      if (record.status === 'pendingAcceptance') {
        const since = Date.parse(record.updatedAt);
        pending.push({ connectionId, domainId: record.domainId, since: record.updatedAt, waitingSeconds: Number.isNaN(since) ? 0 : Math.max(0, Math.round((now.getTime() - since) / 1000)) });
      }
    }
    pending.sort((a, b) => b.waitingSeconds - a.waitingSeconds);
    return { serviceId, serviceName: snapshot.name, scannedAt: snapshot.scannedAt, counts, pending };
  });

  if (json) {
    io.stdout.write(`${JSON.stringify({ savedAt: state.savedAt, generation: state.generation, undelivered: state.outbox.length, services })}\n`);
    return 0;
  }
  const style = styleFor(io.stdout, io.env);
  io.stdout.write(`${style.bold('State')} saved ${state.savedAt} (generation ${state.generation}), ${state.outbox.length} alert(s) waiting for delivery\n`);
  for (const service of services) {
    const counts = Object.entries(service.counts).sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${n} ${cleanToken(status)}`).join(', ') || 'no connections';
    io.stdout.write(`\n${style.bold(displayServiceName(service.serviceName, service.serviceId) || service.serviceId)} (${service.serviceId}), scanned ${service.scannedAt}\n  ${counts}\n`);
    for (const pending of service.pending) {
      io.stdout.write(`  ${style.yellow('pending')} ${cleanToken(pending.connectionId)}  consumer ${cleanToken(pending.domainId)}  waiting ${formatDuration(pending.waitingSeconds * 1000)} (since ${pending.since})\n`);
    }
  }
  return 0;
}
