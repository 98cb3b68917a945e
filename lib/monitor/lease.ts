/**
 * Keeping two invocations from writing the state at once. OBS has no conditional PUT, so there is
 * no compare-and-swap; instead a run that is about to write takes a lease object naming itself
 * until its own hard deadline, and reads it back to see that its write won.
 *
 * A lease needs no release to be safe: it expires when its holder's FunctionGraph timeout does,
 * and no invocation outlives that. It is released anyway when the run ends, so the next timer run
 * does not wait for it. Runs that have nothing to write (quiet passes) never touch it.
 */
import type { ObjectStore } from './ports.js';

export interface Lease {
  runId: string;
  /** ISO time after which the holder is certainly no longer running. */
  expiresAt: string;
}

export type LeaseResult = { acquired: true } | { acquired: false; holder: Lease };

export async function acquireLease(objects: ObjectStore, key: string, lease: Lease, now: Date): Promise<LeaseResult> {
  const current = parseLease((await objects.get(key))?.body);
  if (current && current.runId !== lease.runId && Date.parse(current.expiresAt) > now.getTime()) {
    return { acquired: false, holder: current };
  }
  await objects.put(key, JSON.stringify(lease));
  // Two runs that both found no live lease both wrote one; the last write wins, and reading it
  // back tells each which one it was.
  const winner = parseLease((await objects.get(key))?.body);
  if (winner && winner.runId !== lease.runId) return { acquired: false, holder: winner };
  return { acquired: true };
}

export async function releaseLease(objects: ObjectStore, key: string, runId: string): Promise<void> {
  const current = parseLease((await objects.get(key))?.body);
  if (current?.runId === runId) await objects.delete(key);
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
