/**
 * Mailbox usage (bytes stored per account) as one process last read it, reused for `ttlMs`, so a
 * quota check costs a DynamoDB GetItem per account and period instead of one per RCPT and one per
 * delivery. Usage only grows (the mailbox port has no delete), so a process's own appends are
 * added to its entry: the backend that holds an account's lease (the only writer) sees the exact
 * figure, and any other process at most `ttlMs` behind. Concurrent misses share one read; a failed
 * read is not kept (the caller's check fails as it would without the cache).
 */
import type { Clock } from '../../core/ports/clock.ts';

interface Entry {
  bytes: Promise<number>;
  added: number;
  readonly until: number;
}

export class UsageCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  async get(account: string, read: () => Promise<number>): Promise<number> {
    if (this.ttlMs <= 0) return read();
    const now = this.clock.now();
    let entry = this.entries.get(account);
    if (!entry || entry.until <= now) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      const fresh: Entry = { bytes: read(), added: 0, until: now + this.ttlMs };
      this.entries.set(account, fresh);
      fresh.bytes.catch(() => {
        if (this.entries.get(account) === fresh) this.entries.delete(account);
      });
      entry = fresh;
    }
    return (await entry.bytes) + entry.added;
  }

  /** This process stored `bytes` more for `account` (a committed append). */
  add(account: string, bytes: number): void {
    const entry = this.entries.get(account);
    if (entry) entry.added += bytes;
  }
}
