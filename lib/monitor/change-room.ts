/**
 * How many changes one run holds. Each change a run finds is held until the trail, the outbox and
 * the messages are written (a change with its two records is ~0.5 KB, its alert as much again), so
 * an operator rejecting 100,000 connections at once would take the smallest function past its
 * memory, in every run after, and no alert would ever go out. Instead a run takes changes up to
 * this many; a changed page past them keeps its stored page, unread for changes, and the next run
 * finds them there. Nothing is lost and nothing is reported twice: a storm goes out in instalments.
 */

import type { Logger } from 'pino';

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
  /** Connections needing someone on pages of services seen for the first time past the room: recorded, not alerted. */
  unalerted = 0;
  readonly unalertedServices = new Set<string>();

  constructor(readonly max: number = MAX_CHANGES_PER_RUN) {}

  /** Changes the run holds so far. */
  get held(): number {
    return this.#held;
  }

  /**
   * Room for one page's `count` changes, or `false` when the run has no more: the page is left for
   * the next run. While the run holds nothing, a page is taken however many it holds (a page holds
   * at most 1,000), so every run makes headway. A page of a service seen for the first time (`new`)
   * has no stored page to fall back on: it is recorded all the same, and past the room its
   * connections in alert states are counted rather than alerted one by one (a first run over a
   * project with 100,000 rejected connections otherwise ran out of memory, in every run).
   */
  take(count: number, serviceId: string, kind?: 'new'): boolean {
    if (this.#held > 0 && this.#held + count > this.max) {
      if (kind === 'new') {
        this.unalerted += count;
        this.unalertedServices.add(serviceId);
      } else {
        this.deferredPages += 1;
        this.deferredServices.add(serviceId);
      }
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

/** What the room left out of a run: part of the scan's result. */
export interface RoomReport {
  /** Changed pages left as stored for the next run (an alert storm past the room), with their services. */
  deferred?: { pages: number; services: string[] };
  /** Connections needing someone, first seen past the room (a first run over a large project): recorded, not alerted. */
  unalerted?: number;
}

/** What the room left out of this run, each said in one `warn` line. */
export function reportRoom(room: ChangeRoom, logger: Logger): RoomReport {
  const said: RoomReport = {};
  if (room.unalerted > 0) {
    said.unalerted = room.unalerted;
    logger.warn(
      { unalerted: room.unalerted, serviceIds: [...room.unalertedServices].slice(0, 20), maxChanges: room.max },
      `first sight of ${room.unalerted} more connection(s) in alert states than this run alerts one by one (${room.max}): they are recorded in the snapshot and the trail and counted in the metrics, the alerts name those of the first pages read; their later changes alert as usual`,
    );
  }
  if (room.deferredPages > 0) {
    const services = [...room.deferredServices];
    said.deferred = { pages: room.deferredPages, services };
    logger.warn(
      { deferredPages: room.deferredPages, serviceIds: services.slice(0, 20), maxChanges: room.max },
      `alert storm: this run holds at most ${room.max} changes, so ${room.deferredPages} changed page(s) of ${services.length} service(s) keep their stored snapshot and the next run reports what changed in them; nothing is lost, the alerts go out over several runs`,
    );
  }
  return said;
}
