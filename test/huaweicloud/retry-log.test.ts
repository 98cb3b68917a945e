import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from '../../lib/huaweicloud/errors.js';
import { retryLogger, THROTTLE_BURST_GAP_MS } from '../../lib/huaweicloud/retry-log.js';

const throttled = (api: string) => new ApiError(api, 400, 'EndPoint.0022', 'The number of requests exceeded the limit', 'req-1');
const notice = (api: string, error: ApiError | NetworkError) => ({ api, attempt: 1, retriesLeft: 2, waitMs: 2_000, error });

describe('retryLogger', () => {
  it('logs throttling once per burst and per service, and every other failure each time', () => {
    const lines: string[] = [];
    let now = 0;
    const log = retryLogger({ warn: ((_: unknown, message: string) => void lines.push(message)) as never }, () => now);
    for (let i = 0; i < 12; i++) log(notice('vpcep:connections:list', throttled('vpcep:connections:list')));
    log(notice('smn:topic:publish', new ApiError('smn:topic:publish', 429, 'APIGW.0308', undefined, undefined)));
    log(notice('vpcep:connections:list', new NetworkError('vpcep:connections:list failed: reset', 'vpcep:connections:list')));
    log(notice('vpcep:connections:list', new NetworkError('vpcep:connections:list failed: reset', 'vpcep:connections:list')));
    expect(lines.filter((line) => line.startsWith('vpcep is throttling'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('smn is throttling'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('attempt 1 failed'))).toHaveLength(2);
    // Throttled retries keep a burst open; a quiet gap ends it.
    now += THROTTLE_BURST_GAP_MS - 1;
    log(notice('vpcep:connections:list', throttled('vpcep:connections:list')));
    now += THROTTLE_BURST_GAP_MS;
    log(notice('vpcep:connections:list', throttled('vpcep:connections:list')));
    expect(lines.filter((line) => line.startsWith('vpcep is throttling'))).toHaveLength(2);
  });
});
