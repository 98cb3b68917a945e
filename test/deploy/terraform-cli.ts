/**
 * Asks Terraform itself what the module's variables accept, with no provider and no network:
 * variables.tf and settings.tf hold no resource, so a copy of them is a module Terraform can plan
 * on its own. Every case becomes one `module "case_N"` call in one root module, so one `init` and
 * a few `plan`s answer a whole table in seconds:
 *
 *   1. `validate` the checked copy: each "Invalid value for variable" names its module call;
 *   2. `plan` the cases that passed: what is left is the settings-size precondition (an output's,
 *      which validate does not evaluate), whose message names the function (`name` is `case-N`);
 *   3. meanwhile `apply` a copy without validations or preconditions, to read the settings
 *      Terraform renders for every case (what FunctionGraph would hand the function).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MODULE_DIR } from './terraform-checks';

const run = promisify(execFile);

/** The terraform binary, or undefined when this machine has none (the caller says so). */
export function terraformBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'terraform'))) return join(dir, 'terraform');
  }
  return undefined;
}

export type Vars = Record<string, unknown>;

export interface CaseResult {
  verdict: 'accepted' | 'rejected';
  /** Terraform's error messages for the case (variable validations, then the size precondition). */
  errors: string[];
  /** The settings as rendered by settings.tf: `local.planned_environment`. */
  environment: Record<string, string>;
  settingsLength: number;
}

/** An HCL literal for a JSON-like value; `${` and `%{` are escaped so nothing is interpolated. */
export function hcl(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(hcl).join(', ')}]`;
  return `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} = ${hcl(v)}`).join(', ')} }`;
}

interface Diagnostic {
  severity: string;
  summary: string;
  detail: string;
  snippet?: { context?: string; code?: string };
}

async function terraform(binary: string, cwd: string, args: string[]): Promise<{ diagnostics: Diagnostic[]; ok: boolean; stdout: string }> {
  const env = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' };
  try {
    const { stdout } = await run(binary, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { diagnostics: diagnosticsOf(stdout), ok: true, stdout };
  } catch (error) {
    const stdout = String((error as { stdout?: string }).stdout ?? '');
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    const diagnostics = diagnosticsOf(stdout);
    if (diagnostics.length === 0) throw new Error(`terraform ${args[0]} failed without a diagnostic: ${stderr || stdout}`);
    return { diagnostics, ok: false, stdout };
  }
}

function diagnosticsOf(stdout: string): Diagnostic[] {
  // `validate -json` prints one document with a diagnostics list; plan and apply print a line each.
  if (stdout.trimStart().startsWith('{\n')) {
    const document = JSON.parse(stdout) as { diagnostics?: Diagnostic[] };
    return (document.diagnostics ?? []).filter((d) => d.severity === 'error');
  }
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type?: string; diagnostic?: Diagnostic })
    .flatMap((entry) => (entry.type === 'diagnostic' && entry.diagnostic?.severity === 'error' ? [entry.diagnostic] : []));
}

function rootModule(source: string, cases: readonly Vars[], only: readonly number[], outputs: boolean): string {
  return only
    .map((i) => {
      const args = Object.entries({ ...cases[i], name: `case-${i}`, package_path: 'package.zip' }).map(([k, v]) => `  ${k} = ${hcl(v)}`);
      const output = `output "case_${i}" {\n  value = { environment = module.case_${i}.environment, length = module.case_${i}.settings_length }\n}\n`;
      return `module "case_${i}" {\n  source = "${source}"\n${args.join('\n')}\n}\n${outputs ? output : ''}`;
    })
    .join('\n');
}

/**
 * Variables whose validations read other variables, or that feed the settings-size check in a
 * big way, or that other settings are built from: a case that sets one of them gets a module call
 * of its own. Any other case sets one variable and shares a call with cases of other variables,
 * which is what keeps the table fast (Terraform's cost is per call). Errors name the argument, so
 * each still lands on its case.
 */
const ALONE = new Set(['approval_mode', 'auto_accept_domains', 'auto_reject_domains', 'region', 'bucket_name', 'name', 'package_path']);

interface Call {
  cases: number[];
  vars: Vars;
}

function packCalls(base: Vars, cases: readonly Vars[]): Call[] {
  const calls: Call[] = [{ cases: [], vars: { ...base } }]; // call 0: the base alone, to render from
  const shared: Call[] = [];
  cases.forEach((vars, i) => {
    const own = Object.keys(vars).filter((k) => !(k in base) || JSON.stringify(base[k]) !== JSON.stringify(vars[k]));
    const packable = own.length === 1 && !ALONE.has(own[0]!) && JSON.stringify(vars[own[0]!]).length < 300;
    if (!packable) return calls.push({ cases: [i], vars: { ...base, ...vars } });
    const call = shared.find((c) => !(own[0]! in c.vars));
    if (call) {
      call.cases.push(i);
      call.vars[own[0]!] = vars[own[0]!];
    } else {
      const fresh = { cases: [i], vars: { ...base, [own[0]!]: vars[own[0]!] } };
      shared.push(fresh);
      calls.push(fresh);
    }
  });
  return calls;
}

