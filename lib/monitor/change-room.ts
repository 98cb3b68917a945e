/**
 * How many changes one run holds. Each change a run finds is held until the trail, the outbox and
 * the messages are written (a change with its two records is ~0.5 KB, its alert as much again), so
 * an operator rejecting 100,000 connections at once would take the smallest function past its
 * memory, in every run after, and no alert would ever go out. Instead a run takes changes up to
 * this many; a changed page past them keeps its stored page, unread for changes, and the next run
 * finds them there. Nothing is lost and nothing is reported twice: a storm goes out in instalments.
 */

/** Changes one run holds in 128 MB: at a million connections, a run with this many alerts peaks at ~122 MiB. */
export const MAX_CHANGES_PER_RUN = 10_000;
const SMALLEST_MEMORY_MB = 128;

/**
 * The room of a function of `memoryMb` (FunctionGraph's `getMemorySize()`): 10,000 changes per
 * 128 MB, as each 128 MB past the first holds them with room to spare. Unknown or odd: 10,000.
 */
export function changeRoomFor(memoryMb: number | undefined): number {
  if (memoryMb === undefined || !Number.isFinite(memoryMb) || memoryMb < SMALLEST_MEMORY_MB) return MAX_CHANGES_PER_RUN;
  return Math.floor(memoryMb / SMALLEST_MEMORY_MB) * MAX_CHANGES_PER_RUN;
}

export class ChangeRoom {
  #held = 0;
  /** Changed pages left for the next run, and their services. */
  deferredPages = 0;
  readonly deferredServices = new Set<string>();

  constructor(readonly max: number = MAX_CHANGES_PER_RUN) {}

  /** Changes the run holds so far. */
  get held(): number {
    return this.#held;
  }

  /**
   * Room for one page's `count` changes, or `false` when the run has no more: the page is left for
   * the next run. While the run holds nothing, a page is taken however many it holds (a page holds
   * at most 1,000), so every run makes headway.
   */
  take(count: number, serviceId: string): boolean {
    if (this.#held > 0 && this.#held + count > this.max) {
      this.deferredPages += 1;
      this.deferredServices.add(serviceId);
      return false;
    }
    this.#held += count;
    return true;
  }

  /** Changes that cannot wait (a stretch of pages that moved is diffed whole): they take room all the same. */
  force(count: number): void {
    this.#held += count;
  }
}
