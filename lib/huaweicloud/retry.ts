import pRetry, { AbortError } from 'p-retry';
import type { Budget } from './budget.js';
import { ApiError, CloudError, DeadlineError } from './errors.js';

/**
 * Explicit retry bounds. p-retry's defaults (10 retries from 1 s, doubling) would outlast any
 * timer-triggered function, so every caller passes these, and the run's budget cuts them shorter.
 */
export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Time limit of one attempt. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  minDelayMs: 200,
  maxDelayMs: 5_000,
  requestTimeoutMs: 15_000,
};

// The API gateway's throttling answer says "retry after 2–5 s"; a throttled request that names no
// Retry-After waits at least this long, plus up to THROTTLE_JITTER_MS at random so that the
// requests throttled together (four pages in flight) do not all come back in the same instant.
const THROTTLE_MIN_WAIT_MS = 2_000;
const THROTTLE_JITTER_MS = 1_000;
// An attempt started with less time than this left would only time out: give up instead.
const MIN_ATTEMPT_MS = 250;

export interface RetryNotice {
  api: string;
  attempt: number;
  retriesLeft: number;
  waitMs: number;
  error: CloudError;
}

/**
 * Runs `attempt` (given the time limit it must respect) until it succeeds, a non-retryable error
 * occurs, the retries are spent, or the budget cannot fit another attempt. Only throttling, 5xx,
 * timeouts and network errors are retried; anything else (4xx, a malformed body) fails at once.
 */
export async function withRetry<T>(
  api: string,
  attempt: (timeoutMs: number) => Promise<T>,
  policy: RetryPolicy,
  budget: Budget,
  onRetry?: (notice: RetryNotice) => void,
): Promise<T> {
  // Transport failures are already CloudErrors here (the adapters map them); anything else is a bug
  // and keeps its own name rather than passing for a network error.
  return pRetry(
    async () => {
      const left = budget.remainingMs();
      if (left < MIN_ATTEMPT_MS) {
        throw new AbortError(new DeadlineError(`${api} not attempted: the run's time budget is spent`, api));
      }
      try {
        // Timers take whole milliseconds.
        return await attempt(Math.floor(Math.min(policy.requestTimeoutMs, left)));
      } catch (error) {
        if (error instanceof CloudError && error.retryable) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: policy.retries,
      factor: 2,
      minTimeout: policy.minDelayMs,
      maxTimeout: policy.maxDelayMs,
      randomize: true,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !(error instanceof CloudError)) return;
        const waitMs = serverRequestedWaitMs(error);
        // p-retry adds its own back-off after this; leave room for it and one more attempt. The
        // service's own error is the one worth reporting, so it is what ends the retries.
        if (budget.remainingMs() - waitMs - policy.maxDelayMs < MIN_ATTEMPT_MS) throw error;
        onRetry?.({ api, attempt: attemptNumber, retriesLeft, waitMs, error });
        if (waitMs > 0) await sleep(waitMs);
      },
    },
  );
}

function serverRequestedWaitMs(error: CloudError): number {
  if (!(error instanceof ApiError)) return 0;
  if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds * 1000;
  return error.throttled ? THROTTLE_MIN_WAIT_MS + Math.floor(Math.random() * THROTTLE_JITTER_MS) : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses a `Retry-After` header (seconds or an HTTP date); bounded so a hostile value cannot stall us. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : (Date.parse(value) - now) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(Math.ceil(seconds), 0), 60);
}
