import { describe, expect, it } from 'vitest';
import { CredentialsError, resolveCredentials } from '../../lib/huaweicloud/credentials.js';
import { ObsStore } from '../../lib/huaweicloud/obs.js';

describe('resolveCredentials', () => {
  it("prefers the agency's temporary credentials from the FunctionGraph context", () => {
    const context = { getSecurityAccessKey: () => 'TMPAK', getSecuritySecretKey: () => 'tmpsk', getSecurityToken: () => 'token' };
    expect(resolveCredentials(context, { HUAWEICLOUD_SDK_AK: 'ENVAK', HUAWEICLOUD_SDK_SK: 'envsk' })).toEqual({ ak: 'TMPAK', sk: 'tmpsk', securityToken: 'token' });
  });

  it('falls back to the SDK environment variables when the function has no agency', () => {
    const noAgency = { getSecurityAccessKey: () => '', getSecuritySecretKey: () => '', getSecurityToken: () => '' };
    expect(resolveCredentials(noAgency, { HUAWEICLOUD_SDK_AK: 'ENVAK', HUAWEICLOUD_SDK_SK: 'envsk' })).toEqual({ ak: 'ENVAK', sk: 'envsk' });
    expect(resolveCredentials(undefined, { HUAWEICLOUD_SDK_AK: 'ENVAK', HUAWEICLOUD_SDK_SK: 'envsk', HUAWEICLOUD_SDK_SECURITY_TOKEN: 't' })).toEqual({ ak: 'ENVAK', sk: 'envsk', securityToken: 't' });
  });

  it('says what is missing, and never prints a key', () => {
    expect(() => resolveCredentials(undefined, { HUAWEICLOUD_SDK_AK: 'ENVAK' })).toThrow(CredentialsError);
    expect(() => resolveCredentials(undefined, { HUAWEICLOUD_SDK_AK: 'ENVAK' })).toThrow(/HUAWEICLOUD_SDK_AK \/ HUAWEICLOUD_SDK_SK are not set/);
    try {
      resolveCredentials(undefined, { HUAWEICLOUD_SDK_AK: 'ENVAK' });
    } catch (error) {
      expect((error as Error).message).not.toContain('ENVAK');
    }
  });
});

describe('credentials a header cannot carry', () => {
  const env = (extra: Record<string, string>) => ({ HUAWEICLOUD_SDK_AK: 'ENVAK', HUAWEICLOUD_SDK_SK: 'envsk', ...extra });

  it.each([
    ['HUAWEICLOUD_SDK_SECURITY_TOKEN', { HUAWEICLOUD_SDK_SECURITY_TOKEN: 'tok\r\nen' }, /HUAWEICLOUD_SDK_SECURITY_TOKEN holds a carriage return \(CR\) at position 4/],
    ['HUAWEICLOUD_SDK_AK', { HUAWEICLOUD_SDK_AK: 'AK\nAK' }, /HUAWEICLOUD_SDK_AK holds a line feed \(LF\) at position 3/],
    ['HUAWEICLOUD_SDK_SK', { HUAWEICLOUD_SDK_SK: 'sk\u0000sk' }, /HUAWEICLOUD_SDK_SK holds a control character at position 3/],
    ['HUAWEICLOUD_SDK_AK', { HUAWEICLOUD_SDK_AK: 'AK\u20acAK' }, /HUAWEICLOUD_SDK_AK holds a character outside Latin-1 at position 3/],
  ])('%s is refused, named, never shown', (_name, extra, message) => {
    let error: unknown;
    try {
      resolveCredentials(undefined, env(extra));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(message);
    for (const value of Object.values(extra)) expect((error as Error).message).not.toContain(value);
  });

  it("names the agency's credential when it came from the context", () => {
    const context = { getSecurityAccessKey: () => 'TMPAK', getSecuritySecretKey: () => 'tmpsk', getSecurityToken: () => 'a\nb' };
    expect(() => resolveCredentials(context, {})).toThrow(/the agency's security token \(context\.getSecurityToken\(\)\)/);
  });

  it('accepts tabs and Latin-1, which node:http sends as they are', () => {
    expect(resolveCredentials(undefined, env({ HUAWEICLOUD_SDK_SECURITY_TOKEN: 'a\tb\u00e9c' })).securityToken).toBe('a\tb\u00e9c');
  });
});

describe('checkHeaderSafe in the clients', () => {
  it('lets an OBS call fail with the credential named instead of Node throwing inside the SDK', async () => {
    const store = new ObsStore({
      endpoint: 'http://127.0.0.1:9',
      bucket: 'state',
      credentials: { ak: 'AK', sk: 'sk', securityToken: 'a\r\nb' },
      budget: { remainingMs: () => 10_000 },
    });
    await expect(store.get('key')).rejects.toThrow(/Credential the security token holds a carriage return/);
  });
});
