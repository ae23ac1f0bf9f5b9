import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { consumeAddressRate } from './address-rates.ts';

const LIMITS = { messagesPerAddress: 2, recipientsPerAddress: 3, rateWindowSeconds: 3600 };

describe('per-address MX rates', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('refuses messages past the limit with 450 4.7.1 naming it, per address', async () => {
    const c = t.storage.counters;
    expect(await consumeAddressRate(c, LIMITS, 'messages', '192.0.2.1')).toBeUndefined();
    expect(await consumeAddressRate(c, LIMITS, 'messages', '192.0.2.1')).toBeUndefined();
    expect(await consumeAddressRate(c, LIMITS, 'messages', '192.0.2.1')).toEqual({
      code: 450,
      enhanced: '4.7.1',
      text: 'Too many messages from your address (limit 2 per 3600 seconds), try again later',
    });
    expect(await consumeAddressRate(c, LIMITS, 'messages', '192.0.2.2')).toBeUndefined();
    t.clock.advance(3_600_000);
    expect(await consumeAddressRate(c, LIMITS, 'messages', '192.0.2.1')).toBeUndefined();
  });

  it('counts recipients apart from messages; 0 is off', async () => {
    const c = t.storage.counters;
    for (let i = 0; i < 3; i++)
      expect(await consumeAddressRate(c, LIMITS, 'recipients', '192.0.2.1')).toBeUndefined();
    expect((await consumeAddressRate(c, LIMITS, 'recipients', '192.0.2.1'))?.text).toMatch(
      /recipients .*limit 3/,
    );
    const off = { ...LIMITS, recipientsPerAddress: 0 };
    expect(await consumeAddressRate(c, off, 'recipients', '192.0.2.1')).toBeUndefined();
  });

  it('counts IPv6 clients by their /64', async () => {
    const c = t.storage.counters;
    expect(await consumeAddressRate(c, LIMITS, 'messages', '2001:db8:0:1::a')).toBeUndefined();
    expect(await consumeAddressRate(c, LIMITS, 'messages', '2001:db8:0:1::b')).toBeUndefined();
    expect(await consumeAddressRate(c, LIMITS, 'messages', '2001:db8:0:1:ffff::c')).toMatchObject({
      code: 450,
    });
    expect(await consumeAddressRate(c, LIMITS, 'messages', '2001:db8:0:2::a')).toBeUndefined();
  });
});
