/** Suppression use cases on real embedded storage. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { type InvalidInputError, NotFoundAdminError } from './errors.ts';
import { addSuppression, listSuppressions, removeSuppression } from './suppressions.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(() => t.cleanup());

describe('suppression use cases', () => {
  it('adds, lists and removes a suppression', async () => {
    const s = { ...t.storage, clock: t.clock };
    const added = await addSuppression(s, {
      address: 'Gone@Example.net',
      reason: 'Complaint',
      detail: 'a\nb',
    });
    expect(added).toEqual({
      address: 'gone@example.net',
      reason: 'complaint',
      at: t.clock.now(),
      detail: 'a b',
    });
    expect(await listSuppressions(s)).toEqual([added]);
    expect(await removeSuppression(s, { address: 'gone@example.net' })).toEqual({
      address: 'gone@example.net',
      removed: true,
    });
    expect(await listSuppressions(s)).toEqual([]);
  });

  it('refuses a bad address or reason and lifting what is not suppressed', async () => {
    const s = t.storage;
    const field = (p: Promise<unknown>) => p.catch((e: unknown) => (e as InvalidInputError).field);
    expect(await field(addSuppression(s, { address: 'nope' }))).toBe('address');
    expect(await field(addSuppression(s, { address: 'a@example.net', reason: 'spite' }))).toBe('reason');
    await expect(removeSuppression(s, { address: 'a@example.net' })).rejects.toThrow(NotFoundAdminError);
    expect(await listSuppressions(s)).toEqual([]);
  });
});
