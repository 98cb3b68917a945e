/**
 * `vpcep-monitor`: the operator's command line. Same settings as the function (from the
 * environment), credentials from HUAWEICLOUD_SDK_AK / _SK / _SECURITY_TOKEN.
 * Exit codes: 0 success, 1 failure, 2 usage error. Errors are one line on stderr.
 */
import { parseArgs } from 'node:util';
// esbuild inlines this one field into dist/cli.js; the bundle reads no file at run time.
import { version } from '../../package.json';
import { type Command, type Io, oneLine, UsageError } from './command.js';

export { oneLine } from './command.js';
import { styleFor } from './style.js';

const COMMANDS: Record<string, Command> = {
  check: {
    summary: 'verify a deployment\'s wiring, read-only: settings, region, bucket and state, topic, VPCEP, Cloud Eye',
    usage: [
      'vpcep-monitor check [--write-metric]',
      '',
      '  Prints one line per item, ✓ or ✗ with the fix; exits 0 only when every item holds.',
      '  --write-metric   with METRICS_NAMESPACE set, send Cloud Eye one datum to see it accepts it (the only write)',
    ].join('\n'),
    options: { 'write-metric': { type: 'boolean' } },
    run: async (values, io) => (await import('./check-command.js')).checkCommand(Boolean(values['write-metric']), io),
  },
  run: {
    summary: 'run one monitoring pass from this workstation',
    usage: 'vpcep-monitor run [--dry-run]\n\n  --dry-run   read and diff, print what would be published; publish nothing, write no state',
    options: { 'dry-run': { type: 'boolean' } },
    run: async (values, io) => (await import('./run-command.js')).runCommand(Boolean(values['dry-run']), io),
  },
  audit: {
    summary: 'read the audit trail: every change the monitor saw',
    usage: [
      'vpcep-monitor audit [--since 7d|ISO] [--until ISO] [--service ID|NAME] [--connection ID] [--status S] [--json]',
      '',
      '  --since T        start of the range: a duration back from now (30m, 24h, 7d) or an ISO time; default 7d',
      '  --until T        end of the range, same forms; default now. The range spans at most 800 days.',
      '  --service S      only this endpoint service: its id, or its name as the SERVICE column shows it',
      '  --connection ID  only this connection (consumer endpoint id)',
      '  --status S       only changes from or to this status',
      '  --json           JSON Lines, one record per line, instead of the table',
    ].join('\n'),
    options: { since: { type: 'string' }, until: { type: 'string' }, service: { type: 'string' }, connection: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' } },
    run: async (values, io) => (await import('./audit-command.js')).auditCommand(values, io),
  },
  status: {
    summary: 'show the last snapshot: counts by status, pending connections and how long they wait',
    usage: 'vpcep-monitor status [--json]\n\n  --json   one JSON document instead of the table',
    options: { json: { type: 'boolean' } },
    run: async (values, io) => (await import('./status-command.js')).statusCommand(Boolean(values.json), io),
  },
  report: {
    summary: 'write an HTML report of the state and the audit trail: counts, a chart, pending, failed, changes',
    usage: [
      'vpcep-monitor report --out FILE [--since 30d|ISO] [--service ID|NAME]',
      '',
      '  --out FILE      where to write the page (one self-contained HTML file)',
      '  --since T       start of the period: a duration back from now (24h, 7d, 30d) or an ISO time; default 30d',
      '  --service S     only this endpoint service: its id or the name shown by "vpcep-monitor status"',
    ].join('\n'),
    options: { out: { type: 'string' }, since: { type: 'string' }, service: { type: 'string' } },
    run: async (values, io) => (await import('./report-command.js')).reportCommand(values, io),
  },
  demo: {
    summary: 'run the monitor against a local Huawei Cloud while connections change (what npm start runs)',
    usage: 'vpcep-monitor demo',
    options: {},
    run: async (_values, io) => {
      await (await import('./demo.js')).runDemo(io.stdout, styleFor(io.stdout, io.env));
      return 0;
    },
  },
  emulator: {
    summary: 'start the local Huawei Cloud (VPCEP, SMN, OBS, Cloud Eye) to play with, or change a running one',
    usage: [
      'vpcep-monitor emulator [--port N] [--seed N] [--data-dir DIR]',
      'vpcep-monitor emulator COMMAND [ARGUMENTS...]     (in a second terminal, with the exports it printed)',
      '',
      '  --port N        VPCEP on N, SMN on N+1, OBS on N+2, Cloud Eye on N+3, CTS on N+4 (default: free ports)',
      `  --seed N        connections of a new world's local-service, two of them pending (default 27);`,
      '                  ignored, with a note, when --data-dir already holds a world',
      '  --data-dir DIR  keep the world (services, connections, CTS traces, OBS objects, SMN topics), the keys and the',
      '                  ports in DIR: the same command restarts it where it stopped, with the same exports',
      '',
      'Commands, at its prompt or from a second terminal: services, list, add-service, add-pending,',
      'accept, reject, fail, remove, help, quit ("vpcep-monitor emulator help" describes them).',
    ].join('\n'),
    options: { port: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' } },
    positionals: true,
    run: async (values, io, positionals) =>
      (await import('./emulator-command.js')).emulatorCommand(
        { port: values.port as string | undefined, seed: values.seed as string | undefined, dataDir: values['data-dir'] as string | undefined, words: positionals },
        io,
      ),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'vpcep-monitor: VPC Endpoint connection monitor for Huawei Cloud',
    '',
    'Usage: vpcep-monitor <command> [options]',
    '       vpcep-monitor --version',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Settings come from the environment (see docs/configuration.md); credentials from HUAWEICLOUD_SDK_AK,',
    'HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SECURITY_TOKEN. Run "vpcep-monitor <command> --help" for its options.',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  const style = styleFor(io.stderr, io.env);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: command.positionals ?? false,
    });
    if (values.help) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(values, io, positionals);
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.stderr.write(`${style.red('error:')} ${oneLine(error)}${usage ? ' (see --help)' : ''}\n`);
    if (/^(debug|trace)$/i.test(io.env.LOG_LEVEL ?? '') && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return usage ? 2 : 1;
  }
}
