import { AsyncLocalStorage } from 'node:async_hooks';

/** Bindings set by {@link withLogContext}, already redacted and serialized. @internal */
export interface LogContext {
  readonly bindings: Readonly<Record<string, unknown>>;
}

/** @internal */
export const logContext: AsyncLocalStorage<LogContext> = new AsyncLocalStorage<LogContext>();
