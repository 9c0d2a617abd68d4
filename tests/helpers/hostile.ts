/**
 * Hostile inputs shared by every suite that feeds user data to bulwark (config, classify, the
 * redactor, the logger). Each arbitrary builds FRESH objects per generated case, so a getter's
 * read counter or a revoked proxy never leaks from one run into the next.
 *
 * The exports are a stable contract other suites import: add new ones, do not rename these.
 */
import fc from 'fast-check';

/** Keys that reach a prototype when a naive merge or lookup uses them. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** The Proxy traps {@link throwingProxy} can make throw. */
export const TRAP_NAMES = [
  'get',
  'getPrototypeOf',
  'has',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'set',
  'defineProperty',
  'deleteProperty',
  'apply',
] as const;
export type TrapName = (typeof TRAP_NAMES)[number];

/** The error every throwing trap or getter throws, so a test can tell it from the real one. */
export class HostileTrapError extends Error {
  constructor(what: string) {
    super(`hostile: ${what}`);
    this.name = 'HostileTrapError';
  }
}

/** A Proxy of `target` whose listed traps throw {@link HostileTrapError}; the others pass through. */
export function throwingProxy<T extends object>(target: T, traps: readonly TrapName[] = TRAP_NAMES): T {
  const handler: ProxyHandler<T> = {};
  for (const trap of traps) {
    (handler as Record<string, unknown>)[trap] = () => {
      throw new HostileTrapError(`${trap} trap`);
    };
  }
  return new Proxy(target, handler);
}

