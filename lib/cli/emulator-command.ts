/**
 * `vpcep-monitor emulator`: the local Huawei Cloud for a person to play with. It prints the
 * environment that points the CLI at it, prints every SMN message as subscribers read it, takes
 * console commands at its own prompt and from a second terminal (`vpcep-monitor emulator VERB …`),
 * and with --data-dir keeps its world across restarts.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { closest } from '../config-values.js';
import { CONSOLE_HELP, CONSOLE_VERBS, runConsoleCommand, splitWords, type ConsoleResult } from '../emulator/console-commands.js';
import { ConsoleControl, sendConsoleCommand } from '../emulator/console-control.js';
import { LocalCloud } from '../emulator/index.js';
import { subscriberView } from '../emulator/subscriber-view.js';
import { loadSession, loadWorld, saveSession, saveWorld, worldFilePath } from '../emulator/world-file.js';
import { LOCAL_CLI } from '../text.js';
import { type Io, UsageError } from './command.js';

export interface EmulatorOptions {
  port?: string | undefined;
  seed?: string | undefined;
  dataDir?: string | undefined;
  /** A console command for a running emulator, e.g. ['add-pending', 'local-service']. */
  words: string[];
}

const TOPIC = 'vpcep-alerts';
const BUCKET = 'vpcep-monitor-local';
const SERVICE = 'local-service';
const DEFAULT_SEED = 27;
const MAX_SEED = 100_000;
/** VPCEP, SMN, OBS, Cloud Eye and CTS listen on N to N+4. */
const LISTENERS = 5;
const MAX_BASE_PORT = 65_535 - (LISTENERS - 1);
const SAVE_EVERY_MS = 2_000;

