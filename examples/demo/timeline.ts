/**
 * The readable timeline: one line per thing worth seeing, with the time since the start and a
 * tag saying which part of the service it comes from.
 */

export type Tag = 'upstream' | 'call' | 'retry' | 'timeout' | 'breaker' | 'health' | 'config' | 'log' | 'demo';

export interface Timeline {
  /** Milliseconds since the demo started. */
  elapsedMs(): number;
  print(tag: Tag, message: string): void;
}

export function createTimeline(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Timeline {
  const startedAt = performance.now();
  const elapsedMs = () => performance.now() - startedAt;
  return {
    elapsedMs,
    print(tag, message) {
      const time = `+${(elapsedMs() / 1000).toFixed(2)}s`.padStart(8);
      write(`${time}  ${tag.padEnd(8)}  ${message}`);
    },
  };
}

/** What the summary reports; counted as the run goes. */
export interface Stats {
  calls: number;
  successes: number;
  /** Calls that reached the upstream and failed all the same. */
  failures: number;
  /** Calls the open breaker refused at once: the upstream never saw them. */
  refused: number;
  /** Total time of the calls counted in `failures`, to estimate what a refused call saved. */
  failedCallMs: number;
  retries: number;
  attemptTimeouts: number;
  breakerOpened: number;
  probes: number;
  reloadsApplied: number;
  reloadsRefused: number;
  /** The status /health/ready answered with first, then each time it changed. */
  readyStatuses: number[];
}

export function emptyStats(): Stats {
  return {
    calls: 0,
    successes: 0,
    failures: 0,
    refused: 0,
    failedCallMs: 0,
    retries: 0,
    attemptTimeouts: 0,
    breakerOpened: 0,
    probes: 0,
    reloadsApplied: 0,
    reloadsRefused: 0,
    readyStatuses: [],
  };
}
