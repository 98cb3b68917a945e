/**
 * The local cloud's console: one small command language to change the world by hand, typed at the
 * emulator's own prompt or sent from a second terminal (`vpcep-monitor emulator VERB …`). Every
 * command answers text; a mistake answers one line starting `error:` that says what was wrong.
 */
import { randomBytes } from 'node:crypto';
import { CONSOLE_USER, type LocalCloud } from './index.js';
import { vpcepThrottled } from './named-faults.js';
import { terminalSafe } from './subscriber-view.js';
import { ACTIONABLE_STATUSES, CONNECTION_STATUSES } from './vpcep.js';
import type { EmulatedConnection, EmulatedService } from './types.js';

export interface ConsoleResult {
  ok: boolean;
  output: string;
  /** The person asked to stop the local cloud. */
  quit?: boolean;
  /** The command itself was malformed (unknown verb, missing or extra words): the CLI exits 2. */
  usage?: boolean;
}

/** The verbs the console knows; the CLI refuses any other before looking for a running emulator. */
export const CONSOLE_VERBS = ['services', 'list', 'add-service', 'add-pending', 'accept', 'reject', 'fail', 'remove', 'approval', 'whitelist', 'traces', 'throttle', 'help', 'quit'] as const;

export const CONSOLE_HELP = [
  'Commands (SERVICE is a name or id; CONNECTION an id or a unique prefix of at least 4 characters):',
  '  services                                    endpoint services with their counts',
  '  list [SERVICE] [STATUS]                     connections (at most 100 rows)',
  '  add-service NAME                            a new endpoint service that needs approval',
  '  add-pending SERVICE [domain=ID] [TEXT...]   a consumer asks to connect (pendingAcceptance)',
  '  accept CONNECTION [--as NAME]              accept it as the API does (creating, then accepted);',
  `                                              CTS records NAME (default ${CONSOLE_USER}) doing it`,
  '  reject CONNECTION [--as NAME]               reject it, recorded in CTS the same way',
  '  fail CONNECTION [CODE [MESSAGE...]]         the endpoint fails (default EndPoint.0001)',
  '  remove CONNECTION                           the consumer deletes its endpoint',
  '  approval SERVICE on|off [--as NAME]         switch connection approval (approval_enabled)',
  '  whitelist SERVICE [add|remove DOMAIN|* ...] [--as NAME]',
  '                                              show or change who may connect (* = every account)',
  '  traces [SERVICE]                            the CTS traces of the last seven days, newest first',
  '  throttle [N]                                the next N VPCEP requests (default 1) answer 400 EndPoint.0022',
  '  help                                        this list',
  '  quit                                        stop the local cloud (keeping --data-dir)',
].join('\n');

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DOMAIN_ID = /^[0-9a-f]{32}$/;
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9]*\.[0-9]{4}$/;
const MAX_DESCRIPTION = 512;
const MAX_ROWS = 100;

/** A mistake in a command: its message is the whole answer. */
class ConsoleError extends Error {
  override readonly name: string = 'ConsoleError';
}

/** The command's words are wrong, whatever the world holds: a usage error. */
class ConsoleUsageError extends ConsoleError {
  override readonly name = 'ConsoleUsageError';
}

/** Splits a typed line into words; "double" or 'single' quotes keep spaces inside one word. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

export function runConsoleCommand(cloud: LocalCloud, words: readonly string[]): ConsoleResult {
  const [verb = '', ...args] = words;
  try {
    switch (verb) {
      case '':
        return { ok: true, output: '' };
      case 'help':
        return { ok: true, output: CONSOLE_HELP };
      case 'quit':
        return { ok: true, output: 'stopping the local cloud', quit: true };
      case 'services':
        return { ok: true, output: listServices(cloud) };
      case 'list':
        return { ok: true, output: listConnections(cloud, args) };
      case 'add-service':
        return { ok: true, output: addService(cloud, args) };
      case 'add-pending':
        return { ok: true, output: addPending(cloud, args) };
      case 'accept':
      case 'reject':
      case 'fail':
      case 'remove':
        return { ok: true, output: changeConnection(cloud, verb, args) };
      case 'approval':
        return { ok: true, output: approval(cloud, args) };
      case 'whitelist':
        return { ok: true, output: whitelist(cloud, args) };
      case 'traces':
        return { ok: true, output: traces(cloud, args) };
      case 'throttle':
        return { ok: true, output: throttle(cloud, args) };
      default:
        throw new ConsoleUsageError(`unknown command "${terminalSafe(verb)}"; commands: ${CONSOLE_VERBS.join(', ')}`);
    }
  } catch (error) {
    if (error instanceof ConsoleError) return { ok: false, output: `error: ${error.message}`, ...(error instanceof ConsoleUsageError ? { usage: true } : {}) };
    throw error;
  }
}

const MAX_THROTTLED = 1000;

/** VPCEP's own throttling, as a client would meet it: 400 EndPoint.0022 on the next N requests. */
function throttle(cloud: LocalCloud, args: readonly string[]): string {
  const [raw = '1', ...extra] = args;
  const count = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (extra.length > 0 || !(count >= 1 && count <= MAX_THROTTLED)) {
    throw new ConsoleUsageError(`throttle takes one number of requests from 1 to ${MAX_THROTTLED}, got "${terminalSafe(args.join(' '))}"`);
  }
  cloud.inject(vpcepThrottled({ times: count }));
  return `the next ${count} VPCEP request(s) answer 400 EndPoint.0022 (the number of requests exceeded the limit)`;
}

