import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { describe } from '../core/errors.js';

/**
 * Where log lines go. `write` gets one whole JSON line without the newline; it may throw, and the
 * logger counts and reports that once instead of passing it to the caller.
 */
export interface Sink {
  /**
   * Writes one line (no trailing newline). What it returns is ignored, except a promise (an async
   * sink): its rejection counts as a failed write, like a throw, and is never left unhandled.
   */
  write(line: string): unknown;
  /** Waits until what was written is handed to the OS. */
  flush?(): Promise<void> | void;
  /** Releases the sink's resources (a file sink closes its file). */
  close?(): Promise<void> | void;
}

/** A {@link Sink} over a stream, counting the stream's errors. */
export interface StreamSink extends Sink {
  /** How many `'error'` events the stream emitted. */
  readonly failures: number;
}

/**
 * True for a Node `Writable` (a stream, not a {@link Sink}): `createLogger({ sink: stream })`
 * wraps it in {@link streamSink}, so each record is one line. A Sink's `write` is given the line
 * without its newline; a stream needs the newline written.
 *
 * @internal
 */
export function isWritable(value: unknown): value is Writable {
  const stream = value as Partial<Writable> | null;
  return (
    typeof stream?.write === 'function' &&
    typeof stream.on === 'function' &&
    typeof stream.end === 'function' &&
    typeof stream.writable === 'boolean'
  );
}

/**
 * A sink over any writable stream. A stream `'error'` (a closed pipe, a full disk) is counted in
 * `failures` and never thrown into the code that logs.
 *
 * @example
 * ```ts
 * import { createLogger, streamSink } from 'bulwark/logger';
 *
 * const log = createLogger({ sink: streamSink(process.stderr) });
 * ```
 */
export function streamSink(stream: Writable): StreamSink {
  if (typeof (stream as Partial<Writable> | null)?.write !== 'function') {
    throw new TypeError(`streamSink: expected a writable stream; got ${describe(stream)}`);
  }
  let failures = 0;
  stream.on('error', () => {
    failures++;
  });
  return {
    get failures() {
      return failures;
    },
    write(line: string) {
      if (stream.destroyed || stream.writableEnded) throw new Error('the stream is closed');
      stream.write(`${line}\n`);
    },
    flush() {
      if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) return;
      return new Promise<void>((resolve) => stream.write('', () => resolve()));
    },
  };
}

/**
 * Standard output, the default sink.
 *
 * @example
 * ```ts
 * import { createLogger, stdoutSink } from 'bulwark/logger';
 *
 * const log = createLogger({ sink: stdoutSink() });
 * ```
 */
export function stdoutSink(): Sink {
  return streamSink(process.stdout);
}

/**
 * A {@link Sink} appending to a file, counting the lines a full disk cut or lost.
 *
 * @example
 * ```ts
 * import { type FileSink, fileSink } from 'bulwark/logger';
 *
 * const sink: FileSink = fileSink('/var/log/app/audit.jsonl');
 * if (sink.failures > 0) console.warn(`${sink.failures} audit lines were cut or lost`);
 * ```
 */
export interface FileSink extends Sink {
  /** Lines that could not be written whole when logged (a full disk): cut, or not written at all. */
  readonly failures: number;
}

/**
 * Appends each line to a file with a single `write` on a descriptor opened with `O_APPEND`, so
 * several processes writing the same file, or a crash mid-way, never interleave or cut a line:
 * the file stays valid JSON lines (what audit logs need). Writes are synchronous.
 *
 * On a full disk a write can come back short: the start of a line is in the file, its end is
 * not. The sink keeps that end, counts the line in `failures`, throws (so the logger counts it
 * too), and writes the end before anything else once there is room, so the cut line is completed
 * and the next one starts on its own line. A line that cannot be written at all is not written.
 *
 * @example
 * ```ts
 * import { createLogger, fileSink } from 'bulwark/logger';
 *
 * const sink = fileSink('/var/log/app/audit.jsonl');
 * const audit = createLogger({ name: 'audit', sink });
 * audit.info('payment accepted', { orderId: 'A-17' });
 * sink.failures; // lines a full disk cut or lost
 * ```
 */
export function fileSink(path: string): FileSink {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`fileSink: expected a file path; got ${describe(path)}`);
  }
  let fd: number | undefined = openSync(path, 'a');
  /** The end of a line a short write cut, written before anything else. */
  let rest: Buffer | undefined;
  let failures = 0;
  /** Writes `bytes`, looping over short writes; returns what could not be written (throws if nothing was). */
  const writeAll = (handle: number, bytes: Buffer): Buffer | undefined => {
    let offset = 0;
    while (offset < bytes.length) {
      let n: number;
      try {
        n = writeSync(handle, bytes, offset, bytes.length - offset);
      } catch (error) {
        if (offset === 0) throw error;
        return bytes.subarray(offset);
      }
      if (n === 0) return bytes.subarray(offset);
      offset += n;
    }
    return undefined;
  };
  const cut = (): Error =>
    new Error(`fileSink: ${path}: the disk is full; a line was cut, its end will be written first`);
  return {
    get failures() {
      return failures;
    },
    write(line: string) {
      if (fd === undefined) throw new Error(`fileSink: ${path} is closed`);
      try {
        if (rest !== undefined) {
          rest = writeAll(fd, rest);
          if (rest !== undefined) throw cut();
        }
        rest = writeAll(fd, Buffer.from(`${line}\n`));
        if (rest !== undefined) throw cut();
      } catch (error) {
        failures++;
        throw error;
      }
    },
    close() {
      if (fd === undefined) return;
      try {
        // Last chance to complete a line a full disk cut.
        if (rest !== undefined) rest = writeAll(fd, rest);
      } catch {
        // Still no room: the fragment stays, already counted.
      }
      closeSync(fd);
      fd = undefined;
    },
  };
}
