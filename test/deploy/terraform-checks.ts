/**
 * Reads the Terraform module the way the deploy tests need it. There is no terraform binary here,
 * so the `.tf` files are parsed with @cdktf/hcl2json, which keeps every expression as its source
 * text (`"${jsonencode({...})}"`). The checks below therefore look at HCL expression *text*: a
 * small scanner drops comments, hides string contents from the structural scan and tracks brace
 * depth, which is enough to find object keys and policy statements in the shapes the module uses.
 *
 * Each check returns a list of problems instead of asserting, so a test can also run it on a
 * deliberately broken copy of the module and prove that it catches the breakage.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

type Block = Record<string, unknown>;
/** hcl2json's shape: `resource.<type>.<name>` is a list of blocks (one per declaration). */
export interface TerraformConfig {
  resource: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  locals: Block[];
  output: Record<string, Block[]>;
  module: Record<string, Block[]>;
  terraform: Block[];
}

/**
 * Parses every `.tf` file in `dir` and merges them as Terraform does. `overrides` replaces a
 * file's text (by file name), which is how tests build broken variants without touching disk.
 */
export async function loadModule(dir: string, overrides: Record<string, string> = {}): Promise<TerraformConfig> {
  const merged: TerraformConfig = { resource: {}, variable: {}, locals: [], output: {}, module: {}, terraform: [] };
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort();
  for (const file of files) {
    const text = overrides[file] ?? (await readFile(join(dir, file), 'utf8'));
    const json = (await parse(file, text)) as Partial<TerraformConfig>;
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      merged.resource[type] = { ...merged.resource[type], ...byName };
    }
    Object.assign(merged.variable, json.variable);
    Object.assign(merged.output, json.output);
    Object.assign(merged.module, json.module);
    merged.locals.push(...(json.locals ?? []));
    merged.terraform.push(...(json.terraform ?? []));
  }
  return merged;
}

/** The one block of `resource "<type>" "<name>"`, or undefined. */
export function resourceBlock(config: TerraformConfig, type: string, name: string): Block | undefined {
  return config.resource[type]?.[name]?.[0];
}

/** All blocks of one resource type, by resource name. */
export function resourcesOfType(config: TerraformConfig, type: string): [string, Block][] {
  return Object.entries(config.resource[type] ?? {}).flatMap(([name, blocks]) => (blocks[0] ? [[name, blocks[0]] as [string, Block]] : []));
}

/** `"${expr}"` → `expr`; undefined when the value is not a single interpolation. */
export function expressionOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{([\s\S]*)\}$/.exec(value.trim());
  return match?.[1];
}

// --- HCL expression scanning -------------------------------------------------------------------

interface Scanned {
  /** The expression with comments blanked out (same length, so indices line up). */
  clean: string;
  /** `clean` with the contents of string literals (including their interpolations) blanked. */
  masked: string;
}

/**
 * HCL strings can hold `${ ... }` templates that contain further strings (`"${join(",", x)}"`),
 * so string ends are found with a small stack rather than a regex.
 */
export function scanExpression(expr: string): Scanned {
  const clean = expr.split('');
  const masked = expr.split('');
  // Each frame is a string literal or an interpolation (code) inside one, with its brace depth.
  const stack: ({ kind: 'string' } | { kind: 'interp'; braces: number })[] = [];
  const blank = (from: number, to: number, target: string[]): void => {
    for (let k = from; k < to; k++) if (target[k] !== '\n') target[k] = ' ';
  };
  let i = 0;
  while (i < expr.length) {
    const top = stack[stack.length - 1];
    const inString = top?.kind === 'string';
    const insideLiteral = stack.length > 0;
    const ch = expr[i]!;
    const next = expr[i + 1];
    if (inString) {
      if (ch === '\\') {
        masked[i] = 'x';
        if (i + 1 < expr.length) masked[i + 1] = 'x';
        i += 2;
        continue;
      }
      if (ch === '$' && next === '{') {
        stack.push({ kind: 'interp', braces: 0 });
        masked[i] = 'x';
        masked[i + 1] = 'x';
        i += 2;
        continue;
      }
      if (ch === '"') {
        // A string nested in an interpolation is part of the outer literal: keep it masked.
        if (stack.length > 1) masked[i] = 'x';
        stack.pop();
        i += 1;
        continue;
      }
      masked[i] = 'x';
      i += 1;
      continue;
    }
    // Code: top level, or an interpolation inside a string literal.
    if (ch === '#' || (ch === '/' && next === '/')) {
      const end = expr.indexOf('\n', i);
      const stop = end < 0 ? expr.length : end;
      blank(i, stop, clean);
      blank(i, stop, masked);
      i = stop;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = expr.indexOf('*/', i + 2);
      const stop = end < 0 ? expr.length : end + 2;
      blank(i, stop, clean);
      blank(i, stop, masked);
      i = stop;
      continue;
    }
    if (insideLiteral) masked[i] = 'x';
    if (ch === '"') {
      stack.push({ kind: 'string' });
      i += 1;
      continue;
    }
    if (top?.kind === 'interp') {
      if (ch === '{') top.braces += 1;
      if (ch === '}') {
        if (top.braces === 0) stack.pop();
        else top.braces -= 1;
      }
    }
    i += 1;
  }
  return { clean: clean.join(''), masked: masked.join('') };
}

