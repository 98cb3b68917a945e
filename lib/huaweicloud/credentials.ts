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

// What node:http accepts in a header value (its checkInvalidHeaderChar): tab, printable ASCII and
// the rest of Latin-1. Anything else (CR, LF, other controls, characters past U+00FF) makes Node
// throw ERR_INVALID_CHAR while building the request, inside the OBS SDK out of reach of any catch.
const HEADER_UNSAFE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Fails with one line naming the credential (never its value) when a credential holds a character
 * an HTTP header cannot carry. The AK and the token travel in headers; the SK is held to the same
 * rule, since no real secret key has such a character and a pasted one is better refused at start.
 */
export function checkHeaderSafe(credentials: Credentials, names: Record<keyof Credentials, string>): Credentials {
  for (const field of ['ak', 'sk', 'securityToken'] as const) {
    const value = credentials[field];
    const at = value === undefined ? -1 : value.search(HEADER_UNSAFE);
    if (at < 0) continue;
    const code = value!.codePointAt(at)!;
    const what = code === 0x0d ? 'a carriage return (CR)' : code === 0x0a ? 'a line feed (LF)' : code > 0xff ? 'a character outside Latin-1' : 'a control character';
    throw new CredentialsError(
      `Credential ${names[field]} holds ${what} at position ${at + 1}, which an HTTP header cannot carry; no request was made: set it again without it`,
    );
  }
  return credentials;
}

/** For a client handed credentials directly: a second guard, so no client can throw Node's error past the run. */
export const CREDENTIAL_NAMES = { ak: 'the access key (AK)', sk: 'the secret key (SK)', securityToken: 'the security token' };
const CONTEXT_NAMES = { ak: "the agency's access key (context.getSecurityAccessKey())", sk: "the agency's secret key (context.getSecuritySecretKey())", securityToken: "the agency's security token (context.getSecurityToken())" };
const ENV_NAMES = { ak: 'HUAWEICLOUD_SDK_AK', sk: 'HUAWEICLOUD_SDK_SK', securityToken: 'HUAWEICLOUD_SDK_SECURITY_TOKEN' };

/**
 * The function's agency gives temporary credentials through the context; without an agency those
 * methods return empty strings, and the SDK's environment variables are the fallback (the CLI and
 * local runs use them). Either way they are checked for what a header cannot carry.
 */
export function resolveCredentials(context: CredentialContext | undefined, env: NodeJS.ProcessEnv = process.env): Credentials {
  const ak = context?.getSecurityAccessKey?.()?.trim();
  const sk = context?.getSecuritySecretKey?.()?.trim();
  if (ak && sk) {
    const token = context?.getSecurityToken?.()?.trim();
    return checkHeaderSafe(token ? { ak, sk, securityToken: token } : { ak, sk }, CONTEXT_NAMES);
  }
  const envAk = env.HUAWEICLOUD_SDK_AK?.trim();
  const envSk = env.HUAWEICLOUD_SDK_SK?.trim();
  if (!envAk || !envSk) {
    throw new CredentialsError(
      'No credentials: the function has no agency (context.getSecurityAccessKey() is empty) and HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK are not set',
    );
  }
  const envToken = env.HUAWEICLOUD_SDK_SECURITY_TOKEN?.trim();
  return checkHeaderSafe(envToken ? { ak: envAk, sk: envSk, securityToken: envToken } : { ak: envAk, sk: envSk }, ENV_NAMES);
}
