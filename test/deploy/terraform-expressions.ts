/**
 * Evaluates the small part of the HCL expression language the module's validations, preconditions
 * and locals use, so tests can run real inputs through the module's own condition text instead of
 * only reading it. The tests cannot rely on a terraform binary (a clean clone has none), so this
 * follows Terraform's semantics where they matter for our conditions (checked against
 * `terraform console` of Terraform 1.11 for every validation case in terraform-inputs.test.ts):
 *
 * - A `[...]` literal is a tuple; a `list(string)` variable and `tolist([...])` are lists. `==`
 *   compares types first, so a list never equals a tuple literal (why `var.x == ["*"]` is always
 *   false and the module must write `tolist(["*"])`).
 * - `||` and `&&` evaluate both sides (no short-circuit in the Terraform versions we support), so
 *   `var.x == null || length(var.x) > 0` is an error for null, not true.
 * - `cond ? a : b` reports only the chosen branch's errors.
 * - `regex()` fails when nothing matches; `can()` and `try()` turn failures into false / fallbacks.
 *
 * Anything outside this subset throws `UnsupportedExpression`, so a test can never pass by
 * silently misreading an expression.
 */

import {
  bool,
  EvaluationError,
  FUNCTIONS,
  indexInto,
  num,
  operate,
  seq,
  toValue,
  UnsupportedExpression,
  type Value,
} from './terraform-values';

export { EvaluationError, toJs, toValue, UnsupportedExpression, type Value } from './terraform-values';

export interface Scope {
  /** `var.<name>` values; JS arrays are converted to lists (declared list/set types). */
  vars: Record<string, unknown>;
  /** `local.<name>` expression texts, evaluated on demand in the same scope. */
  locals?: Record<string, string>;
  /** Iteration variables of `for` expressions and dynamic blocks (`each`, `resources`, …). */
  names?: Record<string, Value>;
}

export function evaluate(expr: string, scope: Scope): Value {
  const parser = new Parser(tokenize(expr));
  const node = parser.expression();
  parser.expect('eof');
  return node(scope);
}

// --- Tokens ----------------------------------------------------------------------------------------

type Token = { type: 'num'; value: number } | { type: 'str'; value: string } | { type: 'id'; value: string } | { type: 'op'; value: string } | { type: 'eof' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) i += 1;
    else if (ch === '#' || src.startsWith('//', i)) i = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    else if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ type: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      tokens.push({ type: 'id', value: m[0] });
      i += m[0].length;
    } else if (ch === '"') {
      let out = '';
      i += 1;
      while (src[i] !== '"') {
        if (i >= src.length) throw new UnsupportedExpression('unterminated string');
        if (src.startsWith('${', i) || src.startsWith('%{', i)) throw new UnsupportedExpression('string templates are not modelled');
        if (src[i] === '\\') {
          const esc = src[i + 1]!;
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
          if (esc in simple) {
            out += simple[esc];
            i += 2;
          } else if (esc === 'u') {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
          } else throw new UnsupportedExpression(`escape \\${esc}`);
        } else {
          out += src[i];
          i += 1;
        }
      }
      i += 1;
      tokens.push({ type: 'str', value: out });
    } else {
      const op = ['==', '!=', '<=', '>=', '&&', '||', '=>', '...'].find((o) => src.startsWith(o, i)) ?? ch;
      if (op.length === 1 && !OPERATOR_CHARS.has(op)) throw new UnsupportedExpression(`character ${op}`);
      tokens.push({ type: 'op', value: op });
      i += op.length;
    }
  }
  tokens.push({ type: 'eof' });
  return tokens;
}

// --- Parser (builds closures over the scope) --------------------------------------------------------

type Node = (scope: Scope) => Value;

