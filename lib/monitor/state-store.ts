/**
 * Loading and saving the state object: the "load" and "save" steps of a run. Unreadable state is
 * set aside, never guessed at; a save refuses to overwrite a state another invocation saved since
 * this one loaded (OBS has no conditional PUT, so the ETag is compared just before writing).
 */
import { LOCAL_CLI } from '../text.js';
import { StringDecoder } from 'node:string_decoder';
import type { Config } from '../config.js';
import { createHash } from 'node:crypto';
import { ForeignStateError, OverlapError, StateFormatError } from './errors.js';
import { foreignStateNoticeKey, quarantineKey, snapshotRoot, stateKey } from './keys.js';
import type { LoadedState } from './plan-run.js';
import { operatorNotice } from './operator-notice.js';
import type { MonitorDeps, ObjectStore, SmnMessage } from './ports.js';
import { sweepPages, writePage } from './pages.js';
import { emptyState, type MonitorState, serializeState, StateReader } from './state.js';
import { describeOwner, describeServices, judgeOwner, type OwnerVerdict, ownerOf, serializeOwner, type StateOwner, suggestedPrefix } from './state-owner.js';

/** `deployment`: the function running this pass (`{package}/{name}`); the CLI has none. */
export async function loadState(config: Config, deps: MonitorDeps, options: { runId: string; dryRun?: boolean; deployment?: string }): Promise<LoadedState> {
  const key = stateKey(config.obsPrefix);
  const mine = ownerOf(config, options.deployment);
  const stored = await deps.objects.getStream(key);
  if (!stored) return { state: emptyState(), baseline: true, quarantined: false, etag: undefined, published: 0, owner: mine };
  let foreign: StateOwner | undefined;
  let verdict = undefined as OwnerVerdict | undefined;
  try {
    // Read as it arrives: the 10 MB of a large project's state never exist as one text. Whose it
    // is shows in its first line; another monitor's is not read further.
    const reader = new StateReader((header) => {
      verdict = judgeOwner(header.owner, mine);
      if (verdict.kind === 'foreign') throw new ForeignStateError(foreignStateMessage(key, (foreign = header.owner!), mine));
    });
    for await (const line of lines(stored.body)) reader.line(line);
    const state = reader.finish();
    if (verdict?.kind === 'reconfigured') acceptReconfiguration(state, verdict.stamp, deps);
    if (state.migratedFrom !== undefined) {
      deps.logger.info({ key, fromSchema: state.migratedFrom }, `state ${key} has schema ${state.migratedFrom}: this run writes its snapshot as pages under ${snapshotRoot(config.obsPrefix)} and the state as schema 4, once`);
    }
    return { state, baseline: false, quarantined: false, etag: stored.etag, published: 0, owner: verdict?.kind === 'foreign' || verdict === undefined ? mine : verdict.stamp };
  } catch (error) {
    if (error instanceof ForeignStateError) {
      await reportForeignState(config, deps, { error, stored: foreign!, mine, ...options });
      throw error;
    }
    if (!(error instanceof StateFormatError)) throw error;
    // Never guess at unreadable state, and never answer it with an alert for every connection:
    // set it aside, tell the operator once, and record a silent new baseline.
    const aside = quarantineKey(config.obsPrefix, deps.now());
    if (options.dryRun) {
      // A dry run writes nothing: it says what a run would do, not that it was done.
      deps.logger.error({ err: error, key, quarantineKey: aside }, `state ${key} is unreadable (${error.message}); a run would move it aside to ${aside} and record a new baseline without alerts`);
      return { state: emptyState(), baseline: true, quarantined: true, etag: stored.etag, published: 0, owner: mine };
    }
    deps.logger.error({ err: error, key, quarantineKey: aside }, `state ${key} is unreadable (${error.message}); moved aside to ${aside}, recording a new baseline without alerts`);
    // The bytes as they are, read again whole: a state this broken is not a large one to hold.
    await deps.objects.put(aside, (await deps.objects.get(key))?.body ?? '');
    await deps.publisher.publish(quarantineNotice(config, key, aside, error.message, options.runId));
    return { state: emptyState(), baseline: true, quarantined: true, etag: stored.etag, published: 1, owner: mine };
  }
}

function quarantineNotice(config: Config, key: string, aside: string, reason: string, runId: string): SmnMessage {
  return operatorNotice({
    type: 'state-quarantined',
    subject: `[VPCEP ${config.region}] monitor state was unreadable and has been reset`,
    projectId: config.projectId,
    region: config.region,
    runId,
    email:
      `The VPC Endpoint connection monitor could not read its state object ${key} (${reason}).\n` +
      `The object was copied to ${aside} and a new baseline is being recorded. ` +
      'Connections that changed while the state was unreadable are not alerted individually; ' +
      `run "${LOCAL_CLI} status" (in the monitor's checkout) to see connections waiting now.\nRun ${runId}.\n`,
    sms: `VPCEP ${config.region}: monitor state was unreadable, set aside, new baseline recorded; check the connections.`,
    details: { bucket: config.obsBucket, stateKey: key, quarantineKey: aside, reason },
  });
}

