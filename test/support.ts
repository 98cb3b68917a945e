/** Small helpers the tests share. */
import { createServer } from 'node:net';

/** The error `promise` rejects with; fails the test if it resolves or rejects with a non-Error. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(() => undefined, (error: unknown) => error);
  if (!(result instanceof Error)) throw new Error('expected the call to fail');
  return result;
}

/** A loopback port nothing listens on: bound once by us, then released. */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
