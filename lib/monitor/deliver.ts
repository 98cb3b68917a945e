/**
 * The "deliver" step: publish what the outbox holds (and the due reminder), then record what SMN
 * accepted. The outbox was saved before this step, so a crash anywhere here loses nothing: the
 * next run publishes again what was not recorded as delivered, with the same event ids.
 */
import type { Config } from '../config.js';
import { saveState } from './state-store.js';
import { messagesFor } from './plan-run.js';
import type { Checkpoint, MonitorDeps } from './ports.js';
import { type DueReminder, markReminded } from './reminders.js';
import type { MonitorState } from './state.js';

export interface Delivery {
  /** SMN messages accepted. */
  published: number;
  /** Alerts still in the outbox. */
  undelivered: number;
  /** What stopped delivery, when something did: the run reports it as incomplete. */
  error?: unknown;
  /** Whether the failure was the reminder's rather than the alerts'. */
  reminderFailed?: boolean;
}

export async function deliver(
  config: Config,
  deps: MonitorDeps,
  state: MonitorState,
  reminders: readonly DueReminder[],
  context: { runId: string; step: (checkpoint: Checkpoint) => Promise<void> },
): Promise<Delivery> {
  const { logger } = deps;
  const delivered = new Set<string>();
  const delivery: Delivery = { published: 0, undelivered: 0 };
  for (const notification of messagesFor(state.outbox, reminders, config, context.runId)) {
    const isReminder = notification.kind === 'reminder';
    try {
      const receipt = await deps.publisher.publish(notification.message);
      logger.info({ messageId: receipt.messageId, requestId: receipt.requestId, events: notification.eventIds.length }, 'notification published');
    } catch (error) {
      delivery.error = error;
      delivery.reminderFailed = isReminder;
      const then = isReminder ? 'the next run reminds again' : 'the alerts stay in the outbox and the next run sends them again';
      logger.error({ err: error, events: notification.eventIds.length }, `publishing to ${config.smnTopicUrn} failed: ${(error as Error).message}; ${then}`);
      break; // SMN is failing: later parts would fail too, and they keep their place in the outbox
    }
    delivery.published += 1;
    for (const id of notification.eventIds) delivered.add(id);
    if (isReminder) markReminded(state.pending, reminders, deps.now().toISOString());
    await context.step('published');
  }
  if (delivery.published > 0) {
    state.outbox = state.outbox.filter((event) => !delivered.has(event.id));
    await saveState(config, deps, state);
    await context.step('delivered-saved');
  }
  delivery.undelivered = state.outbox.length;
  return delivery;
}
