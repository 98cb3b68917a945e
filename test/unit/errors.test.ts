import { describe, expect, it } from 'vitest';
import { ChannelRefusedError, ForeignStateError, LeaseHeldError, MonitorError, OverlapError, RunIncompleteError, ScanError, ScanPostponedError, StateFormatError } from '../../lib/monitor/errors.js';

describe('the monitor\'s errors', () => {
  it('say their own name, which the logs and FunctionGraph show, and keep their cause', () => {
    const cause = new Error('HTTP 503');
    const errors = [
      new MonitorError('m'), new ScanError('svc-1', 'm', { cause }), new ScanPostponedError('svc-1', 'm'), new StateFormatError('m'),
      new RunIncompleteError('m', { failedServices: [], undelivered: 0 }), new OverlapError('m'), new ForeignStateError('m'), new LeaseHeldError('m', { failedServices: [], undelivered: 0 }), new ChannelRefusedError('m'),
    ];
    expect(errors.map((error) => error.name)).toEqual(['MonitorError', 'ScanError', 'ScanPostponedError', 'StateFormatError', 'RunIncompleteError', 'OverlapError', 'ForeignStateError', 'LeaseHeldError', 'ChannelRefusedError']);
    expect(errors.every((error) => error instanceof MonitorError)).toBe(true);
    expect(errors[1]!.cause).toBe(cause);
  });

  it('carry what an incomplete run did achieve', () => {
    const error = new RunIncompleteError('m', { failedServices: ['svc-1'], undelivered: 2 });
    expect(error).toMatchObject({ failedServices: ['svc-1'], undelivered: 2, summary: { failedServices: ['svc-1'], undelivered: 2 } });
  });

  it('name the service a scan failed on, in the message and as a field', () => {
    const error = new ScanPostponedError('svc-1', 'not scanned');
    expect(error).toBeInstanceOf(ScanError);
    expect(error.message).toBe('service svc-1: not scanned');
    expect(error.serviceId).toBe('svc-1');
  });
});
