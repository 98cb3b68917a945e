/**
 * Loading and saving the state object: the "load" and "save" steps of a run. Unreadable state is
 * set aside, never guessed at; a save refuses to overwrite a state another invocation saved since
 * this one loaded (OBS has no conditional PUT, so the ETag is compared just before writing).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Config } from '../config.js';
import { createHash } from 'node:crypto';
import { ForeignStateError, OverlapError, StateFormatError } from './errors.js';
import { foreignStateNoticeKey, quarantineKey, stateKey } from './keys.js';
import type { LoadedState } from './plan-run.js';
import type { MonitorDeps, ObjectStore } from './ports.js';
import { emptyState, type MonitorState, serializeState, StateReader } from './state.js';
import { describeOwner, ownerOf, sameOwner, serializeOwner, type StateOwner, suggestedPrefix } from './state-owner.js';

export async function loadState(config: Config, deps: MonitorDeps, options: { runId: string; dryRun?: boolean }): Promise<LoadedState> {
  const key = stateKey(config.obsPrefix);
  const stored = await deps.objects.getStream(key);
  if (!stored) return { state: emptyState(), baseline: true, quarantined: false, etag: undefined };
  const mine = ownerOf(config);
  let foreign: StateOwner | undefined;
  try {
    // Read as it arrives: the 10 MB of a large project's state never exist as one text. Whose it
    // is shows in its first line; another monitor's is not read further.
    const reader = new StateReader((header) => {
      if (header.owner !== undefined && !sameOwner(header.owner, mine)) throw new ForeignStateError(foreignStateMessage(key, (foreign = header.owner), mine));
    });
    for await (const line of lines(stored.body)) reader.line(line);
    return { state: reader.finish(), baseline: false, quarantined: false, etag: stored.etag };
  } catch (error) {
    if (error instanceof ForeignStateError) {
      await reportForeignState(config, deps, { error, stored: foreign!, mine, ...options });
      throw error;
    }
    if (!(error instanceof StateFormatError)) throw error;
    // Never guess at unreadable state, and never answer it with an alert for every connection:
    // set it aside, tell the operator once, and record a silent new baseline.
    const aside = quarantineKey(config.obsPrefix, deps.now());
    deps.logger.error({ err: error, key, quarantineKey: aside }, `state ${key} is unreadable (${error.message}); moved aside to ${aside}, recording a new baseline without alerts`);
    if (!options.dryRun) {
      // The bytes as they are, read again whole: a state this broken is not a large one to hold.
      await deps.objects.put(aside, (await deps.objects.get(key))?.body ?? '');
      await deps.publisher.publish({
        subject: `[VPCEP ${config.region}] monitor state was unreadable and has been reset`,
        message:
          `The VPC Endpoint connection monitor could not read its state object ${key} (${error.message}).\n` +
          `The object was copied to ${aside} and a new baseline is being recorded. ` +
          'Connections that changed while the state was unreadable are not alerted individually; ' +
          `run "vpcep-monitor status" to see connections waiting now.\nRun ${options.runId}.\n`,
      });
    }
    return { state: emptyState(), baseline: true, quarantined: true, etag: stored.etag };
  }
}

function foreignStateMessage(key: string, stored: StateOwner, mine: StateOwner): string {
  return (
    `state ${key} belongs to another monitor: it was written for ${describeOwner(stored)} (prefix ${stored.prefix.slice(0, 200)}); ` +
    `this monitor is ${describeOwner(mine)}. It was left as it is, nothing was diffed, written or alerted. ` +
    `Two monitors must not share OBS_PREFIX: set this one's OBS_PREFIX to ${suggestedPrefix(mine)}. ` +
    `If this deployment's VPCEP_SERVICE_IDS changed on purpose, move ${key} aside and the next run records a new baseline.`
  );
}

/**
 * One operator notice per foreign owner, remembered in a small object of this monitor's own (the
 * state itself is never touched): later runs fail with the same error, without a notice each.
 */
async function reportForeignState(
  config: Config,
  deps: MonitorDeps,
  context: { error: ForeignStateError; stored: StateOwner; mine: StateOwner; runId: string; dryRun?: boolean },
): Promise<void> {
  const { error, stored, mine } = context;
  deps.logger.error({ err: error, owner: stored }, error.message);
  if (context.dryRun) return;
  const told = foreignStateNoticeKey(config.obsPrefix, createHash('sha256').update(serializeOwner({ ...mine, prefix: '' })).digest('hex'));
  const record = serializeOwner(stored);
  try {
    if ((await deps.objects.get(told))?.body === record) return;
    await deps.publisher.publish({
      subject: `[VPCEP ${config.region}] monitor stopped: its state belongs to another monitor (project ${stored.projectId.slice(0, 64)})`,
      message: `The VPC Endpoint connection monitor stopped before reading any connection.\n${error.message}\nRun ${context.runId}. Every run fails with this error until it is fixed.\n`,
    });
    await deps.objects.put(told, record);
  } catch (noticeError) {
    // The run fails with the error itself either way; the notice is tried again next run.
    deps.logger.warn({ err: noticeError }, `the operator notice about ${stateKey(config.obsPrefix)} could not be sent (${(noticeError as Error).message}); the next run tries again`);
  }
}

/**
 * The lease makes overlap rare; this makes it harmless. If another run saved since we loaded, our
 * diff was against an older state: leave its state standing rather than move it back.
 */
export async function assertStateUnchanged(config: Config, objects: ObjectStore, loadedEtag: string | undefined): Promise<void> {
  const key = stateKey(config.obsPrefix);
  if ((await objects.head(key)) === loadedEtag) return;
  throw new OverlapError(`state ${key} changed while this run was working (another invocation saved it); this run saved nothing and published nothing, the next run diffs against the newer state`);
}

/** Writes the state as the next generation. */
export async function saveState(config: Config, deps: Pick<MonitorDeps, 'objects' | 'now'>, state: MonitorState): Promise<void> {
  state.generation += 1;
  state.savedAt = deps.now().toISOString();
  await deps.objects.put(stateKey(config.obsPrefix), serializeState(state));
}

/** The lines of a body that arrives in pieces, decoded as UTF-8 across the pieces' edges. */
async function* lines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  // The start of a line that goes on in later pieces: kept as pieces and joined once, since a line
  // (a page of records, ~110 KB) spans several pieces of 64 KB.
  let partial: string[] = [];
  for await (const piece of body) {
    const text = typeof piece === 'string' ? piece : decoder.write(piece as Buffer);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const tail = text.slice(start, end);
      yield partial.length === 0 ? tail : (partial.push(tail), partial.join(''));
      partial = [];
      start = end + 1;
    }
    if (start < text.length) partial.push(text.slice(start));
  }
  partial.push(decoder.end());
  // A last line without its newline is read too: if the object was cut short, it fails to parse.
  const last = partial.join('');
  if (last !== '') yield last;
}
