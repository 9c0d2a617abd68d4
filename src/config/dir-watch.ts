/**
 * Watching the directories that hold the config files, and noticing when one of them is replaced.
 *
 * A watch follows a directory's inode, not its path: after `mv conf conf.old && mkdir conf` or
 * `rm -rf conf && mkdir conf` it would report the old, detached directory (or nothing) for ever.
 * So each directory's identity (device and inode) is recorded, its parent is watched for its name,
 * and any event on the directory itself or its name in the parent re-checks the identities: a
 * replaced directory is watched again and the files re-read; a missing one waits, through its
 * parent's watch, for its return.
 */
import { type FSWatcher, realpathSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

interface Watched {
  watcher: FSWatcher | undefined;
  /** `dev:ino` when it was watched, or undefined when it was missing. */
  identity: string | undefined;
}

function identityOf(dir: string): string | undefined {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}` : undefined;
  } catch {
    return undefined;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}

export class DirectoryWatch {
  readonly #onFiles: () => void;
  readonly #onFailure: (reason: string) => void;
  /** Data directory -> the file names in it that matter. */
  #names = new Map<string, Set<string>>();
  readonly #dirs = new Map<string, Watched>();
  /** Parent -> its watcher, and the child directory names in it that matter. */
  readonly #parents = new Map<string, { watcher: FSWatcher | undefined; children: Set<string> }>();
  #closed = false;

  /**
   * `onFiles`: something that may change the files happened (the caller re-reads and compares).
   * `onFailure`: watching broke after `follow` returned (a watcher's error); the caller polls.
   */
  constructor(onFiles: () => void, onFailure: (reason: string) => void) {
    this.#onFiles = onFiles;
    this.#onFailure = onFailure;
  }

  /**
   * Watches the directory of every file (and of its target, when it is a symlink), and their
   * parents. Returns why it cannot watch, or undefined when every directory is covered.
   */
  follow(files: Iterable<string>): string | undefined {
    const names = new Map<string, Set<string>>();
    const add = (dir: string, name: string): void => {
      const set = names.get(dir) ?? new Set<string>();
      set.add(name);
      names.set(dir, set);
    };
    for (const file of files) {
      add(dirname(file), basename(file));
      try {
        const real = realpathSync(file);
        if (real !== file) add(dirname(real), basename(real));
      } catch {
        // Missing (an optional file not there yet): its directory is watched for it to appear.
      }
    }
    this.#names = names;
    for (const [dir, watched] of this.#dirs) {
      if (names.has(dir)) continue;
      watched.watcher?.close();
      this.#dirs.delete(dir);
    }
    const parents = new Map<string, Set<string>>();
    for (const dir of names.keys()) {
      const parent = dirname(dir);
      if (parent === dir) continue;
      const set = parents.get(parent) ?? new Set<string>();
      set.add(basename(dir));
      parents.set(parent, set);
    }
    for (const [parent, entry] of this.#parents) {
      if (parents.has(parent)) continue;
      entry.watcher?.close();
      this.#parents.delete(parent);
    }
    for (const [parent, children] of parents) {
      const entry = this.#parents.get(parent);
      if (entry) {
        entry.children = children;
        continue;
      }
      let watcher: FSWatcher | undefined;
      try {
        watcher = watch(parent, { persistent: false }, (_event, name) => this.#onParentEvent(parent, name));
        watcher.on('error', () => this.#verify());
      } catch {
        // Without the parent's watch a replaced directory is noticed only by its own events.
      }
      this.#parents.set(parent, { watcher, children });
    }
    for (const dir of names.keys()) {
      if (this.#dirs.has(dir)) continue;
      const problem = this.#watchDir(dir);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  /** Stops every watch. */
  close(): void {
    this.#closed = true;
    for (const watched of this.#dirs.values()) watched.watcher?.close();
    for (const entry of this.#parents.values()) entry.watcher?.close();
    this.#dirs.clear();
    this.#parents.clear();
  }

  #watchDir(dir: string): string | undefined {
    const identity = identityOf(dir);
    if (identity === undefined) {
      // Missing: fine while its parent is watched, which tells us when it comes back.
      this.#dirs.set(dir, { watcher: undefined, identity: undefined });
      return this.#parents.get(dirname(dir))?.watcher
        ? undefined
        : `the directory ${dir} does not exist and its parent cannot be watched`;
    }
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => this.#onDirEvent(dir, name));
      watcher.on('error', () => this.#verify());
      this.#dirs.set(dir, { watcher, identity });
      return undefined;
    } catch (error) {
      this.#dirs.set(dir, { watcher: undefined, identity: undefined });
      return `cannot watch ${dir} (${codeOf(error)})`;
    }
  }

  #onDirEvent(dir: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    const file = name === null ? null : String(name);
    // The directory itself was moved or deleted (inotify names it in its own event). Its watch is
    // dead even if a new directory at the path has the same inode number (a freed inode is reused).
    if (file === basename(dir)) {
      const watched = this.#dirs.get(dir);
      if (watched) {
        watched.watcher?.close();
        watched.watcher = undefined;
        watched.identity = undefined;
      }
      this.#verify();
    }
    // `..data` is how Kubernetes swaps a ConfigMap's files in; other names are unrelated files.
    if (file === null || file.startsWith('..') || this.#names.get(dir)?.has(file)) this.#onFiles();
  }

  #onParentEvent(parent: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    const child = name === null ? null : String(name);
    if (child === null || this.#parents.get(parent)?.children.has(child)) this.#verify();
  }

  /** Re-checks every directory's identity; watches again the ones replaced or back. */
  #verify(): void {
    if (this.#closed) return;
    let changed = false;
    for (const [dir, watched] of this.#dirs) {
      const now = identityOf(dir);
      if (now === undefined ? watched.identity === undefined : now === watched.identity && watched.watcher) continue;
      watched.watcher?.close();
      changed = true;
      const problem = this.#watchDir(dir);
      if (problem !== undefined) {
        this.#onFailure(problem);
        return;
      }
    }
    if (changed) this.#onFiles();
  }
}
