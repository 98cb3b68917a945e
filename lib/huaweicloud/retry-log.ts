/**
 * What a retry says in the log. A failure worth retrying is one warning each; throttling is one
 * warning per burst: four pages in flight throttled together, each retried up to three times,
 * would otherwise be a dozen lines saying the same thing.
 */
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import type { RetryNotice } from './retry.js';

/** A throttled retry this long after the last one of its service starts a new burst (and a new line). */
export const THROTTLE_BURST_GAP_MS = 30_000;

export function retryLogger(logger: Pick<Logger, 'warn'>, now: () => number = Date.now): (notice: RetryNotice) => void {
  const lastThrottled = new Map<string, number>();
  return ({ api, attempt, retriesLeft, waitMs, error }) => {
    if (error instanceof ApiError && error.throttled) {
      const service = api.split(':')[0] ?? api;
      const last = lastThrottled.get(service);
      const at = now();
      lastThrottled.set(service, at);
      if (last !== undefined && at - last < THROTTLE_BURST_GAP_MS) return;
      logger.warn(
        { api, attempt, retriesLeft, waitMs, err: error },
        `${service} is throttling requests (${error.message}); backing off and retrying, further throttling in this burst is not logged`,
      );
      return;
    }
    logger.warn({ api, attempt, retriesLeft, waitMs, err: error }, `${api} attempt ${attempt} failed (${error.message}); retrying`);
  };
}