/** A Proxy already revoked: every operation on it throws a TypeError. */
export function revokedProxy<T extends object>(target: T = {} as T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** A fresh object whose prototype is `proto` (e.g. a throwing or revoked proxy). */
export function inheritingFrom(proto: object): object {
  return Object.create(proto) as object;
}

/** An Error whose prototype chain runs through a Proxy with throwing traps. */
export function errorOverProxy(traps: readonly TrapName[] = ['get', 'getPrototypeOf', 'has']): Error {
  const err = new Error('over a proxy');
  Object.setPrototypeOf(err, throwingProxy(Object.create(Error.prototype) as object, traps));
  return err;
}

/** Own keys that hold secrets in the objects below, so redaction suites can look for the values. */
export const SECRET_VALUE = 'hunter2-SECRET-VALUE';

/** A getter that returns a harmless value on the first read and {@link SECRET_VALUE} afterwards. */
export function changingGetter(first: unknown = 'harmless'): object {
  let reads = 0;
  return Object.defineProperty({}, 'password', {
    enumerable: true,
    get: () => (reads++ === 0 ? first : SECRET_VALUE),
  });
}

/** An object with a getter that throws on every read. */
export function throwingGetter(key = 'password'): object {
  return Object.defineProperty({}, key, {
    enumerable: true,
    get: () => {
      throw new HostileTrapError(`getter ${key}`);
    },
  });
}

/** A Proxy that answers a different value on each read of any key (first read harmless). */
export function shiftingProxy(): object {
  let reads = 0;
  return new Proxy({ password: 'harmless' } as Record<string, unknown>, {
    get: (target, key) => (key === 'password' && reads++ > 0 ? SECRET_VALUE : Reflect.get(target, key)),
  });
}

/**
 * A hostile value travels in a box: fast-check itself inspects what an arbitrary produces (it asks
 * `cloneMethod in value`, and prints values on failure), which a throwing Proxy would break. `make()`
 * builds a FRESH value each call, so a shrink or a re-run never sees a getter already read or a
 * counter already moved.
 */
export interface Hostile<T = unknown> {
  /** What kind of value this is, printed by fast-check when a property fails. */
  readonly label: string;
  /** Builds a fresh instance. */
  make(): T;
}

/** Builds a {@link Hostile} box. */
export function hostile<T>(label: string, make: () => T): Hostile<T> {
  return { label, make, [fc.toStringMethod]: () => label } as Hostile<T>;
}

function boxes<T>(label: string, make: () => T): fc.Arbitrary<Hostile<T>> {
  return fc.constant(null).map(() => hostile(label, make));
}

/** Objects whose `toJSON` (enumerable or not, own or inherited, on arrays too) returns a secret. */
export function withToJSON(): fc.Arbitrary<Hostile> {
  return fc.constantFrom('enumerable', 'hidden', 'inherited', 'array', 'throws').map((kind) =>
    hostile(`toJSON:${kind}`, () => {
      const toJSON = () => ({ password: SECRET_VALUE });
      switch (kind) {
        case 'enumerable':
          return { note: 'plain', toJSON };
        case 'hidden':
          return Object.defineProperty({ note: 'hidden' }, 'toJSON', { value: toJSON, enumerable: false });
        case 'inherited':
          return Object.create({ toJSON }) as object;
        case 'array':
          return Object.assign(['a', 'b'], { toJSON });
        default:
          return {
            toJSON: () => {
              throw new HostileTrapError('toJSON');
            },
          };
      }
    }),
  );
}

/** Objects with getters: throwing, changing between reads, or a Proxy answering differently each read. */
export function withGetters(): fc.Arbitrary<Hostile<object>> {
  return fc.oneof(
    boxes('changing getter', () => changingGetter()),
    fc
      .string({ maxLength: 8 })
      .map((key) => hostile(`throwing getter ${key}`, () => throwingGetter(key.length > 0 ? key : 'password'))),
    boxes('shifting proxy', () => shiftingProxy()),
  );
}

/** Proxies with throwing traps, revoked proxies, and ordinary objects and errors over such a proxy. */
export function hostileProxy(): fc.Arbitrary<Hostile<object>> {
  const traps = fc.subarray([...TRAP_NAMES], { minLength: 1 });
  const withTraps = (label: string, make: (t: TrapName[]) => object) =>
    traps.map((t) => hostile(`${label} [${t.join(',')}]`, () => make(t)));
  return fc.oneof(
    withTraps('proxy of object', (t) => throwingProxy({ password: SECRET_VALUE }, t)),
    withTraps('proxy of error', (t) => throwingProxy(new Error('proxied error'), t)),
    withTraps('proxy of 503 error', (t) => throwingProxy(Object.assign(new Error('proxied'), { status: 503 }), t)),
    boxes('revoked proxy', () => revokedProxy()),
    boxes('revoked proxy of error', () => revokedProxy(new Error('revoked'))),
    withTraps('object over proxy', (t) => inheritingFrom(throwingProxy({}, t))),
    withTraps('error over proxy', (t) => errorOverProxy(t)),
    boxes('object over revoked proxy', () => inheritingFrom(revokedProxy())),
  );
}

/** An object, array or error that contains itself (directly or one level down). */
export function cyclic(): fc.Arbitrary<Hostile<object>> {
  return fc.constantFrom('self', 'nested', 'array', 'cause').map((kind) =>
    hostile(`cyclic:${kind}`, () => {
      if (kind === 'array') {
        const a: unknown[] = [1];
        a.push(a);
        return a;
      }
      if (kind === 'cause') {
        const err = new Error('cyclic cause') as Error & { cause?: unknown };
        err.cause = err;
        return err;
      }
      const o: Record<string, unknown> = { a: 1 };
      if (kind === 'self') o.self = o;
      else o.child = { parent: o };
      return o;
    }),
  );
}

/**
 * Plain data (as JSON.parse or a YAML parser would produce) carrying `__proto__`, `constructor` and
 * `prototype` as OWN keys, at the top or nested, with object values that would pollute a naive merge.
 * Plain data is safe for fast-check to handle, so this one is not boxed.
 */
export function protoKeyed(): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.constantFrom(...PROTO_KEYS);
  const payload = fc.dictionary(fc.constantFrom('polluted', 'isAdmin', 'host', 'toString'), fc.constant('yes'), {
    minKeys: 1,
  });
  return fc.tuple(key, payload, fc.boolean(), fc.constantFrom('db', 'server', 'a')).map(([k, p, nested, outer]) => {
    const inner = `{${JSON.stringify(k)}:${JSON.stringify(k === 'constructor' ? { prototype: p } : p)}}`;
    return JSON.parse(nested ? `{${JSON.stringify(outer)}:${inner}}` : inner) as Record<string, unknown>;
  });
}

/** A value nested `depth` levels (arrays, objects or both alternating). */
export function deepValue(depth: number, shape: 'array' | 'object' | 'mixed' = 'mixed'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) {
    const asArray = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    value = asArray ? [value] : { k: value };
  }
  return value;
}

