/**
 * The house's shape, checked: a small script over the `import` lines of every `.ts` file under
 * `lib/` and `functions/`, and over their sizes and string literals. It fails, naming the files,
 * on an import circle, an arrow pointing the wrong way between the core and its adapters, a product
 * file over 300 lines, a `runMonitor` over 70 lines, or a bucket key spelt outside `keys.ts`.
 *
 * Each check is a pure function over plain data, and each is first shown to fail on a small
 * synthetic graph or file, so a check that silently found nothing to look at cannot pass.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_ROOTS = ['lib', 'functions'];

// ---- the script ---------------------------------------------------------------------------------

/** A file as the checks see it: its path from the repo root (with `/`) and its text. */
interface SourceFile {
  path: string;
  text: string;
}

/** Every module a file names in `import … from`, `export … from`, `import '…'` or `import('…')`. */
function importSpecifiers(text: string): string[] {
  const specifiers: string[] = [];
  // `[^;]*?` spans the lines of a multi-line import; `^\s*` keeps doc comments (` * import …`) out.
  const patterns = [/^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

/**
 * The file a relative specifier names, among `known` paths: `.js` is the compiled name of `.ts`,
 * and a folder means its `index.ts`. Packages, `node:` modules and data (`package.json`) import
 * nothing back: `undefined`.
 */
function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.') || specifier.endsWith('.json')) return undefined;
  const base = join(dirname(from), specifier).split('\\').join('/');
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, `${base}/index.ts`];
  const found = candidates.find((candidate) => known.has(candidate));
  if (found === undefined) throw new Error(`${from} imports ${specifier}, which resolves to no file under ${SOURCE_ROOTS.join(', ')}`);
  return found;
}

type Graph = Map<string, Set<string>>;

function importGraph(files: readonly SourceFile[]): Graph {
  const known = new Set(files.map((file) => file.path));
  const graph: Graph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of importSpecifiers(file.text)) {
      const target = resolveSpecifier(file.path, specifier, known);
      if (target !== undefined) targets.add(target);
    }
    graph.set(file.path, targets);
  }
  return graph;
}

/** One cycle per strongly connected component (Tarjan), each written `a → b → … → a`. */
function importCycles(graph: Graph): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      component.add(member);
      if (member === node) break;
    }
    if (component.size > 1 || graph.get(node)?.has(node)) cycles.push(cyclePath(graph, node, component));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** A shortest way from `start` back to itself inside its component, for the message. */
function cyclePath(graph: Graph, start: string, component: ReadonlySet<string>): string {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = cameFrom.get(at)!) path.unshift(at);
        path.unshift(start);
        return path.join(' → ');
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  throw new Error(`no way back to ${start} in its own component`);
}

interface LayerRule {
  from: string;
  mayNotImport: readonly string[];
  why: string;
}

const LAYER_RULES: readonly LayerRule[] = [
  { from: 'lib/huaweicloud/', mayNotImport: ['lib/monitor/', 'lib/cli/', 'lib/report/', 'lib/emulator/'], why: 'adapters implement the core’s ports structurally' },
  { from: 'lib/monitor/', mayNotImport: ['lib/huaweicloud/', 'lib/cli/', 'lib/emulator/', 'lib/report/'], why: 'the core owns its ports' },
];

function layerViolations(graph: Graph, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!file.startsWith(rule.from)) continue;
      for (const target of targets) {
        if (rule.mayNotImport.some((folder) => target.startsWith(folder))) found.push(`${file} imports ${target} (${rule.why})`);
      }
    }
  }
  return found.sort();
}

const MAX_FILE_LINES = 300;
// The emulator is a test instrument beside the product, held to the house style but not to its size.
const SIZE_EXEMPT = 'lib/emulator/';

