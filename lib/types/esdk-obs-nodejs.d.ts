// The parts of esdk-obs-nodejs (which ships no types) that this project uses.
declare module 'esdk-obs-nodejs' {
  interface ObsClientOptions {
    access_key_id: string;
    secret_access_key: string;
    security_token?: string;
    server: string;
    path_style?: boolean;
    signature?: 'obs' | 'v2' | 'v4';
    is_signature_negotiation?: boolean;
    /** Seconds. */
    timeout?: number;
    max_retry_count?: number;
    /** The agent for http:// endpoints; without one (and without long_conn_param) every request opens a new connection. */
    http_agent?: import('node:http').Agent;
    /** The agent for https:// endpoints; the SDK uses it instead of http_agent there, and builds none by default. */
    https_agent?: import('node:https').Agent;
    /**
     * Whether https peers are verified: the SDK's default is false (its request options say
     * `rejectUnauthorized: this.sslVerify || false`). A path to a CA file is read as the only CA.
     */
    ssl_verify?: boolean | string;
  }
  /** Every call takes it: called with the ClientRequest before it is sent. */
  interface Hooked {
    RequestHook?: (request: import('node:http').ClientRequest) => void;
  }
  interface CommonMsg {
    Status: number;
    Code?: string;
    Message?: string;
    RequestId?: string;
  }
  interface ObsResult<T = Record<string, unknown>> {
    CommonMsg: CommonMsg;
    InterfaceResult?: T;
  }
  class ObsClient {
    constructor(options: ObsClientOptions);
    /** With `SaveAsStream`, `Content` is the response stream (a Readable) rather than the whole body. */
    getObject(params: Hooked & { Bucket: string; Key: string; SaveAsStream?: boolean }): Promise<ObsResult<{ Content?: string | Buffer | NodeJS.ReadableStream; ETag?: string; ContentLength?: string }>>;
    /** A stream body is piped; `ContentLength` (decimal) is then sent as Content-Length. */
    putObject(params: Hooked & { Bucket: string; Key: string; Body: string | NodeJS.ReadableStream; ContentLength?: string; ContentType?: string }): Promise<ObsResult<{ ETag?: string; VersionId?: string }>>;
    getObjectMetadata(params: Hooked & { Bucket: string; Key: string }): Promise<ObsResult<{ ETag?: string }>>;
    deleteObject(params: Hooked & { Bucket: string; Key: string }): Promise<ObsResult>;
    listObjects(params: Hooked & { Bucket: string; Prefix?: string; Marker?: string; MaxKeys?: number }): Promise<
      ObsResult<{ IsTruncated?: string | boolean; NextMarker?: string; Contents?: { Key: string; LastModified?: string; Size?: string | number; ETag?: string }[] }>
    >;
    close(): void;
  }
  export = ObsClient;
}
