/**
 * How many requests a run keeps in flight. `createLimiter` holds a fixed number; the adaptive one
 * the scan uses starts small, grows while the calls it paces succeed, and halves when the service
 * says it is throttling, within a ceiling (MAX_IN_FLIGHT) and never below one.
 */
import type { ThrottleSignal } from './ports.js';

/** Runs at most `concurrency` tasks at once, in the order they were queued. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active -= 1;
    waiting.shift()?.();
  };
  return async (task) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/** A limiter whose limit moves; the figures are for logs and tests. */
export interface AdaptiveLimiter extends Limiter {
  /** How many tasks may be in flight now. */
  readonly limit: number;
  /** How many are. It can exceed `limit` for a moment after a halving: running tasks are not stopped. */
  readonly active: number;
  /** The most that were ever in flight at once. */
  readonly peak: number;
  /** The service throttled a call this limiter paces: halve the limit (once per burst). */
  throttled(api?: string): void;
}

/** The two levels the limiter logs at (a pino logger is one). */
export interface LimiterLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface AdaptiveLimiterOptions {
  /** The ceiling (MAX_IN_FLIGHT). */
  max: number;
  /** Where it starts; clamped to `max`. */
  initial?: number;
  /** Where the adapters report throttled answers, retried ones included. */
  throttles?: ThrottleSignal;
  logger?: LimiterLog;
  now?: () => number;
}

/**
 * Four in flight overlap a run's first waits without a burst at the gateway; the limit doubles
 * per round of successful calls from there, so a 100-service project is at 16 after three rounds.
 */
export const INITIAL_IN_FLIGHT = 4;
/**
 * Throttled answers this close after a halving are the same burst (every request that was in
 * flight when the gateway started refusing), not new news: halving once per answer would take 16
 * to 1 on one burst. A retried request waits at least 2 s before asking again (retry.ts), so a
 * throttled retry comes after this and halves again.
 */
export const THROTTLE_SETTLE_MS = 1_000;
/** A throttle this long after the last one starts a new burst, worth an info line again. */
const THROTTLE_BURST_GAP_MS = 30_000;

/**
 * Additive increase, multiplicative decrease, as TCP paces itself. Until the first throttle a
 * success adds one (the limit doubles each round trip); after one, a success adds 1/limit (one per
 * round trip), so a region that throttled at 16 is approached again slowly rather than hit again.
 * The limit grows only while it is what holds tasks back, and only from tasks started since the
 * last halving: those that were in flight then say nothing about the new limit.
 */
export function createAdaptiveLimiter(options: AdaptiveLimiterOptions): AdaptiveLimiter {
  const { max, logger, now = Date.now } = options;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`the in-flight ceiling must be a positive integer, got ${max}`);
  let limit = Math.max(1, Math.min(options.initial ?? INITIAL_IN_FLIGHT, max));
  let active = 0;
  let peak = 0;
  let slowStart = true;
  let credit = 0;
  let generation = 0;
  let halvedAt = Number.NEGATIVE_INFINITY;
  let lastThrottleAt = Number.NEGATIVE_INFINITY;
  const waiting: (() => void)[] = [];

  const startWaiting = (): void => {
    while (active < limit && waiting.length > 0) {
      active += 1; // taken here, so a task queued meanwhile cannot take the same slot
      waiting.shift()!();
    }
  };
  const grow = (): void => {
    if (limit >= max) return;
    if (slowStart) limit += 1;
    else {
      credit += 1 / limit;
      if (credit < 1) return;
      credit -= 1;
      limit += 1;
    }
    logger?.debug({ inFlightLimit: limit }, `in-flight limit raised to ${limit}`);
    startWaiting();
  };
  const throttled = (api?: string): void => {
    const at = now();
    const newBurst = at - lastThrottleAt >= THROTTLE_BURST_GAP_MS;
    lastThrottleAt = at;
    if (at - halvedAt < THROTTLE_SETTLE_MS) return;
    halvedAt = at;
    const before = limit;
    limit = Math.max(1, Math.floor(limit / 2));
    slowStart = false;
    credit = 0;
    generation += 1;
    const fields = { inFlightLimit: limit, previousLimit: before, ...(api === undefined ? {} : { api }) };
    const text = `${api ?? 'a call'} was throttled: in-flight limit halved from ${before} to ${limit}`;
    if (newBurst) logger?.info(fields, `${text}; further changes in this burst are logged at debug`);
    else logger?.debug(fields, text);
  };

  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < limit && waiting.length === 0) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    peak = Math.max(peak, active);
    const startedIn = generation;
    // Full: every slot taken or spoken for. Only then is the limit what slows the run down.
    const full = (): boolean => active + waiting.length >= limit;
    let succeeded = false;
    try {
      const result = await task();
      succeeded = true;
      return result;
    } finally {
      const wasFull = full();
      active -= 1;
      if (succeeded && wasFull && startedIn === generation) grow();
      startWaiting();
    }
  };
  options.throttles?.subscribe(throttled);
  return Object.defineProperties(run, {
    limit: { get: () => limit },
    active: { get: () => active },
    peak: { get: () => peak },
    throttled: { value: throttled },
  }) as AdaptiveLimiter;
}

/** The handler's side of a `ThrottleSignal`: `report` is what the adapters are given. */
export function createThrottleSignal(): ThrottleSignal & { report(api: string): void } {
  const listeners = new Set<(api: string) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    report(api) {
      for (const listener of listeners) listener(api);
    },
  };
}
