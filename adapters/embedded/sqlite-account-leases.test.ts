/** AccountLeases contract on SQLite, plus sharing between two handles. */
import { describe, expect, it } from 'vitest';
import { accountLeasesContract } from '../contract/account-leases.contract.ts';
import { tempStorage } from './test-support.ts';

accountLeasesContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { leases: t.storage.leases, clock: t.clock, cleanup: t.cleanup };
});

describe('SqliteAccountLeases (embedded specifics)', () => {
  it('shares leases between two handles on one data dir', async () => {
    const t = await tempStorage();
    try {
      const other = await t.reopen();
      const a = await t.storage.leases.acquire('alice@example.com', 'a', 10_000);
      const b = await other.leases.acquire('alice@example.com', 'b', 10_000);
      expect(a.ok).toBe(true);
      expect(b).toMatchObject({ ok: false, heldBy: { owner: 'a' } });
    } finally {
      await t.cleanup();
    }
  });
});