/** Binary operators from loosest to tightest binding. */
const PRECEDENCE: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%']];
const OPERATOR_CHARS = new Set('+-*/%!<>?:()[]{},.='.split(''));

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private isOp(value: string): boolean {
    const t = this.peek();
    return t.type === 'op' && t.value === value;
  }
  private isId(value: string): boolean {
    const t = this.peek();
    return t.type === 'id' && t.value === value;
  }
  expect(type: 'eof' | 'op', value?: string): void {
    const t = this.tokens[this.pos++]!;
    if (t.type !== type || (value !== undefined && (t as { value: string }).value !== value)) {
      throw new UnsupportedExpression(`expected ${value ?? type}, found ${JSON.stringify(t)}`);
    }
  }

  expression(): Node {
    const condition = this.binary(0);
    if (!this.isOp('?')) return condition;
    this.pos += 1;
    const yes = this.expression();
    this.expect('op', ':');
    const no = this.expression();
    return (s) => (bool(condition(s)) ? yes(s) : no(s));
  }

  private binary(level: number): Node {
    if (level === PRECEDENCE.length) return this.unary();
    let left = this.binary(level + 1);
    const ops = PRECEDENCE[level]!;
    while (this.peek().type === 'op' && ops.includes((this.peek() as { value: string }).value)) {
      const op = (this.tokens[this.pos++] as { value: string }).value;
      const right = this.binary(level + 1);
      const l = left;
      // Both sides are evaluated before combining: Terraform does not short-circuit.
      left = (s) => operate(op, l(s), right(s));
    }
    return left;
  }

  private unary(): Node {
    if (this.isOp('!')) {
      this.pos += 1;
      const inner = this.unary();
      return (s) => !bool(inner(s));
    }
    if (this.isOp('-')) {
      this.pos += 1;
      const inner = this.unary();
      return (s) => -num(inner(s));
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    for (;;) {
      if (this.isOp('[')) {
        this.pos += 1;
        const index = this.expression();
        this.expect('op', ']');
        const base = node;
        node = (s) => indexInto(base(s), index(s));
      } else if (this.isOp('.') && this.tokens[this.pos + 1]?.type === 'id') {
        const name = (this.tokens[this.pos + 1] as { value: string }).value;
        this.pos += 2;
        const base = node;
        node = (s) => indexInto(base(s), name);
      } else return node;
    }
  }

  private primary(): Node {
    const t = this.tokens[this.pos++]!;
    if (t.type === 'num' || t.type === 'str') return () => t.value;
    if (t.type === 'op' && t.value === '(') {
      const inner = this.expression();
      this.expect('op', ')');
      return inner;
    }
    if (t.type === 'op' && t.value === '[') return this.tupleOrFor();
    if (t.type === 'op' && t.value === '{') return this.object();
    if (t.type !== 'id') throw new UnsupportedExpression(`unexpected ${JSON.stringify(t)}`);
    if (t.value === 'true' || t.value === 'false') return () => t.value === 'true';
    if (t.value === 'null') return () => null;
    if (this.isOp('(')) return this.call(t.value);
    return this.reference(t.value);
  }

  private reference(root: string): Node {
    if (root === 'var' || root === 'local') {
      this.expect('op', '.');
      const nameToken = this.tokens[this.pos++]!;
      if (nameToken.type !== 'id') throw new UnsupportedExpression(`${root}. followed by ${JSON.stringify(nameToken)}`);
      const name = nameToken.value;
      if (root === 'var') {
        return (s) => {
          if (!(name in s.vars)) throw new UnsupportedExpression(`var.${name} is not given to the evaluator`);
          return toValue(s.vars[name]);
        };
      }
      return (s) => {
        const text = s.locals?.[name];
        if (text === undefined) throw new UnsupportedExpression(`local.${name} is not known to the evaluator`);
        return evaluate(text, s);
      };
    }
    return (s) => {
      if (s.names && root in s.names) return s.names[root]!;
      throw new UnsupportedExpression(`reference ${root} (resources and data sources are not modelled)`);
    };
  }

  private tupleOrFor(): Node {
    if (this.isId('for')) {
      this.pos += 1;
      const first = this.tokens[this.pos++] as { value: string };
      let keyName: string | undefined;
      let valueName = first.value;
      if (this.isOp(',')) {
        this.pos += 1;
        keyName = first.value;
        valueName = (this.tokens[this.pos++] as { value: string }).value;
      }
      if (!this.isId('in')) throw new UnsupportedExpression('for without in');
      this.pos += 1;
      const collection = this.expression();
      this.expect('op', ':');
      const body = this.expression();
      let filter: Node | undefined;
      if (this.isId('if')) {
        this.pos += 1;
        filter = this.expression();
      }
      this.expect('op', ']');
      return (s) => {
        const items = seq(collection(s)).items;
        const out: Value[] = [];
        items.forEach((item, index) => {
          const inner: Scope = { ...s, names: { ...s.names, [valueName]: item, ...(keyName ? { [keyName]: index } : {}) } };
          if (!filter || bool(filter(inner))) out.push(body(inner));
        });
        return { kind: 'tuple', items: out };
      };
    }
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.expression());
      if (this.isOp(',')) this.pos += 1;
    }
    this.pos += 1;
    return (s) => ({ kind: 'tuple', items: items.map((n) => n(s)) });
  }

  private object(): Node {
    const fields: [string, Node][] = [];
    while (!this.isOp('}')) {
      const key = this.tokens[this.pos++]!;
      if (key.type !== 'id' && key.type !== 'str') throw new UnsupportedExpression(`object key ${JSON.stringify(key)}`);
      if (!this.isOp('=') && !this.isOp(':')) throw new UnsupportedExpression('object key without =');
      this.pos += 1;
      fields.push([key.value, this.expression()]);
      if (this.isOp(',')) this.pos += 1;
    }
    this.pos += 1;
    return (s) => ({ kind: 'object', fields: Object.fromEntries(fields.map(([k, n]) => [k, n(s)])) });
  }

  private call(name: string): Node {
    this.expect('op', '(');
    const args: Node[] = [];
    while (!this.isOp(')')) {
      args.push(this.expression());
      if (this.isOp(',')) this.pos += 1;
    }
    this.pos += 1;
    if (name === 'can') {
      return (s) => {
        try {
          args[0]!(s);
          return true;
        } catch (error) {
          if (error instanceof UnsupportedExpression) throw error;
          return false;
        }
      };
    }
    if (name === 'try') {
      return (s) => {
        for (const arg of args) {
          try {
            return arg(s);
          } catch (error) {
            if (error instanceof UnsupportedExpression) throw error;
          }
        }
        throw new EvaluationError('try(): no argument could be evaluated');
      };
    }
    const fn = FUNCTIONS[name];
    if (!fn) throw new UnsupportedExpression(`function ${name}()`);
    return (s) => fn(args.map((a) => a(s)));
  }
}

