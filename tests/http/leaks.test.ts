import { type Clock, systemClock } from 'bulwark';
import { loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';
import { deferred, FRAMEWORKS, get, start, turns } from './apps.js';

failOnUnhandledRejections();

function timersAndServers(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'Timeout' || kind === 'TCPServerWrap' || kind === 'TCPSocketWrap')
      counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** The system clock, counting its timers: those set and neither fired nor cleared. */
function countingClock(): Clock & { readonly pending: number } {
  const live = new Set<unknown>();
  return {
    now: () => systemClock.now(),
    setTimeout(cb, ms) {
      const handle: unknown = systemClock.setTimeout(() => {
        live.delete(handle);
        cb();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      systemClock.clearTimeout(handle);
    },
    get pending() {
      return live.size;
    },
  };
}

describe.each(FRAMEWORKS)('on %s with every part on the system clock', (framework) => {
  // bulwark's timers are unref'ed, so process.getActiveResourcesInfo() does not list them: the
  // counting clock sees them; the process's list sees the sockets and servers.
  it('leaves no timer, socket or server behind once the server is closed and the shedder stopped', async () => {
    const before = timersAndServers();
    const clock = countingClock();
    const shedder = loadShedder({ clock });
    const deadline = requestDeadline({ ms: 60_000, clock });
    const entered = deferred();
    const running = await start(
      framework,
      { before: [requestId(), shedder, deadline], problems: problemHandler() },
      {
        '/ok': () => ({ status: 200, body: 'ok' }),
        '/fail': async () => {
          await Promise.resolve();
          throw new Error('boom');
        },
        '/hang': () => {
          entered.resolve();
          return new Promise(() => {});
        },
      },
    );
    expect((await get(running.port, '/ok')).status).toBe(200);
    expect((await get(running.port, '/fail')).status).toBe(500);
    const hanging = get(running.port, '/hang');
    hanging.catch(() => {});
    await entered.promise;
    hanging.req.destroy(); // its 60 s deadline timer must go with the connection
    await turns(10);
    await running.close();
    expect(clock.pending).toBe(1); // the shedder's sampler, and no request's deadline
    shedder.close();
    expect(clock.pending).toBe(0);
    await turns(10);
    // Nothing of ours is left: each count is back to (or, when a runner's timer fired, below) what it was.
    const after = timersAndServers();
    for (const [kind, count] of Object.entries(after)) expect(count, kind).toBeLessThanOrEqual(before[kind] ?? 0);
  });
});
