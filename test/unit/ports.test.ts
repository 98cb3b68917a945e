import { describe, expect, it } from 'vitest';
import { callFailure } from '../../lib/monitor/ports.js';

describe('callFailure', () => {
  it('reads the status, code and request id an adapter error carries, with its message', () => {
    const error = Object.assign(new Error('smn:topic:publish failed: HTTP 400 SMN.0021'), { status: 400, code: 'SMN.0021', requestId: 'req-1' });
    expect(callFailure(error)).toEqual({ status: 400, code: 'SMN.0021', requestId: 'req-1', message: 'smn:topic:publish failed: HTTP 400 SMN.0021' });
  });

  it('leaves out what is missing, empty or of the wrong type, rather than guess', () => {
    expect(callFailure(new Error('socket hang up'))).toEqual({ message: 'socket hang up' });
    expect(callFailure(Object.assign(new Error('x'), { status: '400', code: '', requestId: '' }))).toEqual({ message: 'x' });
    expect(callFailure(Object.assign(new Error('x'), { code: 7, requestId: 7 }))).toEqual({ message: 'x' });
  });

  it('reads a thrown value that is not an Error, or nothing at all', () => {
    expect(callFailure({ status: 503, message: 'ignored' })).toEqual({ status: 503, message: '[object Object]' });
    expect(callFailure('plain text')).toEqual({ message: 'plain text' });
    expect(callFailure(null)).toEqual({ message: 'null' });
    expect(callFailure(undefined)).toEqual({ message: 'undefined' });
  });
});