/** Deep (past any sane bound) or huge (long strings, wide arrays, many keys) values. */
export function hugeOrDeep(): fc.Arbitrary<Hostile> {
  return fc.oneof(
    fc.integer({ min: 1_000, max: 12_000 }).map((d) => hostile(`${d} nested arrays`, () => deepValue(d, 'array'))),
    fc.integer({ min: 1_000, max: 12_000 }).map((d) => hostile(`${d} nested objects`, () => deepValue(d, 'object'))),
    fc.integer({ min: 100_000, max: 1_000_000 }).map((n) => hostile(`${n} chars`, () => 'x'.repeat(n))),
    fc
      .integer({ min: 1_000, max: 20_000 })
      .map((n) => hostile(`${n} items`, () => Array.from({ length: n }, (_, i) => i))),
    fc
      .integer({ min: 1_000, max: 20_000 })
      .map((n) => hostile(`${n} keys`, () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
  );
}

/** Any hostile value: one of the above, or one nested inside ordinary data or an Error. */
export function hostileValue(): fc.Arbitrary<Hostile> {
  const odd = fc
    .constantFrom<[string, unknown]>(
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-0', -0],
      ['bigint', 2n ** 70n],
      ['symbol', Symbol('s')],
      ['function', () => 1],
      ['undefined', undefined],
      ['null', null],
    )
    .map(([label, v]) => hostile(label, () => v));
  const leaf: fc.Arbitrary<Hostile> = fc.oneof(
    withGetters(),
    hostileProxy(),
    withToJSON(),
    cyclic(),
    protoKeyed().map((data) => hostile(`proto keys ${JSON.stringify(data)}`, () => structuredClone(data))),
    odd,
  );
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: leaf.map((h) => hostile(`{nested:${h.label}}`, () => ({ nested: { value: h.make() } }))) },
    { weight: 1, arbitrary: leaf.map((h) => hostile(`[1, ${h.label}]`, () => [1, h.make()])) },
    {
      weight: 1,
      arbitrary: leaf.map((h) =>
        hostile(`Error{cause,response: ${h.label}}`, () =>
          Object.assign(new Error('wrapping'), { cause: h.make(), response: h.make() }),
        ),
      ),
    },
  );
}

/**
 * Things a failing call might throw that are hostile to whoever inspects them: Errors whose
 * `status`, `code`, `cause`, `headers` or `response` are throwing getters or proxies, proxies of errors,
 * revoked proxies, errors whose prototype chain runs through a throwing proxy, retry hints that overflow.
 */
export function hostileError(): fc.Arbitrary<Hostile> {
  const field = fc.constantFrom(
    'name',
    'message',
    'status',
    'statusCode',
    'code',
    'cause',
    'headers',
    'response',
    'retryAfterMs',
  );
  return fc.oneof(
    hostileProxy(),
    field.map((f) =>
      hostile(`throwing ${f} getter`, () =>
        Object.defineProperty(new Error('getter'), f, {
          get: () => {
            throw new HostileTrapError(f);
          },
        }),
      ),
    ),
    fc
      .tuple(field, hostileProxy())
      .map(([f, p]) =>
        hostile(`${f} = ${p.label}`, () => Object.defineProperty(new Error('proxy field'), f, { value: p.make() })),
      ),
    hostileProxy().map((p) =>
      hostile(`response.headers = ${p.label}`, () =>
        Object.assign(new Error('nested'), { response: { status: 503, headers: p.make() } }),
      ),
    ),
    fc
      .constantFrom(1e308, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 1e20)
      .map((v) =>
        hostile(`retry-after ${v}`, () =>
          Object.assign(new Error('huge retry-after'), { headers: { 'retry-after': String(v), 'retry-after-ms': v } }),
        ),
      ),
    hostileValue(),
  );
}

/** Own properties Object.prototype (and Array/Function prototypes) have now, to compare after a run. */
export function prototypeSnapshot(): string[] {
  const names: string[] = [];
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    for (const key of Reflect.ownKeys(proto)) names.push(`${proto === Object.prototype ? 'O' : 'AF'}:${String(key)}`);
  }
  return names.sort();
}

/** True when Object.prototype has gained no own key and `{}` inherits no new property. */
export function prototypesClean(before: readonly string[]): boolean {
  const after = prototypeSnapshot();
  if (after.length !== before.length || after.some((k, i) => k !== before[i])) return false;
  const probe = {} as Record<string, unknown>;
  return probe.polluted === undefined && probe.isAdmin === undefined && probe.host === undefined;
}
