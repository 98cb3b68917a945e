/**
 * Terraform values and the operations on them, for the expression evaluator in
 * terraform-expressions.ts: the type rules that matter for the module's conditions (a list never
 * equals a tuple) and the built-in functions its validations and locals call.
 */

export type Value = string | number | boolean | null | Seq | Obj;
export interface Seq {
  kind: 'list' | 'tuple';
  items: Value[];
}
export interface Obj {
  kind: 'object';
  fields: Record<string, Value>;
}

/** The expression uses syntax or a function this evaluator does not model. */
export class UnsupportedExpression extends Error {
  override readonly name = 'UnsupportedExpression';
}
/** Terraform would report an error evaluating the expression (not the same as `false`). */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}

export const list = (items: Value[]): Seq => ({ kind: 'list', items });

/** Converts a JS test value to a Terraform value (arrays become lists, as variables are typed). */
export function toValue(js: unknown): Value {
  if (js === null || js === undefined) return null;
  if (Array.isArray(js)) return list(js.map(toValue));
  if (typeof js === 'string' || typeof js === 'number' || typeof js === 'boolean') return js;
  if (typeof js === 'object') return { kind: 'object', fields: Object.fromEntries(Object.entries(js).map(([k, v]) => [k, toValue(v)])) };
  throw new UnsupportedExpression(`cannot convert ${typeof js}`);
}

/** Back to plain JS for assertions (lists and tuples both become arrays). */
export function toJs(value: Value): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value.kind === 'object') return Object.fromEntries(Object.entries(value.fields).map(([k, v]) => [k, toJs(v)]));
  return value.items.map(toJs);
}

// --- Semantics ---------------------------------------------------------------------------------------

export function fail(message: string): never {
  throw new EvaluationError(message);
}
export function bool(v: Value): boolean {
  return typeof v === 'boolean' ? v : fail(`expected a bool, got ${JSON.stringify(toJs(v))}`);
}
export function num(v: Value): number {
  return typeof v === 'number' ? v : fail(`expected a number, got ${JSON.stringify(toJs(v))}`);
}
export function str(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(`expected a string, got ${JSON.stringify(toJs(v))}`);
}
export function seq(v: Value): Seq {
  return v !== null && typeof v === 'object' && v.kind !== 'object' ? v : fail(`expected a list, got ${JSON.stringify(toJs(v))}`);
}

export function equal(a: Value, b: Value): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a.kind !== b.kind) return false; // list vs tuple, the ["*"] trap
  if (a.kind === 'object' || b.kind === 'object') return JSON.stringify(toJs(a)) === JSON.stringify(toJs(b));
  return a.items.length === b.items.length && a.items.every((item, i) => equal(item, b.items[i]!));
}

export function operate(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '||':
      return bool(a) || bool(b);
    case '&&':
      return bool(a) && bool(b);
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case '<':
      return num(a) < num(b);
    case '<=':
      return num(a) <= num(b);
    case '>':
      return num(a) > num(b);
    case '>=':
      return num(a) >= num(b);
    case '+':
      return num(a) + num(b);
    case '-':
      return num(a) - num(b);
    case '*':
      return num(a) * num(b);
    case '/':
      return num(a) / num(b);
    case '%':
      return num(a) % num(b);
    default:
      throw new UnsupportedExpression(`operator ${op}`);
  }
}

export function indexInto(base: Value, key: Value): Value {
  if (base !== null && typeof base === 'object' && base.kind === 'object') {
    const k = str(key);
    return k in base.fields ? base.fields[k]! : fail(`no attribute ${k}`);
  }
  const items = seq(base).items;
  const i = num(key);
  return i >= 0 && i < items.length ? items[i]! : fail(`index ${i} out of range`);
}

/** Terraform's regex() is RE2; the module's patterns use only syntax JS reads the same way. */
function re(pattern: Value): RegExp {
  return new RegExp(str(pattern), 'u');
}

export const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  regex: ([pattern, s]) => {
    const m = re(pattern!).exec(str(s!)) ?? fail(`regex ${str(pattern!)} does not match ${JSON.stringify(s)}`);
    return m.length > 1 ? list(m.slice(1).map((g) => g ?? null)) : m[0];
  },
  regexall: ([pattern, s]) => list([...str(s!).matchAll(new RegExp(str(pattern!), 'gu'))].map((m) => (m.length > 1 ? list(m.slice(1).map((g) => g ?? null)) : m[0]))),
  length: ([v]) => (typeof v === 'string' ? [...v].length : v !== null && typeof v === 'object' && v.kind === 'object' ? Object.keys(v.fields).length : seq(v!).items.length),
  contains: ([l, v]) => seq(l!).items.some((item) => equal(item, v!)),
  alltrue: ([l]) => seq(l!).items.every(bool),
  anytrue: ([l]) => seq(l!).items.some(bool),
  startswith: ([s, p]) => str(s!).startsWith(str(p!)),
  endswith: ([s, p]) => str(s!).endsWith(str(p!)),
  strcontains: ([s, p]) => str(s!).includes(str(p!)),
  upper: ([s]) => str(s!).toUpperCase(),
  lower: ([s]) => str(s!).toLowerCase(),
  split: ([sep, s]) => list(str(s!).split(str(sep!))),
  join: ([sep, l]) => seq(l!).items.map(str).join(str(sep!)),
  tolist: ([l]) => list(seq(l!).items),
  tostring: ([v]) => (v === null ? null : str(v!)),
  tonumber: ([v]) => {
    if (v === null || typeof v === 'number') return v ?? null;
    const n = Number(str(v!));
    return /^-?[0-9]+(\.[0-9]+)?$/.test(str(v!)) ? n : fail(`tonumber(${JSON.stringify(v)})`);
  },
  lookup: ([o, k, fallback]) => {
    if (o === null || typeof o !== 'object' || o.kind !== 'object') return fail('lookup() needs an object');
    const key = str(k!);
    return key in o.fields ? o.fields[key]! : fallback !== undefined ? fallback : fail(`lookup: no key ${key}`);
  },
  coalesce: (args) => args.find((a) => a !== null && a !== '') ?? fail('coalesce: no non-null argument'),
  floor: ([n]) => Math.floor(num(n!)),
  substr: ([s, offset, length]) => {
    const chars = [...str(s!)];
    const from = num(offset!) < 0 ? chars.length + num(offset!) : num(offset!);
    return chars.slice(from, num(length!) < 0 ? undefined : from + num(length!)).join('');
  },
  distinct: ([l]) => list(seq(l!).items.filter((item, i, all) => all.findIndex((x) => equal(x, item)) === i)),
};
