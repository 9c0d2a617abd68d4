/**
 * Wrapping a whole client object: every method of an `InventoryClient` runs under one policy
 * (timeout per attempt, retry, breaker), each method that takes a signal gets the policy's
 * signal (so a timed-out request is really cancelled), and TypeScript still knows every
 * method's parameters and return type. `wrapClient` is written here, in about 40 lines.
 * Run: npm run build && node examples/wrap-client.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, type HttpError, type Policy, throwIfNotOk } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { constant, retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';

// ---- wrapClient: generic, no `any` ------------------------------------------------------------

type AsyncMethod = (...args: never[]) => PromiseLike<unknown>;

/** The names of `C`'s methods that return a promise: the ones a policy can run. */
type AsyncMethodName<C> = { [K in keyof C]-?: C[K] extends AsyncMethod ? K : never }[keyof C];

/** The positions of `M`'s parameters that take an options object with `signal` (as a number). */
type SignalPosition<M> = M extends (...args: infer P) => unknown
  ? {
      [I in keyof P]-?: I extends `${infer N extends number}`
        ? { signal: AbortSignal } extends NonNullable<P[I]>
          ? N
          : never
        : never;
    }[number]
  : never;

/**
 * Where each method takes its signal: `{ getItem: 1 }` means "the options object at argument 1".
 * A position whose parameter cannot hold `{ signal }` does not compile. A method left out still
 * runs under the policy; it just cannot be cancelled when its attempt times out.
 */
type SignalPositions<C> = { readonly [K in AsyncMethodName<C>]?: SignalPosition<C[K]> };

/** The wrapped client: the same async methods, with exactly the same signatures. */
type Wrapped<C> = { readonly [K in AsyncMethodName<C>]: C[K] };

/**
 * Returns a view of `client` whose async methods run under `policy`. A caller's own `signal` (in
 * the options object) becomes the call's signal, so the caller can still cancel the whole call.
 */
function wrapClient<C extends object>(client: C, policy: Policy, signalAt: SignalPositions<C> = {}): Wrapped<C> {
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(client, {
    get(target, key) {
      const member: unknown = Reflect.get(target, key, target);
      if (typeof member !== 'function') return member;
      let wrapper = wrappers.get(key);
      if (wrapper === undefined) {
        const at = (signalAt as Record<PropertyKey, number | undefined>)[key];
        wrapper = (...args: unknown[]) => {
          const given = at === undefined ? undefined : (args[at] as { signal?: AbortSignal } | undefined);
          return policy.execute(
            ({ signal }) => {
              // Every attempt gets a fresh copy of the arguments with that attempt's signal.
              const call = [...args];
              if (at !== undefined) call[at] = { ...given, signal };
              return (member as (...a: unknown[]) => unknown).apply(target, call);
            },
            { signal: given?.signal },
          );
        };
        wrappers.set(key, wrapper);
      }
      return wrapper;
    },
  }) as unknown as Wrapped<C>;
}

// ---- a small client, written as if bulwark did not exist ---------------------------------------

interface Item {
  readonly id: string;
  readonly name: string;
  readonly stock: number;
}
interface Reservation {
  readonly reservationId: string;
  readonly itemId: string;
  readonly quantity: number;
}
interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

class InventoryClient {
  readonly #base: string;
  constructor(base: string) {
    this.#base = base;
  }

  async getItem(id: string, options?: CallOptions): Promise<Item> {
    return this.#send<Item>('GET', `/items/${id}`, undefined, options);
  }

  /**
   * Not idempotent by itself, so it takes a key the server deduplicates: the caller makes it
   * once, and every retry of this call sends the same one.
   */
  async reserve(id: string, quantity: number, idempotencyKey: string, options?: CallOptions): Promise<Reservation> {
    return this.#send<Reservation>('POST', `/items/${id}/reserve`, { quantity, idempotencyKey }, options);
  }

  async #send<T>(method: string, path: string, body: unknown, options: CallOptions | undefined): Promise<T> {
    const res = await fetch(this.#base + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: options?.signal ?? null,
    });
    return (await throwIfNotOk(res).json()) as T;
  }
}

// ---- a local inventory server with a bad moment or two -----------------------------------------