function findService(cloud: LocalCloud, reference: string): EmulatedService {
  const services = cloud.listServices();
  const exact = services.find((service) => service.name === reference || service.id === reference);
  if (exact !== undefined) return exact;
  const byPrefix = reference.length >= 4 ? services.filter((service) => service.id.startsWith(reference)) : [];
  if (byPrefix.length === 1) return byPrefix[0] as EmulatedService;
  const known = services.map((service) => service.name).join(', ') || 'none yet (add-service NAME)';
  throw new ConsoleError(`no endpoint service "${terminalSafe(reference)}"; services: ${known}`);
}

function findConnection(cloud: LocalCloud, reference: string | undefined): { service: EmulatedService; connection: EmulatedConnection } {
  if (reference === undefined) throw new ConsoleUsageError('which connection? give its id or a unique prefix of at least 4 characters');
  if (reference.length < 4) throw new ConsoleUsageError(`"${terminalSafe(reference)}" is too short: give at least 4 characters of the connection id`);
  const matches = cloud.listServices().flatMap((service) =>
    cloud.listConnections(service.id).filter((connection) => connection.id.startsWith(reference)).map((connection) => ({ service, connection })),
  );
  const exact = matches.find((match) => match.connection.id === reference);
  if (exact !== undefined) return exact;
  if (matches.length === 1) return matches[0] as { service: EmulatedService; connection: EmulatedConnection };
  if (matches.length === 0) throw new ConsoleError(`no connection starts with "${terminalSafe(reference)}"; "list" shows them`);
  throw new ConsoleError(`"${terminalSafe(reference)}" matches ${matches.length} connections; give more of the id`);
}

function listServices(cloud: LocalCloud): string {
  const services = cloud.listServices();
  if (services.length === 0) return 'no endpoint services (add-service NAME adds one)';
  const rows = services.map((service) => {
    const connections = cloud.listConnections(service.id);
    const pending = connections.filter((connection) => connection.status === 'pendingAcceptance').length;
    return `${service.name.padEnd(24)} ${service.id}  ${String(connections.length).padStart(11)}  ${String(pending).padStart(7)}`;
  });
  return [`${'SERVICE'.padEnd(24)} ${'ID'.padEnd(36)}  CONNECTIONS  PENDING`, ...rows].join('\n');
}

function listConnections(cloud: LocalCloud, args: readonly string[]): string {
  const statuses = args.filter((arg) => CONNECTION_STATUSES.has(arg));
  const services = args.filter((arg) => !CONNECTION_STATUSES.has(arg)).map((arg) => findService(cloud, arg));
  const rows: string[] = [];
  let total = 0;
  for (const service of services.length > 0 ? services : cloud.listServices()) {
    for (const connection of cloud.listConnections(service.id)) {
      if (statuses.length > 0 && !statuses.includes(connection.status)) continue;
      total++;
      if (rows.length >= MAX_ROWS) continue;
      const description = terminalSafe(connection.description.length > 40 ? `${connection.description.slice(0, 39)}…` : connection.description);
      rows.push(`${service.name.slice(0, 20).padEnd(20)} ${connection.id}  ${connection.status.padEnd(17)} ${connection.domain_id}  ${description}`.trimEnd());
    }
  }
  if (total === 0) return 'no connections match';
  const header = `${'SERVICE'.padEnd(20)} ${'CONNECTION'.padEnd(36)}  ${'STATUS'.padEnd(17)} ${'DOMAIN'.padEnd(32)}  DESCRIPTION`;
  const more = total > rows.length ? [`… and ${total - rows.length} more; narrow with a service or a status`] : [];
  return [header, ...rows, ...more].join('\n');
}

