/** Wires the real Huawei Cloud adapters behind the monitor's ports. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Budget } from './budget.js';
import { CesClient } from './ces.js';
import { CtsClient } from './cts.js';
import type { Credentials } from './credentials.js';
import { ObsStore } from './obs.js';
import type { RetryPolicy } from './retry.js';
import { retryLogger } from './retry-log.js';
import { SignedClient } from './signed-client.js';
import { SmnClient } from './smn.js';
import { VpcepClient } from './vpcep.js';

/**
 * `scan` bounds the VPCEP reads; `write` bounds OBS and SMN and ends later, so a run whose reads
 * ran long still has time to save its state and publish what it found.
 */
export interface Budgets {
  scan: Budget;
  write: Budget;
}

/**
 * At most ~6 s a call for what is best effort (a run's metrics, a CTS page): two attempts of 2.5 s
 * each and a short back-off.
 */
const BEST_EFFORT_RETRY_POLICY: RetryPolicy = { retries: 1, minDelayMs: 200, maxDelayMs: 1_000, requestTimeoutMs: 2_500 };

/**
 * `onThrottle` hears every throttled answer to the VPCEP reads (the scan's in-flight limit halves
 * on it); accept/reject and the other services are not paced by that limit, so they do not report.
 */
export function createAdapters(config: Config, credentials: Credentials, budgets: Budgets, logger: Logger, onThrottle?: (api: string) => void) {
  const onRetry = retryLogger(logger);
  const onSkipped = (count: number, first: string): void =>
    logger.warn({ skipped: count }, `cts:trace:list: ${count} trace(s) could not be read and were skipped (first: ${first})`);
  const client = (endpoint: string, budget: Budget, retry?: RetryPolicy) => new SignedClient({ endpoint, credentials, budget, onRetry, retry });
  const reads = new SignedClient({ endpoint: config.endpoints.vpcep, credentials, budget: budgets.scan, onRetry, onThrottle });
  return {
    vpcep: new VpcepClient(reads, config.projectId, client(config.endpoints.vpcep, budgets.write)),
    publisher: new SmnClient(client(config.endpoints.smn, budgets.write), config.projectId, config.smnTopicUrn),
    objects: new ObsStore({ endpoint: config.endpoints.obs, bucket: config.obsBucket, credentials, budget: budgets.write, onRetry }),
    // Metrics go last in a run, so they spend what is left of the write budget, never the reads',
    // and on a short leash of their own: figures are best effort, a hanging Cloud Eye is not worth
    // the rest of the invocation.
    ...(config.metricsNamespace === undefined ? {} : { metrics: new CesClient(client(config.endpoints.ces, budgets.write, BEST_EFFORT_RETRY_POLICY), config.projectId) }),
    // Who did it is asked after the reads, on the write budget like the metrics: a slow CTS costs
    // the names, never the state or the alerts' time.
    ...(config.ctsAttribution ? { cts: new CtsClient(client(config.endpoints.cts, budgets.write, BEST_EFFORT_RETRY_POLICY), config.projectId, { onSkipped }) } : {}),
  };
}
