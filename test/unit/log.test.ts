import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';

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
});