/** Index of the bracket closing the one at `open` (same kind), in masked text. */
function matchingClose(masked: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const opener = masked[open]!;
  const closer = pairs[opener];
  if (!closer) throw new Error(`not an opening bracket at ${open}: ${opener}`);
  let depth = 0;
  for (let k = open; k < masked.length; k++) {
    if (masked[k] === opener) depth += 1;
    else if (masked[k] === closer) {
      depth -= 1;
      if (depth === 0) return k;
    }
  }
  throw new Error(`unbalanced ${opener} at ${open}`);
}

/** Indices of the `{` that enclose `index`, outermost first. */
function enclosingBraces(masked: string, index: number): number[] {
  const open: number[] = [];
  for (let k = 0; k < index; k++) {
    if (masked[k] === '{') open.push(k);
    else if (masked[k] === '}') open.pop();
  }
  return open;
}

export interface ObjectKey {
  name: string;
  index: number;
  /**
   * Whether the key can be absent from the result: it sits inside a `for` expression (filtered
   * with `if`) or in an object chosen by a conditional (`cond ? { ... } : ...`).
   */
  conditional: boolean;
}

/** Every `name = value` attribute of an object literal in the expression. */
export function objectKeys(expr: string): ObjectKey[] {
  const { masked } = scanExpression(expr);
  const keys: ObjectKey[] = [];
  // `=` that is not part of `==`, `=>`, `!=`, `<=` or `>=` (those have no identifier right before).
  const attribute = /(?<![A-Za-z0-9_.\-])([A-Za-z_][A-Za-z0-9_-]*)\s*=(?![=>])/g;
  for (const match of masked.matchAll(attribute)) {
    const braces = enclosingBraces(masked, match.index);
    if (braces.length === 0) continue;
    const conditional = braces.some((b) => {
      const after = masked.slice(b + 1).trimStart();
      const before = masked.slice(0, b).trimEnd();
      return after.startsWith('for ') || before.endsWith('?') || before.endsWith(':');
    });
    keys.push({ name: match[1]!, index: match.index, conditional });
  }
  return keys;
}

/** The string literals (their raw source text) between `from` and `to`. */
function stringLiterals(scanned: Scanned, from: number, to: number): string[] {
  const out: string[] = [];
  let k = from;
  while (k < to) {
    if (scanned.masked[k] === '"') {
      let end = k + 1;
      while (end < to && scanned.masked[end] !== '"') end += 1;
      out.push(scanned.clean.slice(k + 1, end));
      k = end + 1;
    } else {
      k += 1;
    }
  }
  return out;
}

/** The string literals of the list assigned to `name` inside [from, to), or undefined if absent. */
function listAttribute(scanned: Scanned, name: string, from: number, to: number): string[] | undefined {
  const re = new RegExp(`(?<![A-Za-z0-9_])${name}\\s*=\\s*\\[`, 'g');
  re.lastIndex = from;
  const match = re.exec(scanned.masked);
  if (!match || match.index >= to) return undefined;
  const open = match.index + match[0].length - 1;
  return stringLiterals(scanned, open + 1, matchingClose(scanned.masked, open));
}

