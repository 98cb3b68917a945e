import { describe, expect, it } from 'vitest';
import { CredentialsError, resolveCredentials } from '../../lib/huaweicloud/credentials.js';

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