const stock = new Map([['sku-1', 10]]);
const reservations = new Map<string, Reservation>(); // by idempotency key
let requests = 0;
let getsFailing = 1; // the first GET answers 503
let dropNextReserveAnswer = true; // the first reserve is done, but its answer never arrives

const server = createServer(async (req, res) => {
  requests++;
  let body = '';
  for await (const chunk of req) body += chunk;
  const [, , id, action] = (req.url ?? '').split('/');
  const count = id === undefined ? undefined : stock.get(id);
  const send = (status: number, value: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(value));
  };
  if (id === undefined || count === undefined) return send(404, { error: 'no such item' });
  if (req.method === 'GET') {
    if (getsFailing-- > 0) {
      res.setHeader('retry-after', '0');
      return send(503, { error: 'busy' });
    }
    return send(200, { id, name: 'Widget', stock: count } satisfies Item);
  }
  if (action !== 'reserve') return send(404, { error: 'no such action' });
  const { quantity, idempotencyKey } = JSON.parse(body) as { quantity: number; idempotencyKey: string };
  const known = reservations.get(idempotencyKey);
  if (known) return send(200, known); // a retry of a reservation already made: same answer, no new one
  if (quantity > count) return send(409, { error: 'not enough stock' });
  const reservation: Reservation = { reservationId: `r-${reservations.size + 1}`, itemId: id, quantity };
  stock.set(id, count - quantity);
  reservations.set(idempotencyKey, reservation);
  if (dropNextReserveAnswer) {
    dropNextReserveAnswer = false;
    return; // the work is done, the answer is lost: the client's attempt times out
  }
  send(200, reservation);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---- one policy for the whole client ------------------------------------------------------------

const retries = retry({ name: 'inventory-retry', attempts: 3, backoff: constant(50) });
retries.on('retry', ({ attempt, error, delayMs }) =>
  console.log(`  attempt ${attempt} failed (${(error as Error).message}); retrying in ${delayMs} ms`),
);
const policy = compose(
  timeout(5000),
  retries,
  circuitBreaker({ name: 'inventory', trip: consecutiveFailures(5) }),
  timeout(200),
);

const inventory = wrapClient(new InventoryClient(base), policy, { getItem: 1, reserve: 3 });

// TypeScript still knows every method: these are checked by `npm run typecheck`, never run.
const _typeChecks = async () => {
  const item: Item = await inventory.getItem('sku-1');
  // @ts-expect-error quantity is a number
  await inventory.reserve('sku-1', 'two', 'key');
  // @ts-expect-error a wrapped client has no other members
  inventory.base;
  return item.stock.toFixed(0);
};
// @ts-expect-error argument 0 of getItem is the id, which cannot take a signal
wrapClient(new InventoryClient(base), policy, { getItem: 0 });

console.log('getItem("sku-1"): the server answers 503 first');
const item = await inventory.getItem('sku-1');
console.log(`  -> ${item.name}, ${item.stock} in stock`);

console.log('reserve("sku-1", 3): the server reserves, but the answer is lost');
const reservation = await inventory.reserve('sku-1', 3, 'order-1001');
console.log(`  -> ${reservation.reservationId} for ${reservation.quantity}; stock now ${stock.get('sku-1')}`);

console.log('reserve("sku-1", 50): more than there is');
const refused = await inventory.reserve('sku-1', 50, 'order-1002').catch((err: unknown) => err);
console.log(`  -> ${(refused as Error).message}: a 409 is permanent, so it was not retried`);

console.log('getItem("sku-1") with the caller cancelling the call');
const caller = new AbortController();
caller.abort(new Error('the user left'));
const cancelled = await inventory.getItem('sku-1', { signal: caller.signal }).catch((err: unknown) => err);
console.log(`  -> ${(cancelled as Error).message}`);

// The example checks its own outcome, so a change that breaks it fails `npm run check`.
assert.equal(item.stock, 10);
assert.deepEqual(reservation, { reservationId: 'r-1', itemId: 'sku-1', quantity: 3 });
assert.equal(stock.get('sku-1'), 7, 'the lost answer and its retry reserved once');
assert.equal((refused as HttpError).status, 409);
assert.equal((cancelled as Error).message, 'the user left');
assert.equal(requests, 2 + 2 + 1, 'GET 503 + GET, reserve + retried reserve, the refused reserve');
console.log(`${requests} requests in all; stock reserved once`);

server.closeAllConnections();
server.close();