function addService(cloud: LocalCloud, args: readonly string[]): string {
  const [name, ...extra] = args;
  if (name === undefined || extra.length > 0) throw new ConsoleUsageError('add-service takes one NAME, e.g. add-service orders-api');
  if (!SERVICE_NAME.test(name)) throw new ConsoleUsageError(`service name "${terminalSafe(name)}" must be 1 to 64 letters, digits, - or _, starting with a letter or digit`);
  if (cloud.listServices().some((service) => service.name === name)) throw new ConsoleError(`a service named ${name} already exists`);
  const service = cloud.addService({ name });
  return `added endpoint service ${service.name} (${service.id})`;
}

function addPending(cloud: LocalCloud, args: readonly string[]): string {
  const [reference, ...rest] = args;
  if (reference === undefined) throw new ConsoleUsageError('add-pending needs a SERVICE, e.g. add-pending local-service "analytics team"');
  const service = findService(cloud, reference);
  let domainId = randomBytes(16).toString('hex');
  let words = rest;
  const domainWord = words[0]?.startsWith('domain=') ? words[0] : undefined;
  if (domainWord !== undefined) {
    domainId = domainWord.slice('domain='.length);
    if (!DOMAIN_ID.test(domainId)) throw new ConsoleUsageError(`domain id "${terminalSafe(domainId)}" must be 32 lower-case hex characters, like the account ids VPCEP reports`);
    words = words.slice(1);
  }
  const description = words.join(' ');
  if (description.length > MAX_DESCRIPTION) throw new ConsoleUsageError(`the description is ${description.length} characters; VPCEP allows at most ${MAX_DESCRIPTION}`);
  const connection = cloud.addConnection(service.id, { status: 'pendingAcceptance', domain_id: domainId, description });
  return `added ${connection.id} to ${service.name}: pendingAcceptance, consumer ${domainId}`;
}

// IAM user names: 1–64 letters, digits, spaces and -_.@; an agency is account/agency.
const USER_NAME = /^[A-Za-z0-9_.@-][A-Za-z0-9 _.@/-]{0,127}$/;

/** Takes `--as NAME` off the end of the words: who CTS names for the action. */
function actingUser(verb: string, args: readonly string[]): { user: string; rest: string[] } {
  const at = args.indexOf('--as');
  if (at < 0) return { user: CONSOLE_USER, rest: [...args] };
  const user = args[at + 1];
  if (user === undefined || at + 2 !== args.length) throw new ConsoleUsageError(`${verb}: --as takes one NAME, at the end (e.g. ${verb} … --as alice)`);
  if (!USER_NAME.test(user)) throw new ConsoleUsageError(`user name "${terminalSafe(user)}" must be 1 to 128 letters, digits, spaces or - _ . @ /`);
  return { user, rest: args.slice(0, at) };
}

function approval(cloud: LocalCloud, args: readonly string[]): string {
  const { user, rest } = actingUser('approval', args);
  const [reference, state, ...extra] = rest;
  if (reference === undefined || (state !== 'on' && state !== 'off') || extra.length > 0) throw new ConsoleUsageError('approval takes a SERVICE and on or off, e.g. approval orders-api off');
  const service = findService(cloud, reference);
  cloud.setApprovalEnabled(service.id, state === 'on', user);
  return state === 'on'
    ? `${service.name}: connection approval is on; new requests wait in pendingAcceptance (by ${user})`
    : `${service.name}: connection approval is OFF; every whitelisted account is accepted without review (by ${user})`;
}

const WHITELIST_ENTRY = /^([0-9a-f]{32}|\*)$/;