function lineCount(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

function oversizedFiles(files: readonly SourceFile[], max = MAX_FILE_LINES): string[] {
  return files.filter((file) => !file.path.startsWith(SIZE_EXEMPT) && lineCount(file.text) > max).map((file) => `${file.path} has ${lineCount(file.text)} lines (at most ${max})`);
}

/**
 * Lines from `function name(` to the `}` that closes it at the indentation the declaration has
 * (the code is formatted, so that brace is the function's own). Throws when there is no such function.
 */
function functionLines(text: string, name: string): number {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^(\\s*)(?:export\\s+)?(?:async\\s+)?function\\s+${name}\\b`).test(line));
  if (start < 0) throw new Error(`no function ${name}`);
  const indent = /^\s*/.exec(lines[start]!)![0];
  const end = lines.findIndex((line, at) => at > start && line === `${indent}}`);
  if (end < 0) throw new Error(`function ${name} has no closing brace at its own indentation`);
  return end - start + 1;
}

/** What only `keys.ts` may spell: the names and folders of the objects the monitor keeps. */
const KEY_LITERALS = ['state.json', 'lease.json', 'audit/', 'quarantine/', 'dead-letter/'];
const KEYS_MODULE = 'lib/monitor/keys.ts';

/** The text of every string and template literal in a file (comments and code are not looked at). */
function stringLiterals(file: SourceFile): string[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const walk = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) found.push(node.text);
    node.forEachChild(walk);
  };
  walk(source);
  return found;
}

function spelledKeys(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (file.path === KEYS_MODULE) continue;
    for (const literal of stringLiterals(file)) {
      for (const key of KEY_LITERALS) if (literal.includes(key)) found.push(`${file.path} spells ${JSON.stringify(key)} in ${JSON.stringify(literal.slice(0, 60))}`);
    }
  }
  return found;
}

function readSources(): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) files.push({ path: relative(ROOT, full).split('\\').join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  for (const root of SOURCE_ROOTS) walk(join(ROOT, root));
  return files;
}

// ---- each check can fail ------------------------------------------------------------------------

const file = (path: string, text: string): SourceFile => ({ path, text });

describe('the checks themselves', () => {
  it('read every form of import, and no import named in a comment', () => {
    const text = [
      "import { a,",
      "  b } from './multi.js';",
      "import type { T } from '../types.js';",
      "export * from './again.js';",
      "export { c } from './named.js';",
      "import './side-effect.js';",
      "const lazy = await import('./lazy.js');",
      "import pino from 'pino';",
      " * import { not } from './in-a-comment.js';",
      "export const x = 1;",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../types.js', './again.js', './lazy.js', './multi.js', './named.js', './side-effect.js', 'pino'].sort());
  });

  it('resolve .js to .ts and a folder to its index, and refuse an import of nothing', () => {
    const known = new Set(['lib/a/b.ts', 'lib/c/index.ts', 'lib/d.ts']);
    expect(resolveSpecifier('lib/a/x.ts', './b.js', known)).toBe('lib/a/b.ts');
    expect(resolveSpecifier('lib/a/x.ts', '../c', known)).toBe('lib/c/index.ts');
    expect(resolveSpecifier('lib/a/x.ts', '../c/index.js', known)).toBe('lib/c/index.ts');
    expect(resolveSpecifier('lib/a/x.ts', '../d', known)).toBe('lib/d.ts');
    expect(resolveSpecifier('lib/a/x.ts', 'node:fs', known)).toBeUndefined();
    expect(resolveSpecifier('lib/a/x.ts', '../../package.json', known)).toBeUndefined();
    expect(() => resolveSpecifier('lib/a/x.ts', './gone.js', known)).toThrow(/lib\/a\/x\.ts imports \.\/gone\.js/);
  });

  it('find a circle, name its files, and find none in a diamond', () => {
    const circle = importGraph([
      file('lib/cli/main.ts', "import { run } from './run-command.js';"),
      file('lib/cli/run-command.ts', "import { Io } from './command.js';"),
      file('lib/cli/command.ts', "import { main } from './main.js';"),
      file('lib/self.ts', "export * from './self.js';"),
      file('lib/leaf.ts', 'export const leaf = 1;'),
    ]);
    expect(importCycles(circle)).toEqual(['lib/cli/command.ts → lib/cli/main.ts → lib/cli/run-command.ts → lib/cli/command.ts', 'lib/self.ts → lib/self.ts']);
    const diamond = importGraph([
      file('lib/top.ts', "import './left.js';\nimport './right.js';"),
      file('lib/left.ts', "import './bottom.js';"),
      file('lib/right.ts', "import './bottom.js';"),
      file('lib/bottom.ts', ''),
    ]);
    expect(importCycles(diamond)).toEqual([]);
  });

  it('catch an adapter importing the core and the core importing an adapter, and let the core import itself', () => {
    const graph = importGraph([
      file('lib/huaweicloud/vpcep.ts', "import type { Connection } from '../monitor/ports.js';"),
      file('lib/monitor/ports.ts', "import type { Metric } from './metrics.js';"),
      file('lib/monitor/metrics.ts', ''),
      file('lib/monitor/run-monitor.ts', "import { SmnClient } from '../huaweicloud/smn.js';\nimport { stateKey } from './keys.js';"),
      file('lib/monitor/keys.ts', ''),
      file('lib/huaweicloud/smn.ts', ''),
    ]);
    expect(layerViolations(graph, LAYER_RULES)).toEqual([
      'lib/huaweicloud/vpcep.ts imports lib/monitor/ports.ts (adapters implement the core’s ports structurally)',
      'lib/monitor/run-monitor.ts imports lib/huaweicloud/smn.ts (the core owns its ports)',
    ]);
  });

  it('catch a product file over the limit, but not the emulator or a file at the limit', () => {
    const lines = (n: number) => 'x;\n'.repeat(n);
    expect(oversizedFiles([file('lib/config.ts', lines(301)), file('lib/ok.ts', lines(300)), file('lib/emulator/big.ts', lines(900))])).toEqual(['lib/config.ts has 301 lines (at most 300)']);
  });

  it('measure a function to its own closing brace', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  step${i}();`).join('\n');
    const text = `export async function runMonitor(a: { b: string }): Promise<void> {\n${body(69)}\n  if (x) {\n  }\n}\nfunction after() {\n}\n`;
    expect(functionLines(text, 'runMonitor')).toBe(73);
    expect(() => functionLines(text, 'absent')).toThrow(/no function absent/);
  });

  it('catch a key spelt in a string or template literal, not in a comment, and not in keys.ts', () => {
    const files = [
      file('lib/cli/status-command.ts', "// reads state.json\nconst key = `${prefix}state.json`;"),
      file('lib/monitor/audit.ts', "/** under audit/ */\nconst root = prefix + 'quarantine/' + name;"),
      file(KEYS_MODULE, "export const k = (p: string) => `${p}lease.json`;"),
    ];
    expect(spelledKeys(files)).toEqual([
      'lib/cli/status-command.ts spells "state.json" in "state.json"',
      'lib/monitor/audit.ts spells "quarantine/" in "quarantine/"',
    ]);
  });
});