export interface PolicyStatement {
  actions: string[];
  /** Undefined when the statement has no Resource (the action then applies to the whole scope). */
  resources: string[] | undefined;
  /** The condition guarding the statement (`local.approval_enforced`), if it is in a `?` branch. */
  condition: string | undefined;
}

/**
 * The statements of a policy built as `jsonencode({ Version, Statement = [...] })`, including
 * statements added through `concat(..., cond ? [ {...} ] : [])`.
 */
export function policyStatements(expr: string): PolicyStatement[] {
  const scanned = scanExpression(expr);
  const { masked } = scanned;
  const statements: PolicyStatement[] = [];
  for (const key of objectKeys(expr)) {
    if (key.name !== 'Action') continue;
    const braces = enclosingBraces(masked, key.index);
    const open = braces[braces.length - 1]!;
    const close = matchingClose(masked, open);
    const actions = listAttribute(scanned, 'Action', open, close) ?? [];
    const resources = listAttribute(scanned, 'Resource', open, close);

    // Walk out to the `[` holding this statement and see whether a `?` selects that list.
    let depth = 0;
    let listOpen = -1;
    for (let k = open - 1; k >= 0; k--) {
      const c = masked[k];
      if (c === ']' || c === '}' || c === ')') depth += 1;
      else if (c === '[' || c === '{' || c === '(') {
        if (depth === 0) {
          listOpen = c === '[' ? k : -1;
          break;
        }
        depth -= 1;
      }
    }
    let condition: string | undefined;
    if (listOpen >= 0) {
      const before = masked.slice(0, listOpen).trimEnd();
      const guard = /([A-Za-z0-9_.!=&|<>\s]+)\?$/.exec(before);
      if (guard) condition = guard[1]!.trim().split(/[\s,(]+/).filter(Boolean).join(' ');
    }
    statements.push({ actions, resources, condition });
  }
  return statements;
}

// --- Checks --------------------------------------------------------------------------------------

export interface Setting {
  name: string;
  required: boolean;
}

/**
 * Every setting the function reads must be passed in user_data: required ones unconditionally,
 * optional ones at least conditionally. Keys that are not settings are typos the function would
 * silently ignore.
 */
export function checkUserData(config: TerraformConfig, settings: readonly Setting[]): string[] {
  const problems: string[] = [];
  const functions = resourcesOfType(config, 'huaweicloud_fgs_function');
  if (functions.length !== 1) return [`expected one huaweicloud_fgs_function, found ${functions.length}`];
  const [, fn] = functions[0]!;
  const expr = expressionOf(fn.user_data);
  if (!expr || !/^\s*jsonencode\(/.test(expr)) return ['user_data is not a jsonencode(...) expression'];

  const keys = objectKeys(expr);
  const byName = new Map<string, ObjectKey[]>();
  for (const key of keys) byName.set(key.name, [...(byName.get(key.name) ?? []), key]);

  for (const setting of settings) {
    const found = byName.get(setting.name);
    if (!found) {
      problems.push(`setting ${setting.name} is missing from user_data`);
    } else if (setting.required && found.every((k) => k.conditional)) {
      problems.push(`required setting ${setting.name} is only conditionally in user_data`);
    }
  }
  const known = new Set(settings.map((s) => s.name));
  for (const name of byName.keys()) {
    if (!known.has(name)) problems.push(`user_data key ${name} is not a setting in lib/config.ts`);
  }
  return problems;
}

export interface RolePolicy {
  role: string;
  type: unknown;
  statements: PolicyStatement[];
}

export function rolePolicies(config: TerraformConfig): RolePolicy[] {
  return resourcesOfType(config, 'huaweicloud_identity_role').map(([role, block]) => ({
    role,
    type: block.type,
    statements: policyStatements(expressionOf(block.policy) ?? JSON.stringify(block.policy ?? '')),
  }));
}

/** Actions granted only when the approval policy enforces. */
export const APPROVAL_CONDITION = 'local.approval_enforced';

/**
 * The agency's policies must grant exactly the actions the code uses (`expected`), with
 * `approvalOnly` granted only under the approval switch, and OBS/SMN actions only on the module's
 * own bucket, prefix and topic.
 */
export function checkPolicies(config: TerraformConfig, expected: readonly string[], approvalOnly: readonly string[]): string[] {
  const problems: string[] = [];
  const policies = rolePolicies(config);
  if (policies.length === 0) return ['no huaweicloud_identity_role in the module'];

  const always = new Set<string>();
  const approval = new Set<string>();
  for (const { role, statements } of policies) {
    if (statements.length === 0) problems.push(`role ${role} has no statements with an Action`);
    for (const st of statements) {
      if (st.condition === undefined) st.actions.forEach((a) => always.add(a));
      else if (st.condition === APPROVAL_CONDITION) st.actions.forEach((a) => approval.add(a));
      else problems.push(`role ${role} grants ${st.actions.join(', ')} under an unexpected condition: ${st.condition}`);
      problems.push(...checkResources(role, st, config));
    }
  }

  const approvalSet = new Set(approvalOnly);
  const wantAlways = new Set(expected.filter((a) => !approvalSet.has(a)));
  for (const action of wantAlways) if (!always.has(action)) problems.push(`action ${action} is used by the code but not granted`);
  for (const action of always) {
    if (approvalSet.has(action)) problems.push(`action ${action} is granted unconditionally; it belongs behind ${APPROVAL_CONDITION}`);
    else if (!wantAlways.has(action)) problems.push(`action ${action} is granted but the code does not use it`);
  }
  for (const action of approvalSet) if (!approval.has(action)) problems.push(`action ${action} is not granted when ${APPROVAL_CONDITION} is true`);
  for (const action of approval) if (!approvalSet.has(action)) problems.push(`action ${action} is granted under ${APPROVAL_CONDITION} but is not an approval action`);
  return problems;
}

/** What a `${ref}` in a resource string points at, following one `local.` indirection. */
function resolveReference(ref: string, config: TerraformConfig): string {
  const local = /^local\.([A-Za-z0-9_]+)$/.exec(ref.trim());
  if (!local) return ref.trim();
  for (const block of config.locals) {
    if (local[1]! in block) return expressionOf(block[local[1]!]) ?? String(block[local[1]!]);
  }
  return ref.trim();
}

function checkResources(role: string, st: PolicyStatement, config: TerraformConfig): string[] {
  const problems: string[] = [];
  const services = new Set(st.actions.map((a) => a.split(':')[0]));
  const resources = st.resources ?? [];
  for (const r of resources) {
    if (r === '*' || /^[a-z]+:\*:\*:[a-z]+:\*$/.test(r)) problems.push(`role ${role} grants ${st.actions.join(', ')} on every resource (${r})`);
  }
  const scoped = ['obs', 'smn'].filter((s) => services.has(s));
  if (scoped.length > 0 && services.size > 1) {
    problems.push(`role ${role} mixes ${[...services].join(' and ')} actions in one statement; their resources differ`);
  }
  if (scoped.length > 0 && resources.length === 0) {
    problems.push(`role ${role} grants ${st.actions.join(', ')} without a Resource, i.e. on every ${scoped.join('/')} resource`);
  }
  const bucketRef = (ref: string) => /huaweicloud_obs_bucket\.[A-Za-z0-9_]+\.(bucket|id)/.test(resolveReference(ref, config));
  for (const r of resources) {
    if (st.actions.some((a) => a.startsWith('obs:object:'))) {
      const m = /^obs:\*:\*:object:\$\{([^}]+)\}\/\$\{([^}]+)\}\*$/.exec(r);
      if (!m || !bucketRef(m[1]!) || !/prefix/.test(m[2]!)) {
        problems.push(`role ${role}: object resource ${r} is not <the module's bucket>/<obs_prefix>*`);
      }
    }
    if (st.actions.some((a) => a.startsWith('obs:bucket:'))) {
      const m = /^obs:\*:\*:bucket:\$\{([^}]+)\}$/.exec(r);
      if (!m || !bucketRef(m[1]!)) problems.push(`role ${role}: bucket resource ${r} is not the module's bucket`);
    }
    if (services.has('smn')) {
      const m = /^smn:[^:]+:[^:]+:topic:\$\{([^}]+)\}$/.exec(r);
      if (!m || !/huaweicloud_smn_topic\.[A-Za-z0-9_]+\.name/.test(resolveReference(m[1]!, config))) {
        problems.push(`role ${role}: SMN resource ${r} is not the module's topic`);
      }
    }
  }
  return problems;
}
