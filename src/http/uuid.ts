/**
 * Random (version 4) UUIDs made in batches, for request ids. `crypto.randomUUID()` builds each id
 * by joining twenty strings; node:http must then flatten that string to check and write it, which
 * costs more than making it. Here one call formats a batch of ids into one buffer and decodes it
 * into one flat string; each id is a slice of it, which V8 makes without copying.
 */
import { randomFillSync } from 'node:crypto';

const PER_BATCH = 128;
const LENGTH = 36;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
const random = Buffer.alloc(16 * PER_BATCH);
const text = Buffer.alloc(LENGTH * PER_BATCH);
let batch = '';
let next = PER_BATCH;

function refill(): void {
  randomFillSync(random);
  let at = 0;
  for (let i = 0; i < PER_BATCH; i++) {
    const first = i * 16;
    // RFC 9562 4.1 and 5.4: the version (4) and variant (10xx) bits.
    random[first + 6] = ((random[first + 6] as number) & 0x0f) | 0x40;
    random[first + 8] = ((random[first + 8] as number) & 0x3f) | 0x80;
    for (let b = 0; b < 16; b++) {
      if (b === 4 || b === 6 || b === 8 || b === 10) text[at++] = DASH;
      const byte = random[first + b] as number;
      text[at++] = HEX[byte >> 4] as number;
      text[at++] = HEX[byte & 0x0f] as number;
    }
  }
  batch = text.toString('latin1');
  next = 0;
}

/** A new random UUID, lower-case, as `crypto.randomUUID()` makes it. @internal */
export function batchedUuid(): string {
  if (next === PER_BATCH) refill();
  const start = next++ * LENGTH;
  return batch.slice(start, start + LENGTH);
}
