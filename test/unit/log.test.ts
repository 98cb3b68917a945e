import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { ApiError, NetworkError } from '../../lib/huaweicloud/errors.js';
import { createLogger } from '../../lib/log.js';
import { ScanError } from '../../lib/monitor/errors.js';

const logged = (level: 'info' | 'debug', err: Error): { stack?: string; type: string; cause?: { stack?: string; message: string } } => {
  let out = '';
  const sink = new Writable({ write(chunk, _encoding, done) { out += String(chunk); done(); } });
  createLogger(level, sink as never).error({ err }, 'failed');
  return JSON.parse(out).err;
};
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });

describe('createLogger', () => {
  it('redacts credentials wherever a call site puts them', () => {
    let out = '';
    const sink = Object.assign(new Writable({ write(chunk, _encoding, done) { out += String(chunk); done(); } }), {});
    const logger = createLogger('info', sink as never);
    logger.info({ ak: 'AKVALUE', sk: 'SKVALUE', securityToken: 'TOKENVALUE', credentials: { ak: 'AK2', sk: 'SK2' }, request: { headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK3, Signature=SIG', 'X-Security-Token': 'TOKEN2' } } }, 'hello');
    for (const secret of ['AKVALUE', 'SKVALUE', 'TOKENVALUE', 'AK2', 'SK2', 'AK3', 'SIG', 'TOKEN2']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
    expect(JSON.parse(out)).toMatchObject({ level: 'info', msg: 'hello' });
  });

  it('logs errors with their cause chain', () => {
    let out = '';
    const sink = new Writable({ write(chunk, _encoding, done) { out += String(chunk); done(); } });
    createLogger('info', sink as never).error({ err: new Error('outer', { cause: new Error('inner') }) }, 'failed');
    expect(JSON.parse(out).err).toMatchObject({ message: expect.stringContaining('outer'), cause: { message: 'inner' } });
  });

  it('logs expected failures without stack traces, their transport causes included', () => {
    const network = logged('info', new NetworkError('vpcep:connections:list failed: could not connect', 'vpcep:connections:list', { cause: new TypeError('fetch failed', { cause: refused() }) }));
    expect(JSON.stringify(network)).not.toContain('"stack"');
    expect(network).toMatchObject({ type: 'NetworkError', cause: { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } } });
    expect(logged('info', new ApiError('smn:topic:publish', 404, 'SMN.0006', 'Topic not found.', 'r1')).stack).toBeUndefined();
    expect(logged('info', new ConfigError('LOG_LEVEL', 'Setting LOG_LEVEL is bad')).stack).toBeUndefined();
  });

  it('keeps the stack of a programming error, even inside an expected one', () => {
    expect(logged('info', new TypeError("Cannot read properties of undefined (reading 'id')")).stack).toContain('log.test.ts');
    const scan = logged('info', new ScanError('svc', 'could not be read', { cause: new TypeError('bug') }));
    expect(scan.stack).toBeUndefined();
    expect(scan.cause?.stack).toContain('TypeError: bug');
  });

  it('logs every stack at debug', () => {
    expect(logged('debug', new NetworkError('failed', 'vpcep:connections:list', { cause: refused() })).stack).toContain('NetworkError: failed');
  });
});
