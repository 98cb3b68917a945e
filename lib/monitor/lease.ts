/**
 * Keeping two invocations from writing the state at once. OBS has no conditional PUT, so there is
 * no compare-and-swap; instead a run that is about to write takes a lease object naming itself
 * until its own hard deadline, and reads it back to see that its write won.
 *
 * A lease needs no release to be safe: it expires when its holder's FunctionGraph timeout does,
 * and no invocation outlives that. It is released anyway when the run ends, so the next timer run
 * does not wait for it. Runs that have nothing to write (quiet passes) never touch it.
 *
 * A lease is believed only as far as an invocation can run: one claiming more than FunctionGraph's
 * longest timeout from now (a clock gone wrong, a hand-written object, a CLI run of another
 * version) is stale and taken over. Runs skipped for a lease are counted, per holder, in an object
 * of their own (a skipped run may not write the state); the second one fails, so a stuck lease
 * cannot hold every alert back in silence.
 */
import type { Config } from '../config.js';
import { LeaseHeldError } from './errors.js';
import { leaseKey, leaseSkipsKey } from './keys.js';
import type { MonitorDeps, ObjectStore } from './ports.js';

export interface Lease {
  runId: string;
  /** ISO time after which the holder is certainly no longer running. */
  expiresAt: string;
}

export type LeaseResult = { acquired: true; tookOver?: Lease } | { acquired: false; holder: Lease };

/** FunctionGraph's longest invocation: a lease without a known deadline lasts this long. */
export const MAX_INVOCATION_MS = 900_000;
/** What a reader allows beyond that for clocks of two invocations that differ a little. */
const CLOCK_MARGIN_MS = 60_000;
/** The most a live lease can claim from now; one claiming more is stale. */
export const MAX_LEASE_MS = MAX_INVOCATION_MS + CLOCK_MARGIN_MS;
/** The run skipped for the same holder this many times fails. */
const SKIPS_THAT_FAIL = 2;

export async function acquireLease(objects: ObjectStore, key: string, lease: Lease, now: Date): Promise<LeaseResult> {
  const current = parseLease((await objects.get(key))?.body);
  let stale: Lease | undefined;
  if (current && current.runId !== lease.runId && Date.parse(current.expiresAt) > now.getTime()) {
    if (Date.parse(current.expiresAt) - now.getTime() <= MAX_LEASE_MS) return { acquired: false, holder: current };
    stale = current;
  }
  await objects.put(key, JSON.stringify(lease));
  // Two runs that both found no live lease both wrote one; the last write wins, and reading it
  // back tells each which one it was.
  const winner = parseLease((await objects.get(key))?.body);
  if (winner && winner.runId !== lease.runId) return { acquired: false, holder: winner };
  return stale ? { acquired: true, tookOver: stale } : { acquired: true };
}

export async function releaseLease(objects: ObjectStore, key: string, runId: string): Promise<void> {
  const current = parseLease((await objects.get(key))?.body);
  if (current?.runId === runId) await objects.delete(key);
}

export type TakenLease = { acquired: true; release: () => Promise<void> } | { acquired: false; holder: Lease; inARow: number; key: string };

/**
 * The lease step of a run: take the lease until this invocation's deadline (never more than the
 * longest invocation), or count this run as skipped for its holder.
 */
export async function takeLease(config: Config, deps: Pick<MonitorDeps, 'objects' | 'logger' | 'now'>, run: { runId: string; startedAt: string; deadline?: Date }): Promise<TakenLease> {
  const key = leaseKey(config.obsPrefix);
  const longest = Date.parse(run.startedAt) + MAX_INVOCATION_MS;
  const expiresAt = new Date(Math.min(run.deadline?.getTime() ?? longest, longest)).toISOString();
  const taken = await acquireLease(deps.objects, key, { runId: run.runId, expiresAt }, deps.now());
  if (!taken.acquired) {
    const { holder } = taken;
    const inARow = await countSkip(deps.objects, leaseSkipsKey(config.obsPrefix), holder, run.runId, deps.now()).catch((error: unknown) => {
      deps.logger.warn({ err: error }, `counting this skipped run failed (${(error as Error).message})`);
      return 1;
    });
    deps.logger.warn({ holder, skippedInARow: inARow }, `another invocation (${holder.runId}) holds the state lease until ${holder.expiresAt}; this run writes and publishes nothing, the holder or the next run reports these changes (run ${inARow} skipped for it)`);
    return { acquired: false, holder, inARow, key };
  }
  if (taken.tookOver) {
    const { runId, expiresAt: claimed } = taken.tookOver;
    deps.logger.warn({ holder: taken.tookOver }, `the state lease of ${runId} claimed until ${claimed}, longer than any invocation runs (${MAX_INVOCATION_MS / 1000} s); taken over as stale`);
  }
  return {
    acquired: true,
    release: () =>
      releaseLease(deps.objects, key, run.runId).catch((error: unknown) => {
        deps.logger.warn({ err: error }, `releasing the state lease failed (${(error as Error).message}); it expires on its own at ${expiresAt}`);
      }),
  };
}

/** The summary of a skipped run, or a LeaseHeldError carrying it when the holder has kept runs out before. */
export function finishSkipped<T extends { failedServices: string[]; undelivered: number }>(summary: T, skipped: { holder: Lease; inARow: number; key: string }): T {
  if (skipped.inARow < SKIPS_THAT_FAIL) return summary;
  const { holder, inARow, key } = skipped;
  throw new LeaseHeldError(
    `run skipped: the state lease is held by ${holder.runId} until ${holder.expiresAt}, and ${inARow} runs in a row found it so; ` +
      `${summary.undelivered} alert(s) wait and nothing is written or published until it is released or expires. If no invocation is running, delete ${key}.`,
    summary,
  );
}

/**
 * How many runs in a row found `holder` holding the lease, this one included. Two runs skipped at
 * the same moment may both count one: the next skip then counts two, so a stuck lease is still
 * reported, one run later at worst.
 */
async function countSkip(objects: ObjectStore, key: string, holder: Lease, runId: string, now: Date): Promise<number> {
  let before = 0;
  try {
    const stored = JSON.parse((await objects.get(key))?.body ?? 'null') as { holder?: Partial<Lease>; skipped?: unknown } | null;
    if (stored?.holder?.runId === holder.runId && stored.holder.expiresAt === holder.expiresAt && typeof stored.skipped === 'number') before = stored.skipped;
  } catch {
    // An unreadable count starts again.
  }
  const skipped = before + 1;
  await objects.put(key, JSON.stringify({ holder, skipped, lastRunId: runId, at: now.toISOString() }));
  return skipped;
}

function parseLease(body: string | undefined): Lease | undefined {
  if (body === undefined) return undefined;
  try {
    const value = JSON.parse(body) as Partial<Lease>;
    if (typeof value.runId === 'string' && typeof value.expiresAt === 'string') return { runId: value.runId, expiresAt: value.expiresAt };
  } catch {
    // An unreadable lease protects nothing: treat it as absent and overwrite it.
  }
  return undefined;
}
