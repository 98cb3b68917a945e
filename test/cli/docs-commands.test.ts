/**
 * Every command the docs show is run, and what they show it printing is checked. The `console`
 * blocks of README.md and docs/*.md are read as sessions: each `$ ` line is run through the CLI
 * against one local cloud seeded as `vpcep-monitor emulator` seeds its own, and each line the docs
 * show after it must be among the lines it printed, compared by shape (ids, times and numbers
 * differ from run to run; a line cut with `…` is compared up to the cut). Ids the docs show are
 * learnt from the lines they match, so a later `--connection <id>` asks for the live one.
 *
 * A block after `<!-- session: test/…test.ts -->` is a session that needs a running emulator in
 * its own process: that test runs it, and this one checks it runs each of the block's commands.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import { closedPort } from '../support.js';
import { runCli } from './run-cli.js';

const PAGES = ['docs/cli.md', 'docs/audit-and-report.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`), 'README.md']
  .filter((page, index, all) => all.indexOf(page) === index);
/** The forms that run only the local copy of the CLI (never `npx vpcep-monitor`, never a bare `vpcep-monitor`). */
const LOCAL_FORMS = [/^npm exec --no -- vpcep-monitor\b/, /^node dist\/cli\.js\b/, /^\.\/dist\/cli\.js\b/];

interface Step {
  page: string;
  line: number;
  command: string;
  shown: string[];
}

interface Block {
  page: string;
  line: number;
  session?: string;
  steps: Step[];
}

function blocks(page: string): Block[] {
  const lines = readFileSync(page, 'utf8').split('\n');
  const found: Block[] = [];
  let current: Block | undefined;
  let session: string | undefined;
  lines.forEach((text, index) => {
    const marker = /^<!-- session: (\S+) -->$/.exec(text);
    if (marker) session = marker[1];
    if (current === undefined && text === '```console') {
      current = { page, line: index + 1, ...(session ? { session } : {}), steps: [] };
      session = undefined;
      return;
    }
    if (current === undefined) return;
    if (text === '```') {
      found.push(current);
      current = undefined;
    } else if (text.startsWith('$ ')) {
      current.steps.push({ page, line: index + 1, command: text.slice(2), shown: [] });
    } else {
      current.steps.at(-1)?.shown.push(text);
    }
  });
  return found;
}

// The dry run of docs/cli.md's first block starts the session docs/audit-and-report.md continues
// ("the session in Audit continues from here"); every other block follows on the same cloud.
const ALL = (() => {
  const all = PAGES.flatMap(blocks);
  const first = all.find((block) => block.page === 'docs/cli.md')!;
  const audit = all.filter((block) => block.page === 'docs/audit-and-report.md');
  return [first, ...audit, ...all.filter((block) => block !== first && !audit.includes(block))];
})();

/** A line's shape: what stays the same from one run to the next. */
function shape(line: string): string {
  return line
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'U')
    .replace(/\d{4}-\d\d-\d\dT[\d:._]+Z/g, 'T')
    .replace(/\d{8}T\d{9}Z/g, 'T')
    .replace(/\b[0-9a-fA-F]{24,40}\b/g, 'H')
    .replace(/LOCAL[0-9A-F]{16}/g, 'K')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Words as a shell splits them: quotes keep spaces inside one word. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

let cloud: LocalCloud;
let env: NodeJS.ProcessEnv;
/** Ids the docs show → the live ones, learnt from matched lines. */
const ids = new Map<string, string>();

beforeAll(async () => {
  // As `vpcep-monitor emulator` makes a new world: local-service, 27 connections, 2 pending.
  const credentials = { ak: 'LOCAL0123456789ABCDEF', sk: '0123456789abcdef0123456789abcdef01234567' };
  cloud = await LocalCloud.start({ credentials: [credentials] });
  const service = cloud.addService({ name: 'local-service' });
  cloud.addConnections(service.id, 25);
  cloud.addConnections(service.id, 2, { status: 'pendingAcceptance' });
  cloud.createBucket('vpcep-monitor-local');
  env = {
    HUAWEICLOUD_SDK_AK: credentials.ak,
    HUAWEICLOUD_SDK_SK: credentials.sk,
    HUAWEICLOUD_PROJECT_ID: cloud.projectId,
    OBS_BUCKET: 'vpcep-monitor-local',
    SMN_TOPIC_URN: cloud.createTopic('vpcep-alerts'),
    VPCEP_ENDPOINT: cloud.endpoints.vpcep,
    SMN_ENDPOINT: cloud.endpoints.smn,
    OBS_ENDPOINT: cloud.endpoints.obsHost,
    CES_ENDPOINT: cloud.endpoints.ces,
    CTS_ENDPOINT: cloud.endpoints.cts,
    NO_COLOR: '1',
  };
});
afterAll(async () => {
  await cloud?.stop();
});

