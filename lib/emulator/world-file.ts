/**
 * Where `vpcep-monitor emulator --data-dir DIR` keeps the local cloud: one JSON file,
 * `DIR/local-cloud.json`, replaced atomically (written beside it, then renamed over it), so a
 * crash or a Ctrl+C mid-write leaves the previous world, never half of one.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWorldSnapshot, type WorldSnapshot } from './world-snapshot.js';

const WORLD_FILE_NAME = 'local-cloud.json';

export function worldFilePath(directory: string): string {
  return join(directory, WORLD_FILE_NAME);
}

/** The world saved in `directory`, or undefined when there is none yet. */
export async function loadWorld(directory: string): Promise<WorldSnapshot | undefined> {
  const path = worldFilePath(directory);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseWorldSnapshot(text, path);
}

export async function saveWorld(directory: string, world: WorldSnapshot): Promise<void> {
  await mkdir(directory, { recursive: true });
  const path = worldFilePath(directory);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(world), { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot save the local cloud to ${path}: ${(error as Error).message}`);
  }
}

const SESSION_FILE_NAME = 'local-cloud-session.json';

/**
 * What a restart needs to keep the exports the person pasted valid: the keys, the five ports and
 * the console's port and token. Beside the world, readable only by its owner; the keys are the
 * local cloud's own (never real ones: the emulator makes them).
 */
export interface LocalSession {
  ak: string;
  sk: string;
  ports: number[];
  controlPort: number;
  controlToken: string;
}

export function sessionFilePath(directory: string): string {
  return join(directory, SESSION_FILE_NAME);
}

/** The session saved in `directory`, or undefined when there is none or it is not one (a new session is made then). */
export async function loadSession(directory: string): Promise<LocalSession | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(sessionFilePath(directory), 'utf8'));
  } catch {
    return undefined;
  }
  const session = value as Partial<LocalSession>;
  const port = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 65_536;
  if (typeof session.ak !== 'string' || !/^LOCAL[0-9A-F]{16}$/.test(session.ak) || typeof session.sk !== 'string' || !/^[0-9a-f]{40}$/.test(session.sk)) return undefined;
  // A session of an older local cloud (four listeners, no CTS) is not one: new ports, new exports.
  if (!Array.isArray(session.ports) || session.ports.length !== 5 || !session.ports.every(port) || !port(session.controlPort)) return undefined;
  if (typeof session.controlToken !== 'string' || !/^[0-9a-f]{32}$/.test(session.controlToken)) return undefined;
  return { ak: session.ak, sk: session.sk, ports: session.ports, controlPort: session.controlPort, controlToken: session.controlToken };
}

export async function saveSession(directory: string, session: LocalSession): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(sessionFilePath(directory), JSON.stringify(session), { mode: 0o600 });
}