// ---- the code as it is --------------------------------------------------------------------------

describe('the architecture', () => {
  // Read once, when the first test asks: an unresolvable import then fails a test, not the file.
  let cached: { sources: SourceFile[]; graph: Graph } | undefined;
  const tree = () => {
    if (cached === undefined) {
      const sources = readSources();
      cached = { sources, graph: importGraph(sources) };
    }
    return cached;
  };

  it('reads the whole tree (so no check below passes on nothing)', () => {
    const { sources, graph } = tree();
    expect(sources.length).toBeGreaterThan(80);
    for (const path of ['functions/connection-monitor/index.ts', 'lib/monitor/run-monitor.ts', KEYS_MODULE, 'lib/huaweicloud/vpcep.ts']) expect(existsSync(join(ROOT, path)), path).toBe(true);
    // The handler wires the adapters to the core: its arrows reach both, through resolved imports.
    const handler = [...graph.get('functions/connection-monitor/index.ts')!];
    expect(handler.some((target) => target.startsWith('lib/monitor/'))).toBe(true);
    expect(handler.some((target) => target.startsWith('lib/huaweicloud/'))).toBe(true);
  });

  it('has no import circle', () => {
    expect(importCycles(tree().graph)).toEqual([]);
  });

  it('keeps the arrows pointing down: adapters and core never import each other, nor the CLI, report or emulator', () => {
    expect(layerViolations(tree().graph, LAYER_RULES)).toEqual([]);
  });

  it(`has no product file over ${MAX_FILE_LINES} lines`, () => {
    expect(oversizedFiles(tree().sources)).toEqual([]);
  });

  it('keeps runMonitor readable top to bottom: at most 70 lines', () => {
    const runMonitor = tree().sources.find((source) => source.path === 'lib/monitor/run-monitor.ts')!;
    expect(functionLines(runMonitor.text, 'runMonitor')).toBeLessThanOrEqual(70);
  });

  it('spells the bucket layout only in keys.ts', () => {
    const { sources } = tree();
    // The literals looked for are the ones keys.ts really builds keys from.
    const keysModule = sources.find((source) => source.path === KEYS_MODULE);
    if (keysModule === undefined) throw new Error(`${KEYS_MODULE} is gone: the bucket layout must live in one module`);
    const keys = stringLiterals(keysModule);
    for (const key of KEY_LITERALS) expect(keys.some((literal) => literal.includes(key)), `${KEYS_MODULE} spells ${key}`).toBe(true);
    expect(spelledKeys(sources)).toEqual([]);
  });
});
