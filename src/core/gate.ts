/**
 * One promise for a whole pipeline. Inside `compose`, each policy used to return a promise of its
 * own and react to the one inside it: for `compose(retry, breaker, timeout)`, four promises, three
 * reactions and three microtask hops per call before the caller saw the result. Instead, the
 * innermost timed call's promise (its "gate") is handed outward: the breaker observes the outcome
 * synchronously, just before the gate settles, and a retry takes the first failure over (the gate
 * then follows the retry's further attempts), so the caller awaits the gate itself.
 *
 * Only `compose` wires this, through {@link IN_PIPELINE}: a gate is offered only when compose
 * called the timeout that way, and a policy takes it only from the work compose gave it, when the
 * policy right inside is built in too. Between them, no user code can see the gate, so observing
 * it this way is indistinguishable from reacting to it (except that it happens sooner). A policy
 * compose does not know withdraws any offer, so nothing passes through code that might hold it.
 *
 * @internal
 */
import type { ExecuteOptions, Rest, Work } from './policy.js';

/** Told of a gated call's outcome, synchronously, before the gate settles. @internal */
export interface OutcomeObserver {
  succeeded(value: unknown): void;
  failed(error: unknown): void;
}

/**
 * Takes a gated call's failure over: the gate then settles like the promise `takeOver` returns (a
 * retry's further attempts).
 *
 * @internal
 */
export interface FailureTaker {
  takeOver(error: unknown): PromiseLike<unknown>;
}

/** The in-flight call behind a gate. @internal */
export interface Gate {
  /** Adds the observer; false when the gate already has one (the caller then reacts as usual). */
  observe(observer: OutcomeObserver): boolean;
  /** Hands the failure to `taker`; false when the gate already has a taker. */
  takeFailure(taker: FailureTaker): boolean;
}

/**
 * The method `compose` calls instead of `execute` on a built-in policy: the same call, except that
 * the policy may take the gate its work returned and leaves its own gate on offer. With `rest`,
 * the policy's work is the rest of the pipeline around `fn` (`runWork` in policy.ts), so compose
 * makes no closure per level and call.
 *
 * @internal
 */
export const IN_PIPELINE: unique symbol = Symbol('bulwark.inPipeline') as never;

/** A policy that can pass a gate outward. @internal */
export interface PipelinePart {
  [IN_PIPELINE]<T>(fn: Work<T>, options: ExecuteOptions | undefined, rest: Rest | undefined): Promise<T>;
}

/** True when `policy` runs in a pipeline through {@link IN_PIPELINE}. @internal */
export function isPipelinePart(policy: object): policy is PipelinePart {
  return typeof (policy as Partial<PipelinePart>)[IN_PIPELINE] === 'function';
}

// The one gate on offer. Everything between an offer and its taking runs synchronously inside one
// compose call, so one slot is enough, and no object is made per call.
let offered: PromiseLike<unknown> | undefined;
let offeredGate: Gate | undefined;

/** Puts `promise`, settled by `gate`, on offer to the policy around. @internal */
export function offerGate(promise: PromiseLike<unknown>, gate: Gate): void {
  offered = promise;
  offeredGate = gate;
}

/** The gate behind `result` when it is the one on offer. @internal */
export function gateOf(result: unknown): Gate | undefined {
  return result === offered ? offeredGate : undefined;
}

/** Clears the offer (compose, before its promise leaves it or passes through a foreign policy). @internal */
export function withdrawGate(): void {
  offered = undefined;
  offeredGate = undefined;
}

/**
 * Clears the offer of `gate` once it settled (a gate someone observed or took over), so the slot
 * holds nothing that is done. A gate nobody took (a retry's later attempt) stays in the slot
 * until the next offer: one call at most, never more.
 *
 * @internal
 */
export function settledGate(gate: Gate): void {
  if (offeredGate === gate) withdrawGate();
}
