import { createRedactor, type Redactor, type RedactorOptions } from './redact/redactor.js';

/** Options to spread into `pino({...})` so every line it writes is redacted by bulwark's rules. */
export interface PinoRedactionOptions {
  /** Redacts every argument of every log call: the message, objects, errors. */
  readonly hooks: {
    /** Calls pino's log method with every argument redacted. */
    logMethod(this: unknown, args: unknown[], method: (...args: unknown[]) => void): void;
  };
  /** Redacts the root logger's `base` bindings (pino does not pass child bindings through it). */
  readonly formatters: {
    /** Returns the bindings redacted. */
    bindings(bindings: Record<string, unknown>): Record<string, unknown>;
  };
}

/**
 * Options for pino that run its log calls through a bulwark redactor, catching what pino's
 * path-based `redact` cannot: secrets under keys nobody listed, inside messages, URLs, error
 * messages and causes. pino does not run `child(bindings)` through its formatters, so pass child
 * bindings through the redactor yourself: `log.child(redactor.redact(bindings))`.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { pinoRedaction } from 'bulwark/logger';
 *
 * const log = pino({ ...pinoRedaction() });
 * log.info({ headers: { authorization: 'Bearer abc.def.ghi' } }, 'called with token=%s', token);
 * ```
 */
export function pinoRedaction(redactor: Redactor | RedactorOptions = {}): PinoRedactionOptions {
  const r =
    typeof (redactor as Redactor).redact === 'function'
      ? (redactor as Redactor)
      : createRedactor(redactor as RedactorOptions);
  return {
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => r.redact(arg)),
        );
      },
    },
    formatters: {
      bindings: (bindings) => r.redact(bindings) as Record<string, unknown>,
    },
  };
}
