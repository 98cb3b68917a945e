/**
 * Cloud Eye (CES) custom metrics: `POST /V1.0/{project_id}/metric-data`, signed like every other
 * call. The body is a JSON array of data; Cloud Eye takes at most 512 KB per request, so a large
 * project's metrics go in several requests. It answers 201 with an empty body.
 */
import { inBatches } from '../batches.js';
import { IAM_ACTIONS } from './iam-actions.js';
import type { SignedClient } from './signed-client.js';

/** One metric as the monitor hands it over (the `Metric` of `lib/monitor/metrics.ts`). */
export interface MetricInput {
  name: string;
  dimension: { name: string; value: string };
  value: number;
  unit: string;
}

/** "512 KB", read as the smaller 512,000 bytes. */
export const CES_REQUEST_MAX_BYTES = 512_000;
/** How long Cloud Eye keeps each datum: its longest, a week, so a dashboard can look back. */
const TTL_SECONDS = 604_800;

/** The metric-data call of the monitor's `MetricsSink` port (`lib/monitor/ports.ts`). */
export class CesClient {
  constructor(
    private readonly client: SignedClient,
    private readonly projectId: string,
  ) {}

  async send(namespace: string, metrics: readonly MetricInput[], at: Date): Promise<void> {
    // The body is `[` + the data joined by `,` + `]`: two bytes, and each datum with its comma.
    const data = metrics.map((metric) => datum(namespace, metric, at));
    for (const batch of inBatches(data, (item) => Buffer.byteLength(JSON.stringify(item), 'utf8') + 1, CES_REQUEST_MAX_BYTES - 2)) {
      await this.client.request({
        api: IAM_ACTIONS.putMetricData,
        method: 'POST',
        path: `/V1.0/${this.projectId}/metric-data`,
        body: batch,
        emptyResponse: true,
      });
    }
  }
}

function datum(namespace: string, metric: MetricInput, at: Date): Record<string, unknown> {
  return {
    metric: { namespace, metric_name: metric.name, dimensions: [{ name: metric.dimension.name, value: metric.dimension.value }] },
    ttl: TTL_SECONDS,
    collect_time: at.getTime(),
    value: metric.value,
    unit: metric.unit,
    type: Number.isInteger(metric.value) ? 'int' : 'float',
  };
}
