/**
 * `${VAR}` and `${VAR:-default}` in string values from files, filled from the environment after
 * parsing (so a value can never inject structure). A default may itself hold references
 * (`${X:-${Y:-d}}`), up to {@link MAX_DEFAULT_NESTING} deep. `$${` is a literal `${`. As in a
 * shell, the default is used when the variable is unset or empty.
 */
import { MAX_DEFAULT_NESTING } from './limits.js';
import type { Path } from './paths.js';
import { isPlainObject } from './paths.js';

/** Why a string could not be expanded. `unset` names the variable when that is the reason. */
export interface ExpandProblem {
  readonly path: Path;
  readonly message: string;
  readonly unset?: string;
}

/** What expanding one file's values gave. */
export interface Expanded {
  readonly value: unknown;
  readonly problems: ExpandProblem[];
  /** Paths whose value took a variable, with the variables' names. */
  readonly used: { path: Path; names: string[] }[];
}

/** The environment, read by own keys only (see `ownEnv`). */
export type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The message for a variable that is unset and has no default. */
export function unsetMessage(name: string): string {
  // Says how to give a default without repeating the reference: in a secret setting the
  // reference itself is scrubbed, and `NAME_KEY:-x` reads to the redactor as a secret.
  return `environment variable ${name} is not set, and its reference has no default; set ${name}, or give a default as in \${NAME:-default}`;
}

class Expander {
  readonly problems: { message: string; unset?: string }[] = [];
  readonly names: string[] = [];
  constructor(
    readonly text: string,
    readonly env: Env,
  ) {}

  /**
   * Expands from `start` until the end, or until a `}` closing the enclosing default when
   * `depth > 0`. Returns the text and where it stopped (the index of that `}`, or -1 at the end).
   */
  run(start: number, depth: number): { out: string; end: number } {
    const { text } = this;
    let out = '';
    let i = start;
    while (i < text.length) {
      const c = text[i];
      if (depth > 0 && c === '}') return { out, end: i };
      if (c === '$' && text.startsWith('$${', i)) {
        out += '${';
        i += 3;
      } else if (c === '$' && text[i + 1] === '{') {
        const ref = this.#reference(i, depth);
        if (ref === undefined) return { out, end: -2 };
        out += ref.value;
        i = ref.next;
      } else {
        out += c;
        i++;
      }
    }
    return { out, end: -1 };
  }

  #reference(at: number, depth: number): { value: string; next: number } | undefined {
    const { text } = this;
    const open = at + 2;
    const close = text.indexOf('}', open);
    if (close === -1)
      return this.#bad(`"${text.slice(at, at + 20)}" is not closed; write \${NAME} or \${NAME:-default}`);
    const inside = text.slice(open, close).indexOf(':-');
    const hasDefault = inside !== -1;
    const colon = open + inside;
    const name = text.slice(open, hasDefault ? colon : close);
    if (!NAME.test(name)) {
      return this.#bad(`"\${${name}}" is not a valid reference; write \${NAME} or \${NAME:-default}`);
    }
    this.names.push(name);
    const set = Object.hasOwn(this.env, name) ? this.env[name] : undefined;
    if (!hasDefault) {
      if (set === undefined || set === '') this.problems.push({ message: unsetMessage(name), unset: name });
      return { value: set ?? text.slice(at, close + 1), next: close + 1 };
    }
    if (depth + 1 > MAX_DEFAULT_NESTING) {
      return this.#bad(`defaults nested more than ${MAX_DEFAULT_NESTING} deep in \${${name}:-...}`);
    }
    const fallback = this.run(colon + 2, depth + 1);
    if (fallback.end === -2) return undefined;
    if (fallback.end === -1) return this.#bad(`"\${${name}:-" is not closed; write \${${name}:-default}`);
    return { value: set !== undefined && set !== '' ? set : fallback.out, next: fallback.end + 1 };
  }

  #bad(message: string): undefined {
    this.problems.push({ message });
    return undefined;
  }
}

function expandString(text: string, env: Env, path: Path, problems: ExpandProblem[], names: string[]): string {
  if (!text.includes('${')) return text;
  const expander = new Expander(text, env);
  const { out, end } = expander.run(0, 0);
  names.push(...expander.names);
  for (const problem of expander.problems) problems.push({ path, ...problem });
  return end === -2 ? text : out;
}

/** Expands every string in a parsed file's value (already clean data); never mutates it. */
export function expandValues(value: unknown, env: Env): Expanded {
  const problems: ExpandProblem[] = [];
  const used: { path: Path; names: string[] }[] = [];
  // One path, pushed and popped as the walk goes; copied only for a string that has a `${`.
  const path: (string | number)[] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node;
      const at = [...path];
      const names: string[] = [];
      const out = expandString(node, env, at, problems, names);
      if (names.length > 0) used.push({ path: at, names });
      return out;
    }
    if (Array.isArray(node)) {
      const out: unknown[] = new Array(node.length);
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        out[i] = walk(node[i]);
        path.pop();
      }
      return out;
    }
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = Object.create(null);
      for (const key of Object.keys(node)) {
        path.push(key);
        out[key] = walk(node[key]);
        path.pop();
      }
      return out;
    }
    return node;
  };
  return { value: walk(value), problems, used };
}

/**
 * The environment as a null-prototype record of its own string values, so `${constructor}` or an
 * env object with inherited entries never reads `Object.prototype`. May throw for a hostile object.
 */
export function ownEnv(env: object): Env {
  const out: Record<string, string> = Object.create(null);
  for (const key of Object.keys(env)) {
    const value = (env as Record<string, unknown>)[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}
