import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../ports/backend-registry.ts';
import { chooseBackend, rendezvous } from './choose-backend.ts';

const b = (id: string): BackendInfo => ({
  id,
  address: `127.0.0.1:${id.length}`,
  kind: 'lmtp',
  expiresAt: 10_000,
});
const accounts = Array.from({ length: 2000 }, (_, i) => `user${i}@example.com`);

describe('choosing a backend', () => {
  it('spreads accounts evenly and moves only about 1/n of them when a backend leaves', () => {
    const three = [b('b1'), b('b2'), b('b3')];
    const before = new Map(accounts.map((a) => [a, rendezvous(a, three)!.id]));
    const counts = [...before.values()].reduce(
      (m, id) => m.set(id, (m.get(id) ?? 0) + 1),
      new Map<string, number>(),
    );
    for (const n of counts.values()) expect(n).toBeGreaterThan(2000 / 3 - 120);
    const after = new Map(accounts.map((a) => [a, rendezvous(a, [b('b1'), b('b3')])!.id]));
    const moved = accounts.filter((a) => before.get(a) !== after.get(a));
    // Only the accounts that lived on b2 move.
    expect(moved.every((a) => before.get(a) === 'b2')).toBe(true);
    expect(moved.length).toBe(counts.get('b2'));
  });

  it('prefers a live lease owner over the hash', () => {
    const live = [b('b1'), b('b2')];
    const hashed = rendezvous('x@example.com', live)!.id;
    const other = hashed === 'b1' ? 'b2' : 'b1';
    const lease = { account: 'x@example.com', owner: other, epoch: 3, expiresAt: 2000 };
    const choice = chooseBackend({
      account: 'x@example.com',
      lease,
      live,
      all: live,
      mode: 'dynamic',
      now: 1000,
    });
    expect(choice).toMatchObject({ ok: true, why: 'lease-owner', backend: { id: other } });
  });

  it('ignores an expired lease or a dead owner', () => {
    const live = [b('b1')];
    const lease = { account: 'x@example.com', owner: 'b9', epoch: 1, expiresAt: 5000 };
    expect(
      chooseBackend({ account: 'x@example.com', lease, live, all: live, mode: 'dynamic', now: 1000 }),
    ).toMatchObject({
      ok: true,
      why: 'rendezvous',
      backend: { id: 'b1' },
    });
    expect(
      chooseBackend({
        account: 'x@example.com',
        lease: undefined,
        live: [],
        all: [],
        mode: 'dynamic',
        now: 0,
      }),
    ).toEqual({
      ok: false,
      reason: 'no live backends',
    });
  });

  it('in static mode pins to the home backend and does not fail over', () => {
    const all = [b('b1'), b('b2')];
    const home = rendezvous('y@example.com', all)!.id;
    const liveOthers = all.filter((x) => x.id !== home);
    expect(
      chooseBackend({ account: 'y@example.com', lease: undefined, live: all, all, mode: 'static', now: 0 }),
    ).toMatchObject({
      ok: true,
      why: 'home',
      backend: { id: home },
    });
    const down = chooseBackend({
      account: 'y@example.com',
      lease: undefined,
      live: liveOthers,
      all,
      mode: 'static',
      now: 0,
    });
    expect(down).toEqual({ ok: false, reason: `home backend ${home} of y@example.com is down` });
  });

  it('sends an account with a HomeBackend there only, in either mode, over a live lease owner', () => {
    const live = [b('b1'), b('b2')];
    const lease = { account: 'z@example.com', owner: 'b1', epoch: 1, expiresAt: 5000 };
    for (const mode of ['dynamic', 'static'] as const) {
      expect(
        chooseBackend({ account: 'z@example.com', lease, live, all: live, mode, now: 0, home: 'b2' }),
      ).toMatchObject({ ok: true, why: 'home-setting', backend: { id: 'b2' } });
      // Down (or never registered): retry later, never another backend.
      expect(
        chooseBackend({
          account: 'z@example.com',
          lease,
          live: [b('b1')],
          all: live,
          mode,
          now: 0,
          home: 'b2',
        }),
      ).toEqual({ ok: false, reason: 'home backend b2 of z@example.com is down' });
    }
    // null = no home: the lease owner decides again.
    expect(
      chooseBackend({
        account: 'z@example.com',
        lease,
        live,
        all: live,
        mode: 'dynamic',
        now: 0,
        home: null,
      }),
    ).toMatchObject({ ok: true, why: 'lease-owner', backend: { id: 'b1' } });
  });
});
