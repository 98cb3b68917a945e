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