/**
 * This deployment's VPCEP_SERVICE_IDS changed (a `terraform apply` with new service_ids): its own
 * past, read on. A service that left the filter is no longer watched, not gone: the scan reads only
 * what the filter names, so its snapshot and pending book leave the state on this run's save, with
 * no `removed` records (they would say its connections vanished). One that joined is read as a new
 * service is. The outbox stays whole: an alert raised before the change still goes out. The owner
 * is restamped on this run's save, so this is said once.
 */
function acceptReconfiguration(state: MonitorState, now: StateOwner, deps: Pick<MonitorDeps, 'logger'>): void {
  const before = state.owner!;
  const watched = now.services === '*' ? undefined : new Set(now.services);
  const unwatched = watched === undefined ? [] : [...state.services.keys()].filter((id) => !watched.has(id));
  const left = unwatched.length === 0 ? 'no watched service left the filter' : `${describeServices(unwatched)} left the filter: no longer watched, dropped from the state without removed records`;
  deps.logger.info(
    { deployment: now.deployment, fromServices: before.services, toServices: now.services, unwatched },
    `VPCEP_SERVICE_IDS of ${now.deployment ?? 'this deployment'} changed from ${describeServices(before.services)} to ${describeServices(now.services)}: ` +
      `accepted as a reconfiguration; ${left}; services that joined are read as new ones; the outbox is kept`,
  );
}

function foreignStateMessage(key: string, stored: StateOwner, mine: StateOwner): string {
  return (
    `state ${key} belongs to another monitor: it was written for ${describeOwner(stored)} (prefix ${stored.prefix.slice(0, 200)}); ` +
    `this monitor is ${describeOwner(mine)}. It was left as it is, nothing was diffed, written or alerted. ` +
    `Two monitors must not share OBS_PREFIX: set this one's OBS_PREFIX to ${suggestedPrefix(mine)}. ` +
    `If it is this monitor's own state and only its function was renamed, move ${key} aside and the next run records a new baseline.`
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
    await deps.publisher.publish(operatorNotice({
      type: 'foreign-state',
      subject: `[VPCEP ${config.region}] monitor stopped: its state belongs to another monitor (project ${stored.projectId.slice(0, 64)})`,
      projectId: config.projectId,
      region: config.region,
      runId: context.runId,
      email: `The VPC Endpoint connection monitor stopped before reading any connection.\n${error.message}\nRun ${context.runId}. Every run fails with this error until it is fixed.\n`,
      sms: `VPCEP ${config.region}: monitor stopped, its state ${stateKey(config.obsPrefix)} belongs to another monitor; see the e-mail.`,
      details: { bucket: config.obsBucket, stateKey: stateKey(config.obsPrefix), owner: stored },
    }));
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

/**
 * Writes the state as the next generation: first the pages it names that are not stored yet (a
 * migrated state's), then the state object itself, which is what makes them count.
 */
export async function saveState(config: Config, deps: Pick<MonitorDeps, 'objects' | 'now'>, state: MonitorState): Promise<void> {
  for (const page of state.held) await writePage(deps.objects, config.obsPrefix, page.serviceId, page.index, page.name, page.chunk);
  state.held = [];
  state.generation += 1;
  state.savedAt = deps.now().toISOString();
  await deps.objects.put(stateKey(config.obsPrefix), serializeState(state));
  delete state.migratedFrom;
}

/**
 * After a save: deletes the pages the saved state no longer names, of every service whose pages
 * changed or that left the state (with those of runs that died before saving). Best effort: a page
 * left behind costs storage, never correctness, and the next save of its service sweeps it.
 */
export async function sweepSnapshots(config: Config, deps: Pick<MonitorDeps, 'objects' | 'logger'>, before: MonitorState, saved: MonitorState): Promise<void> {
  const touched = [...before.services].filter(([id, snapshot]) => saved.services.get(id)?.pages !== snapshot.pages).map(([id]) => id);
  for (const [id, snapshot] of saved.services) if (!before.services.has(id) && snapshot.pages.length > 0) touched.push(id);
  let deleted = 0;
  for (const id of touched) {
    try {
      deleted += await sweepPages(deps.objects, config.obsPrefix, id, saved.services.get(id)?.pages ?? [], saved.generation);
    } catch (error) {
      deps.logger.warn({ err: error, serviceId: id }, `old snapshot pages of service ${id} could not be deleted (${(error as Error).message}); they cost storage only, and its next save tries again`);
    }
  }
  if (deleted > 0) deps.logger.debug({ deleted, services: touched.length }, 'old snapshot pages deleted');
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
