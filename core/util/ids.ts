/**
 * Queue ids: 20 characters, time-ordered (48-bit ms timestamp + 72 random bits, Crockford base32),
 * safe as file names and S3 keys. Sorting ids sorts by acceptance time.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newQueueId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(9);
  let rand = '';
  let acc = 0;
  let bits = 0;
  for (const byte of rnd) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return time + rand.slice(0, 10);
}

export function isQueueId(text: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{20}$/.test(text);
}

/** A queue id derived from a seed: the job's time prefix and a hash, so it sorts with the job. */
export function derivedQueueId(parentId: string, seed: string): string {
  const digest = createHash('sha256').update(`${parentId}\u0000${seed}`).digest();
  let tail = '';
  for (let i = 0; i < 10; i++) tail += ALPHABET[digest[i]! & 31];
  return parentId.slice(0, 10) + tail;
}
