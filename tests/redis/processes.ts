/** Forks replicas (tests/redis/fixtures/replica.ts) and collects what each saw. */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

/**
 * Runs one task per replica at once: forks them all, waits until each is connected, then gives
 * them one start time, `leadMs` ahead, and calls `onStart(startAt)` (to schedule faults on the
 * same timeline). Rejects if a replica crashes or does not exit by itself within `exitWithinMs`.
 */
export async function runReplicas<R>(
  tasks: object[],
  exitWithinMs: number,
  onStart: (startAt: number) => void = () => {},
  leadMs = 300,
): Promise<R[]> {
  const readies: Array<Promise<void>> = [];
  const children: ChildProcess[] = [];
  const results = Promise.all(
    tasks.map(
      (task) =>
        new Promise<R>((resolve, reject) => {
          const child = fork(join(root, 'tests/redis/fixtures/replica.ts'), [], {
            cwd: root,
            execArgv: ['--experimental-transform-types', '--no-warnings', '--import', './tests/demo/from-source.mjs'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          children.push(child);
          let ready: () => void = () => {};
          readies.push(new Promise<void>((r) => (ready = r)));
          let result: R | undefined;
          const killer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`a replica did not exit within ${exitWithinMs} ms: something was left hanging`));
          }, exitWithinMs);
          child.on('message', (message) => {
            if (message === 'ready') ready();
            else result = message as R;
          });
          child.on('exit', (code) => {
            clearTimeout(killer);
            if (code === 0 && result !== undefined) resolve(result);
            else
              reject(new Error(`a replica exited with code ${code} ${result === undefined ? 'without a result' : ''}`));
          });
          child.send(task);
        }),
    ),
  );
  await Promise.race([Promise.all(readies), results]);
  const startAt = performance.timeOrigin + performance.now() + leadMs;
  for (const child of children) child.send({ startAt });
  onStart(startAt);
  return results;
}
