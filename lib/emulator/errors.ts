/**
 * The one error class of the local cloud. A handler throws it to answer with a service error; each
 * service renders it in its own body shape (VPCEP flat or nested JSON in vpcep.ts, SMN JSON with
 * `request_id` in smn.ts, OBS XML in obs-responses.ts). Anything else thrown is an emulator bug
 * and answers 500 EMULATOR.BUG.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';

  constructor(
    /** The HTTP status to answer with. */
    readonly status: number,
    /** The service's error code, e.g. `EndPoint.0010`, `SMN.0006`, `NoSuchKey`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
