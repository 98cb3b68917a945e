import { describe, expect, it } from 'vitest';
import { MonitorError, OverlapError, ScanError, ScanPostponedError, StateFormatError } from '../../lib/monitor/errors.js';

describe('the monitor\'s errors', () => {
  it('say their own name, which the logs and FunctionGraph show, and keep their cause', () => {
    const cause = new Error('HTTP 503');
    const errors = [new MonitorError('m'), new ScanError('svc-1', 'm', { cause }), new ScanPostponedError('svc-1', 'm'), new StateFormatError('m'), new OverlapError('m')];
    expect(errors.map((error) => error.name)).toEqual(['MonitorError', 'ScanError', 'ScanPostponedError', 'StateFormatError', 'OverlapError']);
    expect(errors.every((error) => error instanceof MonitorError)).toBe(true);
    expect(errors[1]!.cause).toBe(cause);
  });

  it('name the service a scan failed on, in the message and as a field', () => {
    const error = new ScanPostponedError('svc-1', 'not scanned');
    expect(error).toBeInstanceOf(ScanError);
    expect(error.message).toBe('service svc-1: not scanned');
    expect(error.serviceId).toBe('svc-1');
  });
});