function whitelist(cloud: LocalCloud, args: readonly string[]): string {
  const { user, rest } = actingUser('whitelist', args);
  const [reference, action, ...entries] = rest;
  if (reference === undefined) throw new ConsoleUsageError('whitelist needs a SERVICE, e.g. whitelist orders-api add 0a1b…f9');
  const service = findService(cloud, reference);
  if (action === undefined) {
    const current = cloud.whitelist(service.id);
    return current.length === 0 ? `${service.name}: the whitelist is empty` : [`${service.name}: ${current.length} whitelist entr${current.length === 1 ? 'y' : 'ies'}`, ...current.map((entry) => `  ${entry}`)].join('\n');
  }
  if (action !== 'add' && action !== 'remove') throw new ConsoleUsageError(`whitelist takes add or remove, got "${terminalSafe(action)}"`);
  if (entries.length === 0) throw new ConsoleUsageError(`whitelist ${action} needs a DOMAIN id (32 lower-case hex characters) or *`);
  for (const entry of entries) {
    if (!WHITELIST_ENTRY.test(entry)) throw new ConsoleUsageError(`"${terminalSafe(entry)}" is neither a domain id (32 lower-case hex characters) nor *`);
  }
  const changed = cloud.changeWhitelist(service.id, action, entries, user);
  if (changed.length === 0) return `${service.name}: nothing to ${action}; the whitelist ${action === 'add' ? 'has' : 'lacks'} ${entries.length === 1 ? 'it' : 'them'} already`;
  return `${service.name}: ${action === 'add' ? 'added' : 'removed'} ${changed.join(', ')} (by ${user})`;
}

function traces(cloud: LocalCloud, args: readonly string[]): string {
  if (args.length > 1) throw new ConsoleUsageError('traces takes at most one SERVICE');
  const service = args[0] === undefined ? undefined : findService(cloud, args[0]);
  const kept = cloud.traces().filter((trace) => service === undefined || trace.resource_id === service.id);
  if (kept.length === 0) return 'no CTS traces';
  const rows = kept.slice(0, MAX_ROWS).map((trace) =>
    `${new Date(trace.time).toISOString().slice(0, 19)}Z  ${trace.trace_name.padEnd(24)} ${terminalSafe(trace.user.name).slice(0, 32).padEnd(32)} ${terminalSafe(trace.request).slice(0, 80)}`);
  const more = kept.length > rows.length ? [`… and ${kept.length - rows.length} more`] : [];
  return [`${'TIME'.padEnd(20)}  ${'TRACE'.padEnd(24)} ${'USER'.padEnd(32)} REQUEST`, ...rows, ...more].join('\n');
}

function changeConnection(cloud: LocalCloud, verb: 'accept' | 'reject' | 'fail' | 'remove', args: readonly string[]): string {
  const acting = verb === 'accept' || verb === 'reject' ? actingUser(verb, args) : { user: CONSOLE_USER, rest: [...args] };
  const [reference, ...rest] = acting.rest;
  const { service, connection } = findConnection(cloud, reference);
  if (verb !== 'fail' && rest.length > 0) throw new ConsoleUsageError(`${verb} takes only a CONNECTION${verb === 'accept' || verb === 'reject' ? ' and --as NAME' : ''}`);
  switch (verb) {
    case 'remove':
      cloud.removeConnection(service.id, connection.id);
      return `removed ${connection.id} from ${service.name}`;
    case 'reject':
    case 'accept': {
      // What the API's receive and reject act on (vpcep.ts), and no more.
      if (!ACTIONABLE_STATUSES.includes(connection.status)) {
        throw new ConsoleError(`${connection.id} is ${connection.status}; only a ${ACTIONABLE_STATUSES.join(', ')} connection can be ${verb}ed`);
      }
      const target = verb === 'accept' ? 'accepted' : 'rejected';
      if (connection.status === target) return `${connection.id} is already ${target}`;
      if (verb === 'reject') {
        cloud.rejectAs(service.id, connection.id, acting.user);
        return `${connection.id} is rejected (was ${connection.status}); CTS records ${acting.user}`;
      }
      cloud.acceptAs(service.id, connection.id, acting.user);
      return `${connection.id} is creating; it becomes accepted shortly, as after the API's receive; CTS records ${acting.user}`;
    }
    case 'fail': {
      const [code = 'EndPoint.0001', ...message] = rest;
      if (!ERROR_CODE.test(code)) throw new ConsoleUsageError(`error code "${terminalSafe(code)}" must look like EndPoint.0001`);
      const text = message.join(' ') || 'Failed by hand in the local cloud.';
      cloud.setStatus(service.id, connection.id, 'failed', [{ error_code: code, error_message: text }]);
      return `${connection.id} is failed (${code}: ${terminalSafe(text)}; was ${connection.status})`;
    }
  }
}
