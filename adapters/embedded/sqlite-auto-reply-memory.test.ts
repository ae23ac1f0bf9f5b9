/** AutoReplyMemory contract on SQLite, plus the memory surviving a reopen (another backend process). */
import { describe, expect, it } from 'vitest';
import { autoReplyMemoryContract } from '../contract/auto-reply-memory.contract.ts';
import { tempStorage } from './test-support.ts';

autoReplyMemoryContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { memory: t.storage.autoReplies, clock: t.clock, cleanup: t.cleanup };
});

describe('SqliteAutoReplyMemory (embedded specifics)', () => {
  it('remembers across handles, as a restarted or another backend would see it', async () => {
    const t = await tempStorage();
    try {
      expect(await t.storage.autoReplies.claim('alice@example.com', 'bob@example.org', 86_400_000)).toBe(
        true,
      );
      await t.storage.close();
      const other = await t.reopen();
      expect(await other.autoReplies.claim('alice@example.com', 'bob@example.org', 86_400_000)).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});