/** Pairs the ids of a shown line with those of the printed line it matched. */
function learn(shown: string, printed: string): void {
  const pattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b/g;
  const from = shown.match(pattern) ?? [];
  const to = printed.match(pattern) ?? [];
  from.forEach((id, index) => {
    if (to[index] !== undefined && !ids.has(id)) ids.set(id, to[index]!);
  });
}

async function runStep(step: Step): Promise<void> {
  const where = `${step.page}:${step.line} $ ${step.command}`;
  expect(step.command, `${where}: no pipes or redirections; the CLI's output is what the docs show`).not.toMatch(/[|>]/);
  const argv = words(step.command);
  const overrides: NodeJS.ProcessEnv = {};
  while (/^[A-Z_]+=/.test(argv[0] ?? '')) {
    const [name, ...value] = argv.shift()!.split('=');
    overrides[name!] = value.join('=');
  }
  const rest = argv.join(' ');
  const form = LOCAL_FORMS.find((pattern) => pattern.test(rest));
  expect(form, `${where}: runs the local CLI (npm exec --no -- vpcep-monitor or node dist/cli.js)`).toBeDefined();
  const args = rest.replace(form!, '').trim() === '' ? [] : words(rest.replace(form!, '').trim()).map((word) => ids.get(word) ?? word);
  // A port the docs use as "nothing listens here" is made one here.
  for (const [name, value] of Object.entries(overrides)) {
    if (value?.startsWith('http://127.0.0.1:')) overrides[name] = `http://127.0.0.1:${await closedPort()}`;
  }
  const { code, out, err } = await runCli({ ...env, ...overrides }, args);
  const printed = `${out}${err}`.split('\n');
  const failing = step.shown.some((line) => line.startsWith('error:'));
  expect(code === 0, `${where}: exit code ${code}; it printed:\n${out}${err}`).toBe(!failing);
  const used = new Set<number>();
  for (const shown of step.shown) {
    if (shown.trim() === '' || shown.trim() === '…' || shown.trim() === '...') continue;
    const cut = /^(.*?)(?:,?\.\.\.|…)\}?$/.exec(shown);
    const expected = shape(cut ? cut[1]! : shown);
    const index = printed.findIndex((line, i) => !used.has(i) && (cut ? shape(line).startsWith(expected) : shape(line) === expected));
    expect(index, `${where}: the docs show\n  ${shown}\nbut it printed:\n${printed.join('\n')}`).toBeGreaterThanOrEqual(0);
    used.add(index);
    learn(shown, printed[index]!);
  }
}

describe('the commands in the docs', () => {
  it('are found, in console blocks of the pages that show commands', () => {
    expect(ALL.filter((block) => block.session === undefined).flatMap((block) => block.steps).length).toBeGreaterThanOrEqual(8);
  });

  it('never ask the registry for the CLI: no npx vpcep-monitor and no bare vpcep-monitor in any code block', () => {
    for (const page of PAGES) {
      const text = readFileSync(page, 'utf8');
      for (const [index, line] of text.split('\n').entries()) {
        expect(line, `${page}:${index + 1}`).not.toMatch(/\bnpx vpcep-monitor\b/);
        expect(line, `${page}:${index + 1}`).not.toMatch(/^(\$ )?vpcep-monitor /);
      }
    }
  });

  it('print what the docs show, run in order against a local cloud', async () => {
    for (const block of ALL.filter((candidate) => candidate.session === undefined)) {
      for (const step of block.steps) await runStep(step);
    }
  });

  it('of a session in its own process are each run by the test that the docs name', () => {
    const sessions = ALL.filter((block) => block.session !== undefined);
    expect(sessions.length).toBeGreaterThan(0);
    for (const block of sessions) {
      const test = readFileSync(block.session!, 'utf8');
      for (const step of block.steps) {
        const argv = words(step.command).filter((word) => !/^[A-Z_]+=/.test(word));
        const rest = argv.join(' ');
        expect(LOCAL_FORMS.some((pattern) => pattern.test(rest)), `${step.page}:${step.line} runs the local CLI`).toBe(true);
        // The command and its subcommand or first flag appear in the test, in order.
        const verbs = argv.slice(rest.startsWith('npm exec') ? 5 : 1).slice(0, 2).filter((word) => /^--?[a-z-]+$|^[a-z][a-z-]+$/.test(word));
        const quoted = verbs.map((word) => `'${word}'`);
        const at = quoted.reduce((from, word) => (from < 0 ? from : test.indexOf(word, from)), 0);
        expect(at, `${step.page}:${step.line} $ ${step.command}: ${block.session} runs ${quoted.join(', ')}`).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
