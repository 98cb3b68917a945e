/** An access key pair, temporary (with a security token) or permanent. */
export interface Credentials {
  readonly ak: string;
  readonly sk: string;
  readonly securityToken?: string;
}

/** The FunctionGraph context methods that hand out the agency's temporary credentials. */
export interface CredentialContext {
  getSecurityAccessKey?(): string | undefined;
  getSecuritySecretKey?(): string | undefined;
  getSecurityToken?(): string | undefined;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/**
 * The function's agency gives temporary credentials through the context; without an agency those
 * methods return empty strings, and the SDK's environment variables are the fallback (the CLI and
 * local runs use them).
 */
export function resolveCredentials(context: CredentialContext | undefined, env: NodeJS.ProcessEnv = process.env): Credentials {
  const ak = context?.getSecurityAccessKey?.()?.trim();
  const sk = context?.getSecuritySecretKey?.()?.trim();
  if (ak && sk) {
    const token = context?.getSecurityToken?.()?.trim();
    return token ? { ak, sk, securityToken: token } : { ak, sk };
  }
  const envAk = env.HUAWEICLOUD_SDK_AK?.trim();
  const envSk = env.HUAWEICLOUD_SDK_SK?.trim();
  if (!envAk || !envSk) {
    throw new CredentialsError(
      'No credentials: the function has no agency (context.getSecurityAccessKey() is empty) and HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK are not set',
    );
  }
  const envToken = env.HUAWEICLOUD_SDK_SECURITY_TOKEN?.trim();
  return envToken ? { ak: envAk, sk: envSk, securityToken: envToken } : { ak: envAk, sk: envSk };
}
