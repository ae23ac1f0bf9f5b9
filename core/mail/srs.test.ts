import { describe, expect, it } from 'vitest';
import { parseAddress } from './address.ts';
import { SRS_MAX_AGE_DAYS, srsAccount, srsForward, srsReverse } from './srs.ts';

const NOW = Date.UTC(2026, 3, 1, 12);
const DAY = 86_400_000;
const SECRET = 'test-secret';

describe('SRS return paths', () => {
  it('rewrites the sender at the account and reverses to the account and the original sender', () => {
    const srs = srsForward('Sender@Example.ORG', 'alice@example.com', SECRET, NOW)!;
    expect(srs).toMatch(/^alice\+srs0=[a-z2-7]{8}=[a-z2-7]{2}=example\.org=sender@example\.com$/);
    expect(parseAddress(srs).ok).toBe(true);
    expect(srsReverse(srs, SECRET, NOW + 3 * DAY)).toEqual({
      ok: true,
      account: 'alice@example.com',
      sender: 'sender@example.org',
    });
    expect(srsReverse(srs.toUpperCase(), SECRET, NOW)).toMatchObject({ ok: true });
    expect(srsAccount(srs)).toBe('alice@example.com');
  });

  it('refuses a forged hash, another secret and an old address', () => {
    const srs = srsForward('sender@example.org', 'alice@example.com', SECRET, NOW)!;
    const forged = srs.replace(/srs0=[a-z2-7]{8}/, 'srs0=aaaaaaaa');
    expect(srsReverse(forged, SECRET, NOW)).toEqual({ ok: false, reason: 'bad SRS hash' });
    expect(srsReverse(srs, 'other', NOW)).toEqual({ ok: false, reason: 'bad SRS hash' });
    // The hash covers the account: moving the address to another account breaks it.
    expect(srsReverse(srs.replace(/^alice/, 'bob'), SECRET, NOW)).toMatchObject({ ok: false });
    expect(srsReverse(srs, SECRET, NOW + SRS_MAX_AGE_DAYS * DAY)).toMatchObject({ ok: true });
    expect(srsReverse(srs, SECRET, NOW + (SRS_MAX_AGE_DAYS + 1) * DAY)).toEqual({
      ok: false,
      reason: 'SRS address expired',
    });
  });

  it('answers undefined for ordinary addresses and for senders too long to rewrite', () => {
    expect(srsReverse('alice@example.com', SECRET, NOW)).toBeUndefined();
    expect(srsAccount('alice+tag@example.com')).toBeUndefined();
    expect(srsForward(`${'x'.repeat(40)}@example.org`, 'alice@example.com', SECRET, NOW)).toBeUndefined();
  });

  it('keeps the day stamp valid across the 1024-day wrap', () => {
    const wrap = 1024 * DAY * Math.ceil(NOW / (1024 * DAY));
    const srs = srsForward('s@example.org', 'alice@example.com', SECRET, wrap - DAY)!;
    expect(srsReverse(srs, SECRET, wrap + DAY)).toMatchObject({ ok: true });
  });
});
