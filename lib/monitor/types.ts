/** The monitor's view of the cloud, independent of any API's spelling. */

/** One error a failed connection reports. */
export interface ConnectionError {
  code: string;
  message: string;
}

/** A consumer's VPC endpoint connected to one of our endpoint services. */
export interface Connection {
  /** The consumer's VPC endpoint id. */
  id: string;
  /** Any string VPCEP sends; unknown values are carried through, not rejected. */
  status: string;
  /** The consumer's account: written by another tenant, untrusted. */
  domainId: string;
  /** Set by the consumer: untrusted, bounded to the API's 512 characters. */
  description: string;
  updatedAt: string;
  errors: readonly ConnectionError[];
}

export interface EndpointService {
  id: string;
  name: string;
}
