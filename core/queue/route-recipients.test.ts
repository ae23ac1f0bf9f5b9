/**
 * Routing with HomeBackend on real embedded storage: an account with a home goes to that backend
 * only, in either cluster mode and over a live lease elsewhere; a home that is down (or was
 * never registered) is decided at once as a temporary outcome, never another backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { routeRecipients } from './route-recipients.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await seedDomain(t.storage.directory, 'example.com', ['alice', 'bob']);
  for (const id of ['b1', 'b2']) {
    await t.storage.backends.heartbeat(
      { id, address: `127.0.0.1:${id === 'b1' ? 1 : 2}`, kind: 'lmtp' },
      10_000,
    );
  }
});
afterEach(async () => {
  await t.cleanup();
});

const route = (mode: 'dynamic' | 'static', rcpts: string[]) =>
  routeRecipients(
    {
      directory: t.storage.directory,
      leases: t.storage.leases,
      registry: t.storage.backends,
      mode,
      now: t.clock.now(),
    },
    rcpts,
  );

describe('routing accounts with a HomeBackend', () => {
  it('sends them to the home only, in either mode, even when another backend holds the lease', async () => {
    await t.storage.directory.updateAccountSettings('alice@example.com', { HomeBackend: 'b2' });
    await t.storage.leases.acquire('alice@example.com', 'b1', 60_000);
    for (const mode of ['dynamic', 'static'] as const) {
      const plan = await route(mode, ['alice@example.com']);
      expect([...plan.local.keys()]).toEqual(['b2']);
      expect(plan.decided.size).toBe(0);
    }
  });

  it('answers temporary when the home is down, with the other backend live', async () => {
    await t.storage.directory.updateDomain('example.com', { defaults: { HomeBackend: 'b2' } });
    await t.storage.backends.deregister('b2');
    for (const mode of ['dynamic', 'static'] as const) {
      const plan = await route(mode, ['alice@example.com', 'bob@example.com']);
      expect(plan.local.size).toBe(0);
      expect(plan.decided.get('alice@example.com')).toMatchObject({
        kind: 'temporary',
        reply: { code: 451, text: expect.stringContaining('home backend b2 of alice@example.com is down') },
      });
      expect(plan.decided.get('bob@example.com')?.kind).toBe('temporary');
    }
  });

  it('routes accounts without a home as before (a live lease owner in dynamic mode)', async () => {
    await t.storage.leases.acquire('bob@example.com', 'b1', 60_000);
    const plan = await route('dynamic', ['bob@example.com']);
    expect([...plan.local.keys()]).toEqual(['b1']);
  });
});