/** Setting name → the variables it is built from, read off settings.tf. */
function settingSources(settingsTf: string): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const match of settingsTf.matchAll(/^\s+([A-Z][A-Z0-9_]+)\s*=\s*(.+)$/gm)) {
    sources.set(match[1]!, [...new Set([...match[2]!.matchAll(/var\.([a-z_]+)/g)].map((m) => m[1]!))]);
  }
  return sources;
}

/**
 * What Terraform says to each case (`base` under each case's own variables): its verdict, its
 * errors, and the settings it renders. Every call gets `name = "case-N"` and a package_path.
 */
export async function planCases(binary: string, base: Vars, cases: readonly Vars[]): Promise<CaseResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-agreement-'));
  try {
    const variables = await readFile(join(MODULE_DIR, 'variables.tf'), 'utf8');
    const settings = await readFile(join(MODULE_DIR, 'settings.tf'), 'utf8');
    const output = 'output "environment" {\n  value = local.planned_environment\n}\n';
    // The same files without their checks, to render every case's settings, refused ones too.
    const unchecked = (text: string) => text.replace(/\n  validation \{\n[\s\S]*?\n  \}\n/g, '\n').replace(/\n  precondition \{\n[\s\S]*?\n  \}\n/g, '\n');
    if (/validation \{|precondition \{/.test(unchecked(variables) + unchecked(settings))) throw new Error('a check was left in the unchecked copy');
    for (const [module, files] of [['checked', [variables, settings]], ['raw', [unchecked(variables), unchecked(settings)]]] as const) {
      await mkdir(join(dir, module));
      await writeFile(join(dir, module, 'variables.tf'), files[0]);
      await writeFile(join(dir, module, 'settings.tf'), files[1]);
      await writeFile(join(dir, module, 'outputs.tf'), output);
    }

    const calls = packCalls(base, cases);
    /** A root module in its own directory calling `module` once per call in `only`. */
    const root = async (name: string, module: string, only: readonly number[], outputs: boolean) => {
      const at = join(dir, name);
      await mkdir(at);
      await writeFile(join(at, 'package.zip'), '');
      await writeFile(join(at, 'main.tf'), rootModule(`../${module}`, calls.map((c) => c.vars), only, outputs));
      await terraform(binary, at, ['init', '-input=false', '-no-color', '-json', '-backend=false']);
      return at;
    };

    const errors = new Map<number, string[]>(cases.map((_, i) => [i, []]));
    const record = (diagnostics: Diagnostic[]) => {
      for (const d of diagnostics) {
        const call = calls[Number((/module "case_(\d+)"/.exec(d.snippet?.context ?? '') ?? /function case-(\d+) /.exec(d.detail))?.[1] ?? NaN)];
        const argument = /^\s*([a-z_]+)\s*=/.exec(d.snippet?.code ?? '')?.[1];
        const owner = call?.cases.length === 1 ? call.cases[0] : call?.cases.find((i) => argument !== undefined && argument in cases[i]!);
        if (owner === undefined) throw new Error(`terraform: ${d.summary}: ${d.detail} (for no one case)`);
        errors.get(owner)!.push(d.detail.replace(/\n\nThis was checked by[\s\S]*$/, ''));
      }
    };
    const everyCall = calls.map((_, n) => n);

    // The settings every call renders, from a copy with no checks (alongside the checks below).
    const rendering = (async () => {
      const at = await root('render', 'raw', everyCall, true);
      const applied = await terraform(binary, at, ['apply', '-auto-approve', '-input=false', '-no-color', '-json', '-lock=false']);
      if (!applied.ok) throw new Error(`terraform apply of the unchecked copy failed: ${applied.diagnostics.map((d) => d.detail).join('; ')}`);
      const { stdout } = await run(binary, ['output', '-json', '-no-color'], { cwd: at, env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
      return JSON.parse(stdout) as Record<string, { value: { environment: Record<string, string>; length: number } }>;
    })();

    // Variable validations: `validate` evaluates them for known arguments, and is the fast one.
    record((await terraform(binary, await root('validate', 'checked', everyCall, false), ['validate', '-no-color', '-json'])).diagnostics);
    // What validate leaves out: the settings-size precondition (an output's), which takes a plan.
    const passed = everyCall.filter((n) => calls[n]!.cases.every((i) => errors.get(i)!.length === 0));
    record((await terraform(binary, await root('plan', 'checked', passed, false), ['plan', '-input=false', '-no-color', '-json', '-refresh=false', '-lock=false'])).diagnostics);

    const outputs = await rendering;
    const rendered = (n: number) => outputs[`case_${n}`]!.value;
    const sources = settingSources(settings);
    return cases.map((vars, i) => {
      const n = calls.findIndex((c) => c.cases.includes(i));
      const call = rendered(n);
      if (calls[n]!.cases.length === 1) return { verdict: errors.get(i)!.length === 0 ? 'accepted' : 'rejected', errors: errors.get(i)!, environment: call.environment, settingsLength: call.length };
      // A shared call: the base's settings, with those built from this case's variable.
      const environment = { ...rendered(0).environment };
      for (const [setting, from] of sources) {
        if (!from.some((v) => v in vars)) continue;
        if (setting in call.environment) environment[setting] = call.environment[setting]!;
        else delete environment[setting];
      }
      return { verdict: errors.get(i)!.length === 0 ? 'accepted' : 'rejected', errors: errors.get(i)!, environment, settingsLength: [...JSON.stringify(environment)].length };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
