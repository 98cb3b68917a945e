/**
 * The state object as the read-only commands (`status`, `report`, `check`) find it. They never call
 * "nothing there" fine: a missing bucket fails in the adapter (NoSuchBucketError), a missing state
 * names the prefixes of the bucket that do hold one, and an unreadable state is named with its key
 * and what the next run does with it.
 */
import type { StoreConfig } from '../config.js';
import { editDistance } from '../config-values.js';
import { quarantineRoot, stateKey, statePrefixOf } from '../monitor/keys.js';
import { readPages } from '../monitor/pages.js';
import type { ObjectStore } from '../monitor/ports.js';
import type { RecordChunks } from '../monitor/records.js';
import { heldSnapshots, type MonitorState, parseState } from '../monitor/state.js';

/** The state is there but this version cannot read it. */
export class UnreadableStateError extends Error {
  override readonly name = 'UnreadableStateError';
}

// A bucket shared with other data can hold millions of keys: the search for other prefixes stops here.
const SEARCHED_KEYS = 10_000;
const SHOWN_PREFIXES = 5;

export interface FoundState {
  key: string;
  state: MonitorState;
  /** With `{ pages: true }`: each service's connections, read from its snapshot's pages. */
  snapshots: Map<string, RecordChunks>;
}

/**
 * The state under OBS_PREFIX, `undefined` when there is none; throws when it cannot be read. With
 * `pages`, every service's snapshot pages are read too (a command that shows connections needs
 * them; a state of an older schema still holds them itself).
 */
export async function readStoredState(store: ObjectStore, config: StoreConfig, options: { pages?: boolean } = {}): Promise<FoundState | undefined> {
  const key = stateKey(config.obsPrefix);
  const stored = await store.get(key);
  if (!stored) return undefined;
  try {
    const state = parseState(stored.body);
    const snapshots = new Map<string, RecordChunks>();
    if (options.pages) {
      // A state of an older schema still holds its pages itself, all of them.
      const held = heldSnapshots(state);
      for (const [id, snapshot] of state.services) snapshots.set(id, held.get(id) ?? (await readPages(store, config.obsPrefix, id, snapshot.pages)));
    }
    return { key, state, snapshots };
  } catch (error) {
    throw new UnreadableStateError(
      `state obs://${config.obsBucket}/${key} is unreadable (${(error as Error).message}): the next "run" sets it aside under ${quarantineRoot(config.obsPrefix)} and records a new baseline; docs/operations.md says how to restore an earlier version`,
      { cause: error },
    );
  }
}

/** The prefixes of the bucket that hold a state, nearest to OBS_PREFIX first (at most five). */
export async function prefixesWithState(store: ObjectStore, wanted: string): Promise<string[]> {
  const found: string[] = [];
  let seen = 0;
  for await (const { key } of store.list('')) {
    const prefix = statePrefixOf(key);
    if (prefix !== undefined) found.push(prefix);
    if (++seen >= SEARCHED_KEYS) break;
  }
  return found.sort((a, b) => editDistance(a, wanted) - editDistance(b, wanted) || a.localeCompare(b)).slice(0, SHOWN_PREFIXES);
}

/** "no state at …" with where one is, for a person who set OBS_PREFIX wrong. */
export function noStateText(config: StoreConfig, prefixes: readonly string[]): string {
  const where = `obs://${config.obsBucket}/${stateKey(config.obsPrefix)}`;
  if (prefixes.length === 0) return `no state at ${where}: the monitor has not run with this bucket yet, and no other prefix of it holds a state`;
  const shown = prefixes.map((prefix) => `"${prefix}"`).join(', ');
  return `no state at ${where} (OBS_PREFIX "${config.obsPrefix}"); prefixes of this bucket that hold one: ${shown}: check OBS_PREFIX`;
}