export async function emulatorCommand(options: EmulatorOptions, io: Io, input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<number> {
  if (options.words.length > 0) {
    if (options.port !== undefined || options.seed !== undefined || options.dataDir !== undefined) {
      throw new UsageError(`--port, --seed and --data-dir start a local cloud; they do not go with the command "${options.words[0]}"`);
    }
    return remote(options.words, io);
  }
  return serve(parsePort(options.port), options.seed === undefined ? undefined : parseSeed(options.seed), options.dataDir, io, input);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const port = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new UsageError(`--port must be a port number from 1 to ${MAX_BASE_PORT}, got "${raw.slice(0, 40)}"`);
  if (port > MAX_BASE_PORT) {
    throw new UsageError(`--port ${port} leaves no room: the local cloud listens on ${LISTENERS} ports from N (VPCEP, SMN, OBS, Cloud Eye, CTS), so N must be at most ${MAX_BASE_PORT}`);
  }
  return port;
}

function parseSeed(raw: string): number {
  const seed = /^[0-9]{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(seed >= 0 && seed <= MAX_SEED)) throw new UsageError(`--seed must be a number of connections from 0 to ${MAX_SEED}, got "${raw.slice(0, 40)}"`);
  return seed;
}

/** The second terminal: one command sent to the running emulator. */
async function remote(words: string[], io: Io): Promise<number> {
  if (words[0] === 'help') {
    io.stdout.write(`${CONSOLE_HELP}\n`);
    return 0;
  }
  if (!(CONSOLE_VERBS as readonly string[]).includes(words[0]!)) {
    const likely = closest(words[0]!, CONSOLE_VERBS);
    throw new UsageError(`unknown emulator command "${words[0]!.slice(0, 40)}"${likely === undefined ? '' : ` (did you mean ${likely}?)`}; commands: ${CONSOLE_VERBS.join(', ')}`);
  }
  const control = io.env.VPCEP_EMULATOR_CONTROL;
  if (control === undefined || control === '') {
    throw new Error(`VPCEP_EMULATOR_CONTROL is not set: start "${LOCAL_CLI} emulator" in another terminal and run the export lines it prints`);
  }
  const result = await sendConsoleCommand(control, words);
  (result.ok ? io.stdout : io.stderr).write(`${result.output}\n`);
  return result.ok ? 0 : result.usage ? 2 : 1;
}

async function serve(port: number, seed: number | undefined, dataDir: string | undefined, io: Io, input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<number> {
  const world = dataDir === undefined ? undefined : await loadWorld(dataDir);
  // A restart keeps what the exports printed last time say: the keys, the ports and the console URL.
  const session = world === undefined || dataDir === undefined ? undefined : await loadSession(dataDir);
  const notes: string[] = [];
  if (world !== undefined && seed !== undefined) {
    notes.push(`--seed ${seed} ignored: ${worldFilePath(dataDir ?? '')} already holds a world, and this start carries it on (remove that file to start afresh).`);
  }
  const credentials = session ? { ak: session.ak, sk: session.sk } : localCredentials(io.env);
  const region = world ? { region: world.region, projectId: world.projectId } : {};
  // --port asks for ports of its own; otherwise those of the last start, if they are still free.
  const keptPorts = port === 0 ? session?.ports : undefined;
  let moved = false;
  const cloud = await LocalCloud.start({ credentials: [credentials], port, ...(keptPorts ? { ports: keptPorts } : {}), ...region }).catch(async (error: unknown) => {
    if (keptPorts === undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    moved = true;
    return LocalCloud.start({ credentials: [credentials], port: 0, ...region });
  });
  let origin: string;
  if (world !== undefined) {
    cloud.importWorld(world);
    const connections = world.services.reduce((sum, service) => sum + service.connections.length, 0);
    origin = `World loaded from ${worldFilePath(dataDir ?? '')}: ${world.services.length} service(s), ${connections} connection(s).`;
  } else {
    const count = seed ?? DEFAULT_SEED;
    const service = cloud.addService({ name: SERVICE });
    const pending = Math.min(2, count);
    cloud.addConnections(service.id, count - pending);
    cloud.addConnections(service.id, pending, { status: 'pendingAcceptance' });
    origin = `New world: ${SERVICE} with ${count} connection(s), ${pending} of them pendingAcceptance.`;
  }
  const topicUrn = cloud.createTopic(TOPIC);
  cloud.createBucket(BUCKET);

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const persist = async (): Promise<void> => {
    if (dataDir !== undefined) await saveWorld(dataDir, cloud.exportWorld());
  };
  let dirty = false;
  const execute = (words: string[]): ConsoleResult => {
    const result = runConsoleCommand(cloud, words);
    if (result.ok) dirty = true;
    if (result.quit) stop();
    return result;
  };
  let control = new ConsoleControl(execute, session?.controlToken);
  const controlUrl = await control.start(session?.controlPort ?? 0).catch(async (error: unknown) => {
    if (session === undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    moved = true;
    control = new ConsoleControl(execute);
    return control.start();
  });
  if (dataDir !== undefined) {
    const ports = [cloud.endpoints.vpcep, cloud.endpoints.smn, cloud.endpoints.obs, cloud.endpoints.ces, cloud.endpoints.cts].map((endpoint) => Number(new URL(endpoint).port));
    await saveSession(dataDir, { ...credentials, ports, controlPort: Number(new URL(controlUrl).port), controlToken: new URL(controlUrl).pathname.split('/')[1] ?? '' });
  }
  if (world !== undefined) {
    notes.push(session !== undefined && !moved
      ? 'Same keys and ports as before: the exports it printed last time still work.'
      : 'Its keys or ports changed since the last start: paste the export lines below again.');
  }

  const prompt = input.isTTY === true;
  const lines = createInterface({ input, output: prompt ? (io.stdout as NodeJS.WritableStream) : undefined, terminal: prompt });
  lines.setPrompt('local-cloud> ');
  const unsubscribe = cloud.onPublish((message) => {
    io.stdout.write(`\n${subscriberView(message)}\n`);
    if (prompt) lines.prompt(true);
  });
  // The client only sees 401 APIGW.0301 (or OBS's 403), as from the real gateway; the reason is here.
  const unsubscribeRefusals = cloud.onAuthFailure((call) => {
    io.stderr.write(`refused ${call.method} ${call.path.slice(0, 200)} (${call.service}, HTTP ${call.status}): ${call.authFailure ?? 'authentication failed'}\n`);
  });

  io.stdout.write(
    [
      `Local Huawei Cloud running: VPCEP, SMN, OBS, Cloud Eye and CTS on 127.0.0.1 (Ctrl+C or "quit" stops it).`,
      origin,
      ...notes,
      dataDir === undefined ? 'Nothing is kept after it stops (--data-dir DIR keeps it).' : `Its world is kept in ${worldFilePath(dataDir)}.`,
      'Point the CLI at it, here or in another terminal, with:',
      `export HUAWEICLOUD_SDK_AK=${credentials.ak}`,
      `export HUAWEICLOUD_SDK_SK=${credentials.sk}`,
      `export HUAWEICLOUD_PROJECT_ID=${cloud.projectId}`,
      `export OBS_BUCKET=${BUCKET}`,
      `export SMN_TOPIC_URN=${topicUrn}`,
      `export VPCEP_ENDPOINT=${cloud.endpoints.vpcep}`,
      `export SMN_ENDPOINT=${cloud.endpoints.smn}`,
      `export OBS_ENDPOINT=${cloud.endpoints.obsHost}`,
      `export CES_ENDPOINT=${cloud.endpoints.ces}`,
      `export CTS_ENDPOINT=${cloud.endpoints.cts}`,
      `export VPCEP_EMULATOR_CONTROL=${controlUrl}`,
      `Type "help" for the commands that change the world (or run "${LOCAL_CLI} emulator help").`,
      'Every message SMN receives is printed here as its subscribers read it.',
      '',
    ].join('\n'),
  );

  lines.on('line', (line) => {
    const result = execute(splitWords(line));
    if (result.output !== '') io.stdout.write(`${result.output}\n`);
    if (prompt && !result.quit) lines.prompt();
  });
  // At a terminal, Ctrl+C and Ctrl+D end the session; a closed pipe (e.g. started in the
  // background) leaves the cloud running for the second terminal.
  lines.on('SIGINT', () => stop());
  lines.on('close', () => {
    if (prompt) stop();
  });
  if (prompt) lines.prompt();
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());

  // API calls that changed something (a state PUT, an accept) mark the world for saving too.
  const timer = setInterval(() => {
    if (cloud.calls.some((call) => call.method !== 'GET' && call.method !== 'HEAD' && call.status >= 200 && call.status < 300)) dirty = true;
    cloud.resetCalls();
    if (dirty) {
      dirty = false;
      persist().catch((error: unknown) => io.stderr.write(`error: ${(error as Error).message}\n`));
    }
  }, SAVE_EVERY_MS);

  await stopped;
  clearInterval(timer);
  unsubscribe();
  unsubscribeRefusals();
  lines.close();
  await control.stop();
  await cloud.stop();
  await persist();
  if (dataDir !== undefined) io.stdout.write(`Saved the local cloud to ${worldFilePath(dataDir)}.\n`);
  return 0;
}

/**
 * The keys the local cloud accepts, which it prints. A shell that already points at a local cloud
 * (its own keys start with LOCAL) keeps them across a restart; real keys in the environment are
 * never reused, since they would be printed.
 */
function localCredentials(env: NodeJS.ProcessEnv): { ak: string; sk: string } {
  const { HUAWEICLOUD_SDK_AK: ak, HUAWEICLOUD_SDK_SK: sk } = env;
  if (ak?.startsWith(LOCAL_KEY_PREFIX) && sk) return { ak, sk };
  return { ak: `${LOCAL_KEY_PREFIX}${randomBytes(8).toString('hex').toUpperCase()}`, sk: randomBytes(20).toString('hex') };
}

const LOCAL_KEY_PREFIX = 'LOCAL';
