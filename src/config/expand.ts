/**
 * `${VAR}` and `${VAR:-default}` in string values from files, filled from the environment after
 * parsing (so a value can never inject structure). `$${` is a literal `${`. As in a shell, the
 * default is used when the variable is unset or empty.
 */
import type { Path } from './paths.js';
import { isPlainObject } from './paths.js';

/** Why a string could not be expanded. */
export interface ExpandProblem {
  readonly path: Path;
  readonly message: string;
}

/** What expanding one file's values gave. */
export interface Expanded {
  readonly value: unknown;
  readonly problems: ExpandProblem[];
  /** Paths whose value took a variable, with the variables' names. */
  readonly used: { path: Path; names: string[] }[];
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?/g;

function expandString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: Path,
  problems: ExpandProblem[],
  names: string[],
): string {
  if (!text.includes('${')) return text;
  return text.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined, bad: string) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      problems.push({
        path,
        message: `"\${${bad}${match.endsWith('}') ? '}' : ''}" is not a valid reference; write \${NAME} or \${NAME:-default}`,
      });
      return match;
    }
    names.push(name);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    problems.push({
      path,
      // Says how to give a default without repeating the reference: in a secret setting the
      // reference itself is scrubbed, and `NAME_KEY:-x` reads to the redactor as a secret.
      message: `environment variable ${name} is not set, and its reference has no default; set ${name}, or give a default as in \${NAME:-default}`,
    });
    return match;
  });
}

/** Expands every string in a parsed file's value; never mutates it. */
export function expandValues(value: unknown, env: Readonly<Record<string, string | undefined>>): Expanded {
  const problems: ExpandProblem[] = [];
  const used: { path: Path; names: string[] }[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      const names: string[] = [];
      const out = expandString(node, env, path, problems, names);
      if (names.length > 0) used.push({ path, names });
      return out;
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(node)) out[key] = walk(inner, [...path, key]);
      return out;
    }
    return node;
  };
  return { value: walk(value, []), problems, used };
}
