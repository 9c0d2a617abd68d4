/**
 * The shedder's mechanism: what one sample of the process's load holds, how it is measured, and
 * the hysteresis that turns samples into "overloaded or not" without flapping.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** One reading of the process's load. */
export interface LoadSample {
  /** Mean event-loop delay over the sample's window, in milliseconds. */
  readonly eventLoopDelayMs: number;
  /** Share of the window the event loop was busy, 0 to 1. */
  readonly eventLoopUtilization: number;
  /** V8 heap in use, in bytes. */
  readonly heapUsedBytes: number;
}

/** Where samples come from: the real one reads node:perf_hooks; tests pass their own. @internal */
export interface LoadMeter {
  read(): LoadSample;
  close(): void;
}

/** The limits a sample is held to; a limit left out is `Infinity`. @internal */
export interface LoadLimits {
  readonly eventLoopDelayMs: number;
  readonly eventLoopUtilization: number;
  readonly heapUsedBytes: number;
}

const RESOLUTION_MS = 10;

/** A meter on monitorEventLoopDelay and eventLoopUtilization, each window since the last read. @internal */
export function processMeter(): LoadMeter {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let last = performance.eventLoopUtilization();
  return {
    read() {
      // The monitor's timer fires every RESOLUTION_MS at best: what is above that is delay.
      const mean = histogram.count === 0 ? 0 : histogram.mean / 1e6;
      histogram.reset();
      const now = performance.eventLoopUtilization();
      const elu = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return {
        eventLoopDelayMs: Math.max(0, mean - RESOLUTION_MS),
        eventLoopUtilization: elu,
        // The heap alone: process.memoryUsage() also reads the RSS from /proc, 15 times the cost.
        heapUsedBytes: getHeapStatistics().used_heap_size,
      };
    },
    close() {
      histogram.disable();
    },
  };
}

/**
 * Overloaded after `overloadAfter` samples in a row over any limit; back to normal after
 * `recoverAfter` samples in a row with every measure under `recoverRatio` of its limit. Between
 * the two bands nothing changes, so a load hovering at a limit does not flap. @internal
 */
export class Hysteresis {
  #overloaded = false;
  #streak = 0;
  readonly #limits: LoadLimits;
  readonly #overloadAfter: number;
  readonly #recoverAfter: number;
  readonly #recoverRatio: number;

  constructor(limits: LoadLimits, overloadAfter: number, recoverAfter: number, recoverRatio: number) {
    this.#limits = limits;
    this.#overloadAfter = overloadAfter;
    this.#recoverAfter = recoverAfter;
    this.#recoverRatio = recoverRatio;
  }

  get overloaded(): boolean {
    return this.#overloaded;
  }

  /** True while overloaded, or when the last sample was over a limit (one more may tip it). */
  get strained(): boolean {
    return this.#overloaded || this.#streak > 0;
  }

  /** Takes one sample; true when it changed the state. */
  observe(sample: LoadSample): boolean {
    const l = this.#limits;
    if (!this.#overloaded) {
      const over =
        sample.eventLoopDelayMs > l.eventLoopDelayMs ||
        sample.eventLoopUtilization > l.eventLoopUtilization ||
        sample.heapUsedBytes > l.heapUsedBytes;
      this.#streak = over ? this.#streak + 1 : 0;
      if (this.#streak < this.#overloadAfter) return false;
    } else {
      const r = this.#recoverRatio;
      const calm =
        sample.eventLoopDelayMs <= l.eventLoopDelayMs * r &&
        sample.eventLoopUtilization <= l.eventLoopUtilization * r &&
        sample.heapUsedBytes <= l.heapUsedBytes * r;
      this.#streak = calm ? this.#streak + 1 : 0;
      if (this.#streak < this.#recoverAfter) return false;
    }
    this.#overloaded = !this.#overloaded;
    this.#streak = 0;
    return true;
  }
}
