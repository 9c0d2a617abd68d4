/**
 * Reading one config file without trusting what is at its path: a FIFO would block the event
 * loop until a writer comes, `/dev/zero` would fill memory, so only a regular file of at most
 * {@link MAX_FILE_BYTES} is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { MAX_FILE_BYTES } from './limits.js';

/** Why a path was refused before its bytes were read: its `code` is `ENOTREG` or `EFBIG`. */
export class FileRefusedError extends Error {
  readonly code: 'ENOTREG' | 'EFBIG';
  constructor(code: 'ENOTREG' | 'EFBIG', message: string) {
    super(message);
    this.name = 'FileRefusedError';
    this.code = code;
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function check(stat: Stats): void {
  if (!stat.isFile()) throw new FileRefusedError('ENOTREG', `is ${kindOf(stat)}, not a regular file`);
  if (stat.size > MAX_FILE_BYTES) throw tooBig(stat.size);
}

function tooBig(size: number | undefined): FileRefusedError {
  const got = size === undefined ? 'more' : `${size} bytes`;
  return new FileRefusedError('EFBIG', `is ${got}, over the limit of ${MAX_FILE_BYTES} bytes for a config file`);
}

const CHUNK = 1024 * 1024;
// Opening a FIFO without O_NONBLOCK waits for a writer; the stat before makes this a second line of defence.
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * The file's text as UTF-8. Throws a {@link FileRefusedError} for anything but a regular file of
 * at most {@link MAX_FILE_BYTES} (checked before opening, after opening, and while reading, as
 * the file may grow), or the system's error (`ENOENT`...).
 */
export function readConfigFile(path: string): string {
  check(statSync(path));
  const fd = openSync(path, FLAGS);
  try {
    const stat = fstatSync(fd);
    check(stat);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(stat.size - total + 1, 64 * 1024)));
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_FILE_BYTES) throw tooBig(undefined);
      chunks.push(n === buffer.length ? buffer : buffer.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
