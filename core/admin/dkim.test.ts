/** DKIM key use cases on real embedded storage: generate, rotate, remove, and every refusal. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { DkimConflictError, generateDkimKey, listDkimKeys, removeDkimKey, rotateDkimKey } from './dkim.ts';
import { addDomain } from './domains.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await addDomain(t.storage, { name: 'example.com' });
});
afterEach(() => t.cleanup());

const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) =>
      err instanceof DkimConflictError ? err.reason : err instanceof InvalidInputError ? err.field : err,
  );

describe('DKIM key use cases', () => {
  it('generates, rotates and removes keys; views hold the DNS record, never the private key', async () => {
    const s = { ...t.storage, clock: t.clock };
    const first = await generateDkimKey(s, { domain: 'example.com', algorithm: 'ED25519', selector: 'k1' });
    expect(first).toMatchObject({ selector: 'k1', algorithm: 'ed25519', state: 'active' });
    expect(first.record.name).toBe('k1._domainkey.example.com');
    expect(first.record.value).toMatch(/^v=DKIM1; k=ed25519; p=/);
    const second = await rotateDkimKey(s, { domain: 'example.com', selector: 'k2' });
    expect(second).toMatchObject({ selector: 'k2', algorithm: 'ed25519', retired: 'k1' });
    const keys = await listDkimKeys(s, { domain: 'example.com' });
    expect(keys.map((k) => [k.selector, k.state])).toEqual([
      ['k1', 'retired'],
      ['k2', 'active'],
    ]);
    expect(JSON.stringify(keys)).not.toContain('PRIVATE');
    expect(await removeDkimKey(s, { domain: 'example.com', selector: 'K1' })).toMatchObject({
      selector: 'k1',
      removed: true,
    });
  });

  it('refuses bad input, unknown domains and selectors, and key states that forbid the change', async () => {
    const s = t.storage;
    expect(await reasonOf(generateDkimKey(s, { domain: 'example.com', algorithm: 'dsa' }))).toBe('algorithm');
    expect(await reasonOf(generateDkimKey(s, { domain: 'example.com', selector: 'bad_sel' }))).toBe(
      'selector',
    );
    expect(await reasonOf(generateDkimKey(s, { domain: '-' }))).toBe('domain');
    await expect(listDkimKeys(s, { domain: 'nowhere.example' })).rejects.toThrow(NotFoundAdminError);
    expect(await reasonOf(rotateDkimKey(s, { domain: 'example.com' }))).toBe('no-active');
    await generateDkimKey(s, { domain: 'example.com', algorithm: 'ed25519', selector: 'k1' });
    expect(await reasonOf(generateDkimKey(s, { domain: 'example.com' }))).toBe('active-exists');
    expect(await reasonOf(rotateDkimKey(s, { domain: 'example.com', selector: 'k1' }))).toBe(
      'selector-taken',
    );
    expect(await reasonOf(removeDkimKey(s, { domain: 'example.com', selector: 'k1' }))).toBe('key-active');
    await expect(removeDkimKey(s, { domain: 'example.com', selector: 'nope' })).rejects.toThrow(
      NotFoundAdminError,
    );
    expect((await listDkimKeys(s, { domain: 'example.com' })).map((k) => k.selector)).toEqual(['k1']);
  });
});
