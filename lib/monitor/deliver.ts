/**
 * The "deliver" step: publish what the outbox holds (and the due reminder), then record what SMN
 * accepted. The outbox was saved before this step, so a crash anywhere here loses nothing: the
 * next run publishes again what was not recorded as delivered, with the same event ids.
 *
 * A publish SMN refuses as a message (too large by its reckoning, or its content) is split in two
 * and each half tried, down to single events; a single event refused for good is dead-lettered
 * (`dead-letter.ts`), but only while SMN accepts at least as many events of the same delivery as it
 * refuses: when it refuses every event, or most of them, the channel is at fault (a topic policy, a
 * template), not the events, and they all wait in the outbox. A failure of the channel
 * (throttling, authentication, a missing topic, 5xx, the network) stops delivery: the rest waits in
 * the outbox for the next run.
 *
 * The trail learns of a delivery only from SMN's answer: each event of an accepted publish gets a
 * `delivered` record with SMN's message id, written before the outbox lets the event go.
 */
import type { Config } from '../config.js';
import { type AuditRecord, deliveredRecord, writeAudit } from './audit.js';
import { deadLetter, type Refusal, refusesMessage } from './dead-letter.js';
import type { Notification } from './notify.js';
import { messagesFor } from './plan-run.js';
import { ChannelRefusedError } from './errors.js';
import { auditKey } from './keys.js';
import { callFailure, type Checkpoint, type MonitorDeps, type PublishReceipt } from './ports.js';
import { type DueReminder, markReminded } from './reminders.js';
import { saveState } from './state-store.js';
import type { MonitorState } from './state.js';

export interface Delivery {
  /** SMN messages accepted. */
  published: number;
  /** Alerts still in the outbox. */
  undelivered: number;
  /** Alerts SMN refused for good, set aside in the dead-letter object. */
  deadLettered: number;
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
  const refusals: Refusal[] = [];
  // A refused reminder is recorded as told, so that it comes due one period later: worth a save.
  let remindersRefused = false;
  const delivery: Delivery = { published: 0, undelivered: 0, deadLettered: 0 };
  const queue = messagesFor(state.outbox, reminders, config, context.runId);
  const offered = queue.reduce((sum, notification) => sum + notification.eventIds.length, 0);
  // What SMN accepted, as the trail will say it: the only records that claim a delivery.
  // One receipt per accepted publish, shared by its events: a burst of 100,000 holds no record
  // objects until they are written, a part at a time.
  const receipts = new Map<string, { at: string } & PublishReceipt>();
  for (let notification = queue.shift(); notification; notification = queue.shift()) {
    const isReminder = notification.kind === 'reminder';
    try {
      const receipt = await deps.publisher.publish(notification.message);
      logger.info({ messageId: receipt.messageId, requestId: receipt.requestId, events: notification.eventIds.length }, 'notification published');
      const answered = { at: deps.now().toISOString(), ...receipt };
      for (const id of notification.eventIds) receipts.set(id, answered);
    } catch (error) {
      if (refusesMessage(error)) {
        if (isReminder) {
          markReminded(state.pending, reminders, deps.now().toISOString());
          remindersRefused = true;
        }
        queue.unshift(...refused(notification, error, refusals, config, context.runId, deps));
        // Once SMN has refused more than it could still accept, the verdict below is the channel's
        // fault whatever the rest does: splitting the rest down to single events proves nothing more.
        if (refusals.length > offered - refusals.length) break;
        continue;
      }
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
  if (receipts.size > 0) {
    const records = function* (): Generator<AuditRecord> {
      for (const event of state.outbox) {
        const receipt = receipts.get(event.id);
        if (receipt) yield deliveredRecord(event, context.runId, receipt.at, receipt);
      }
    };
    try {
      await writeAudit(deps.objects, auditKey(config.obsPrefix, deps.now(), context.runId, 'delivered'), records());
    } catch (error) {
      // SMN has the alerts: keeping them in the outbox would only send them twice. The trail then
      // says they were raised, never that they were delivered; the log keeps SMN's message ids.
      delivery.error ??= error;
      // Bounded: a burst's receipts are few messages but may be 100,000 events.
      const messageIds = [...new Set([...receipts.values()].map(({ messageId }) => messageId))];
      const eventIds = [...receipts.keys()].slice(0, 100);
      logger.error({ err: error, messageIds, eventIds }, `recording ${receipts.size} delivered alert(s) in the audit trail failed (${(error as Error).message}); SMN accepted them, so they leave the outbox`);
    }
  }
  const accepted = receipts.size;
  if (refusals.length > accepted) {
    // SMN refused every event it was offered, or most of them: the channel is the problem (a topic
    // policy, a template, a setting of the account), not the events. None is set aside.
    const channel = new ChannelRefusedError(
      `SMN refused ${refusals.length} alert(s) as messages and accepted ${accepted} (${describe(refusals)}); refusing most of a delivery points at the topic or the account, not the alerts, so none is set aside and all stay in the outbox`,
    );
    delivery.error ??= channel;
    logger.error({ err: channel, refused: refusals.length, accepted }, channel.message);
  } else if (refusals.length > 0) {
    // Even when delivery stopped on something else (the channel, the deadline), what SMN refused for
    // good is set aside now: otherwise the next run would split the same burst again. The notice that
    // goes with it proves the channel works; if it does not, the events stay in the outbox.
    try {
      await deadLetter(config, deps, refusals, context.runId);
      for (const { event } of refusals) delivered.add(event.id);
      delivery.deadLettered = refusals.length;
    } catch (error) {
      delivery.error ??= error;
      logger.error({ err: error }, `setting ${refusals.length} refused alert(s) aside failed (${(error as Error).message}); they stay in the outbox and the next run tries again`);
    }
  }
  if (delivered.size > 0 || delivery.published > 0 || remindersRefused) {
    state.outbox = state.outbox.filter((event) => !delivered.has(event.id));
    await saveState(config, deps, state);
    await context.step('delivered-saved');
  }
  delivery.undelivered = state.outbox.length;
  return delivery;
}

/**
 * What to try instead of a publish SMN refused as a message: its two halves, or, for one event, the
 * dead-letter list. A refused reminder is not split (it already lists the longest waits first); it
 * is logged, and the requests come due again one period later.
 */
function refused(notification: Notification, error: unknown, refusals: Refusal[], config: Config, runId: string, deps: MonitorDeps): Notification[] {
  const { events } = notification;
  if (notification.kind === 'reminder') {
    deps.logger.error({ err: error }, `SMN refused the reminder (${(error as Error).message}); the requests are reminded about again next period`);
    return [];
  }
  if (events.length === 1) {
    refusals.push({ event: events[0]!, failure: callFailure(error) });
    return [];
  }
  deps.logger.warn({ err: error, events: events.length }, `SMN refused a publish of ${events.length} alerts (${(error as Error).message}); trying it in two halves`);
  const half = Math.ceil(events.length / 2);
  return [...messagesFor(events.slice(0, half), [], config, runId), ...messagesFor(events.slice(half), [], config, runId)];
}

/** SMN's first answer among the refusals, as a reader can recognise it. */
function describe(refusals: readonly Refusal[]): string {
  const { status, code, message } = refusals[0]!.failure;
  return [status === undefined ? undefined : `HTTP ${status}`, code, message].filter(Boolean).join(' ');
}
