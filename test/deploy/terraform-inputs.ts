/**
 * Runs inputs through the module's own validation blocks, preconditions and locals with the
 * expression evaluator, so tests say "Terraform would accept 0 8 * * 1-5" rather than "the
 * condition mentions CRON_TZ". Each helper reports what Terraform would do: accept, reject with
 * the block's error_message, or fail evaluating the condition (a bug: the user would see an
 * evaluation error instead of the message).
 */
import { evaluate, EvaluationError, toJs, type Value } from './terraform-expressions';
import { expressionOf, resourceBlock, type TerraformConfig } from './terraform-checks';

export type Verdict = 'accepted' | 'rejected' | `evaluation error: ${string}`;

interface Check {
  condition: string;
  error_message: string;
}

/** Every `local.<name>` of the module, as expression text. */
export function localsOf(config: TerraformConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of config.locals) {
    for (const [name, value] of Object.entries(block)) out[name] = expressionOf(value) ?? JSON.stringify(value);
  }
  return out;
}

/** The declared default of every variable (what Terraform uses when the caller passes nothing). */
export function defaultsOf(config: TerraformConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config.variable).map(([name, [v]]) => [name, v?.default ?? null]));
}

function run(checks: readonly Check[], vars: Record<string, unknown>, config: TerraformConfig): Verdict {
  if (checks.length === 0) throw new Error('no conditions to run');
  let verdict: Verdict = 'accepted';
  for (const check of checks) {
    const text = expressionOf(check.condition) ?? String(check.condition);
    let result: Value;
    try {
      result = evaluate(text, { vars, locals: localsOf(config) });
    } catch (error) {
      if (error instanceof EvaluationError) return `evaluation error: ${error.message}`;
      throw error;
    }
    if (result !== true && result !== false) return `evaluation error: condition gave ${JSON.stringify(toJs(result))}`;
    if (!result) verdict = 'rejected';
  }
  return verdict;
}

/** What Terraform does with `value` for variable `name` (all of its validation blocks). */
export function validateVariable(config: TerraformConfig, name: string, value: unknown): Verdict {
  const checks = (config.variable[name]?.[0]?.validation as Check[] | undefined) ?? [];
  if (checks.length === 0) throw new Error(`variable ${name} has no validation`);
  return run(checks, { ...defaultsOf(config), [name]: value }, config);
}

/** The lifecycle preconditions of one resource, with the given variables over the defaults. */
export function checkPreconditions(config: TerraformConfig, type: string, name: string, vars: Record<string, unknown>): Verdict {
  const lifecycle = (resourceBlock(config, type, name)?.lifecycle as { precondition?: Check[] }[] | undefined)?.[0];
  return run(lifecycle?.precondition ?? [], { ...defaultsOf(config), ...vars }, config);
}

/** Evaluates an expression of the module (a local, a user_data value) for the given variables. */
export function evaluateIn(config: TerraformConfig, expr: string, vars: Record<string, unknown> = {}): unknown {
  return toJs(evaluate(expr, { vars: { ...defaultsOf(config), ...vars }, locals: localsOf(config) }));
}

/** Cases whose verdict differs from the expected one, formatted for a readable assertion. */
export function mismatches(cases: readonly (readonly [unknown, 'accepted' | 'rejected'])[], verdictOf: (value: unknown) => Verdict): string[] {
  return cases.flatMap(([value, want]) => {
    const got = verdictOf(value);
    return got === want ? [] : [`${JSON.stringify(value)}: expected ${want}, got ${got}`];
  });
}
