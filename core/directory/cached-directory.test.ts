import { describe, expect, it } from 'vitest';
import type { TestClock } from '../../adapters/contract/test-clock.ts';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import { CachedDirectory } from './cached-directory.ts';

describe('cached directory', () => {
  it('serves hot reads from memory for the TTL, sees other writers after it, and clears on own writes', async () => {
    const t = await tempStorage();
    try {
      const clock: TestClock = t.clock;
      let reads = 0;
      const counting = new Proxy(t.storage.directory, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            if (String(prop).startsWith('get') || prop === 'lookupName') reads++;
            return v.apply(target, args);
          };
        },
      });
      const cached = new CachedDirectory(counting, clock, 5_000);
      const domain = {
        name: 'example.com',
        mailToUnknown: { action: 'reject' as const },
        defaults: {},
        createdAt: 0,
      };
      expect(await cached.getDomain('example.com')).toBeUndefined();
      await t.storage.directory.addDomain(domain); // another process's write
      expect(await cached.getDomain('example.com')).toBeUndefined(); // still cached
      expect(reads).toBe(1);
      clock.advance(5_001);
      expect(await cached.getDomain('example.com')).toEqual(domain);
      expect(reads).toBe(2);
      await cached.updateDomain('example.com', { mailToUnknown: { action: 'discard' } });
      expect((await cached.getDomain('example.com'))?.mailToUnknown).toEqual({ action: 'discard' });
      expect(reads).toBe(3);
    } finally {
      await t.cleanup();
    }
  });
});
