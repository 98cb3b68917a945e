/**
 * Loading and saving the state object: the "load" and "save" steps of a run. Unreadable state is
 * set aside, never guessed at; a save refuses to overwrite a state another invocation saved since
 * this one loaded (OBS has no conditional PUT, so the ETag is compared just before writing).
 */
import type { Config } from '../config.js';
import { OverlapError, StateFormatError } from './errors.js';
import { quarantineKey, stateKey } from './keys.js';
import type { LoadedState } from './plan-run.js';
import type { MonitorDeps, ObjectStore } from './ports.js';
import { emptyState, type MonitorState, parseState, serializeState } from './state.js';

export async function loadState(config: Config, deps: MonitorDeps, options: { runId: string; dryRun?: boolean }): Promise<LoadedState> {
  const key = stateKey(config.obsPrefix);
  const stored = await deps.objects.get(key);
  if (!stored) return { state: emptyState(), baseline: true, quarantined: false, etag: undefined };
  try {
    return { state: parseState(stored.body), baseline: false, quarantined: false, etag: stored.etag };
  } catch (error) {
    if (!(error instanceof StateFormatError)) throw error;
    // Never guess at unreadable state, and never answer it with an alert for every connection:
    // set it aside, tell the operator once, and record a silent new baseline.
    const aside = quarantineKey(config.obsPrefix, deps.now());
    deps.logger.error({ err: error, key, quarantineKey: aside }, `state ${key} is unreadable (${error.message}); moved aside to ${aside}, recording a new baseline without alerts`);
    if (!options.dryRun) {
      await deps.objects.put(aside, stored.body);
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
