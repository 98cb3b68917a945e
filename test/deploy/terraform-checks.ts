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
import { objectKeys, policyStatements, scanExpression, type ObjectKey, type PolicyStatement } from './terraform-scan';

export { objectKeys } from './terraform-scan';

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

/** The module the deploy tests read. */
export const MODULE_DIR = join(__dirname, '../../deploy/terraform/modules/vpcep-connection-monitor');

/**
 * The module with `from` replaced by `to` in one file: a broken copy, to prove a check notices.
 * Throws when nothing was replaced, so a check can never pass on an unbroken copy by accident.
 */
export async function loadBroken(file: string, from: string | RegExp, to: string): Promise<TerraformConfig> {
  const text = await readFile(join(MODULE_DIR, file), 'utf8');
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`the broken copy of ${file} is not broken: ${String(from)} is not in it`);
  return loadModule(MODULE_DIR, { [file]: changed });
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

/**
 * `expr` with every `local.<name>` replaced by that local's text, recursively: user_data is
 * `jsonencode(local.environment)`, which merges `local.optional_settings` (settings.tf).
 */
export function withLocals(config: TerraformConfig, expr: string, depth = 0): string {
  if (depth > 5) throw new Error(`locals nest deeper than 5 in ${expr.slice(0, 80)}`);
  const locals = Object.assign({}, ...config.locals) as Record<string, unknown>;
  return expr.replace(/\blocal\.([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => {
    const text = expressionOf(locals[name]);
    return text === undefined || !/[{}]/.test(text) ? whole : `(${withLocals(config, text, depth + 1)})`;
  });
}

/** The function's environment as one expression: user_data with its locals spelled out. */
export function environmentExpression(config: TerraformConfig): string {
  const [, fn] = resourcesOfType(config, 'huaweicloud_fgs_function')[0]!;
  return withLocals(config, expressionOf(fn.user_data)!);
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

  const keys = objectKeys(withLocals(config, expr));
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

/**
 * The timer trigger's event_data must carry `sync_execution = false`: providers from 1.75.2 send
 * it and read it back, so leaving it out shows a change in every plan.
 */
export function checkTimerEventData(config: TerraformConfig): string[] {
  const triggers = resourcesOfType(config, 'huaweicloud_fgs_function_trigger').filter(([, t]) => t.type === 'TIMER');
  if (triggers.length !== 1) return [`expected one TIMER trigger, found ${triggers.length}`];
  const expr = expressionOf(triggers[0]![1].event_data) ?? '';
  const { clean } = scanExpression(expr);
  const keys = objectKeys(expr).filter((k) => k.name === 'sync_execution');
  const value = keys.length === 1 ? /^sync_execution\s*=\s*([^\s,}]+)/.exec(clean.slice(keys[0]!.index))?.[1] : undefined;
  return value === 'false' ? [] : ['event_data has no sync_execution = false (providers from 1.75.2 read it back)'];
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

/**
 * Actions granted only behind a switch, by the local that guards them: accepting or rejecting
 * connections only when the approval policy enforces, sending Cloud Eye metrics only when a
 * namespace is set.
 */
export type ConditionalGrants = Readonly<Record<string, readonly string[]>>;

/**
 * The agency's policies must grant exactly the actions the code uses (`expected`), each action of
 * `conditional` only under its switch, and OBS actions only on the module's own bucket and prefix.
 */
export function checkPolicies(config: TerraformConfig, expected: readonly string[], conditional: ConditionalGrants): string[] {
  const problems: string[] = [];
  const policies = rolePolicies(config);
  if (policies.length === 0) return ['no huaweicloud_identity_role in the module'];

  const switchOf = new Map(Object.entries(conditional).flatMap(([guard, actions]) => actions.map((a) => [a, guard] as const)));
  const granted = new Map<string, Set<string>>(); // guard ('' for none) -> actions
  for (const { role, statements } of policies) {
    if (statements.length === 0) problems.push(`role ${role} has no statements with an Action`);
    for (const st of statements) {
      const guard = st.condition ?? '';
      if (guard !== '' && !(guard in conditional)) problems.push(`role ${role} grants ${st.actions.join(', ')} under an unexpected condition: ${st.condition}`);
      for (const action of st.actions) granted.set(guard, (granted.get(guard) ?? new Set()).add(action));
      problems.push(...checkResources(role, st, config));
    }
  }

  const always = granted.get('') ?? new Set<string>();
  for (const action of expected) {
    const guard = switchOf.get(action);
    if (guard === undefined && !always.has(action)) problems.push(`action ${action} is used by the code but not granted`);
    if (guard !== undefined && !granted.get(guard)?.has(action)) problems.push(`action ${action} is not granted when ${guard} is true`);
  }
  for (const [guard, actions] of granted) {
    for (const action of actions) {
      const want = switchOf.get(action);
      if (!expected.includes(action)) problems.push(`action ${action} is granted but the code does not use it`);
      else if (guard === '' && want !== undefined) problems.push(`action ${action} is granted unconditionally; it belongs behind ${want}`);
      else if (guard !== '' && want !== guard) problems.push(`action ${action} is granted under ${guard}, which is not its switch`);
    }
  }
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
  if (services.size > 1 && ['obs', 'smn'].some((s) => services.has(s))) {
    problems.push(`role ${role} mixes ${[...services].join(' and ')} actions in one statement; their resources differ`);
  }
  if (services.has('obs') && resources.length === 0) {
    problems.push(`role ${role} grants ${st.actions.join(', ')} without a Resource, i.e. on every obs resource`);
  }
  // Role-based custom policies have no documented topic-level resource for SMN (only identity
  // policies do): a Resource there may silently match nothing, so publish must carry none.
  if (services.has('smn') && resources.length > 0) {
    problems.push(`role ${role}: SMN statement has Resource ${resources.join(', ')}; role-based policies document no topic-level resource for SMN`);
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
  }
  return problems;
}
