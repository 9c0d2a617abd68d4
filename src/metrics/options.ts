/** Checks the options of `createMetrics`, each error naming the option, what it got and what is valid. */
import { type Registry, register } from 'prom-client';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';

/** Labels bulwark's metrics use themselves, so a constant label cannot take their names. */
const RESERVED = ['breaker', 'state', 'outcome', 'from', 'to', 'policy', 'reason', 'check', 'result', 'le'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

export interface Settings {
  readonly registry: Registry;
  readonly prefix: string;
  readonly constant: Readonly<Record<string, string>>;
  readonly constantNames: readonly string[];
}

export function metricsSettings(options: unknown): Settings {
  const where = 'createMetrics';
  checkOptionsObject(where, options);
  const o = (options ?? {}) as Record<string, unknown>;
  checkKnownKeys(where, o, ['registry', 'prefix', 'labels']);
  const registry = o.registry ?? register;
  const r = registry as Partial<Record<string, unknown>>;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof r.registerMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function' ||
    typeof r.metrics !== 'function'
  ) {
    throw new TypeError(
      `${where}: option "registry" must be a prom-client Registry (new Registry(), or leave it unset for the global register); got ${describe(o.registry)}`,
    );
  }
  const prefix = o.prefix ?? 'bulwark_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new TypeError(
      `${where}: option "prefix" must be a string that starts a Prometheus metric name (letters, digits, _ and :, not starting with a digit), e.g. "bulwark_" or "myapp_"; got ${describe(prefix)}`,
    );
  }
  const labels = o.labels ?? {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new TypeError(
      `${where}: option "labels" must be an object of label names to string values; got ${describe(labels)}`,
    );
  }
  const constant: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(
        `${where}: option "labels" has the label name ${JSON.stringify(name)}, which Prometheus refuses; use letters, digits and _, not starting with a digit or __`,
      );
    }
    if (RESERVED.includes(name)) {
      throw new TypeError(
        `${where}: option "labels" has the label name "${name}", which bulwark's metrics use themselves; reserved: ${RESERVED.join(', ')}`,
      );
    }
    if (typeof value !== 'string') {
      throw new TypeError(`${where}: option "labels.${name}" must be a string; got ${describe(value)}`);
    }
    constant[name] = value;
  }
  const constantNames = Object.keys(constant).sort();
  return { registry: registry as Registry, prefix, constant: Object.freeze(constant), constantNames };
}
