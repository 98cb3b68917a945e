/**
 * A small scanner for HCL expression *text*, as @cdktf/hcl2json hands it over (`"${jsonencode({...})}"`):
 * it drops comments, hides string contents from the structural scan and tracks brace depth, which
 * is enough to find object keys and policy statements in the shapes the module uses.
 */

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
