import { describe, expect, it } from 'vitest';
import { checkRecipient, checkSender, type EnvelopeDeps, isIpLiteralRecipient } from './envelope-checks.ts';

describe('isIpLiteralRecipient', () => {
  it('recognises address literals (IPv4 and IPv6) and nothing else', () => {
    expect(isIpLiteralRecipient('x@[10.0.0.5]')).toBe(true);
    expect(isIpLiteralRecipient('<x@[169.254.169.254]>')).toBe(true);
    expect(isIpLiteralRecipient('x@[IPv6:::1]')).toBe(true);
    expect(isIpLiteralRecipient('x@10.0.0.5.example')).toBe(false);
    expect(isIpLiteralRecipient('"[a]"@example.org')).toBe(false);
    expect(isIpLiteralRecipient('postmaster')).toBe(false);
  });
});

describe('SMTPUTF8 (RFC 6531)', () => {
  const session = { ip: '192.0.2.1', helo: 'c.test', esmtp: true, tls: false, requireAuth: false };

  it('refuses a non-ASCII sender without SMTPUTF8 with 553 5.6.7 and accepts it with', () => {
    expect(checkSender(session, 'josé@example.org')).toEqual({
      ok: false,
      reply: expect.objectContaining({ code: 553, enhanced: '5.6.7' }),
    });
    expect(checkSender(session, 'a@bücher.example')).toMatchObject({ ok: false, reply: { code: 553 } });
    expect(checkSender(session, 'josé@example.org', true)).toEqual({ ok: true, address: 'josé@example.org' });
    // The A-label form is ASCII: no SMTPUTF8 needed.
    expect(checkSender(session, 'a@xn--bcher-kva.example')).toEqual({
      ok: true,
      address: 'a@xn--bcher-kva.example',
    });
  });

  it('refuses a non-ASCII recipient without SMTPUTF8 before any lookup', async () => {
    const fail = () => {
      throw new Error('no lookup expected');
    };
    const deps = {
      directory: { getDomain: fail, getAccount: fail, lookupName: fail, getClusterSettings: fail },
      mailboxes: {},
      trustedNetworks: { contains: () => false },
      logger: { error: fail },
    } as unknown as EnvelopeDeps;
    expect(await checkRecipient(deps, session, { address: 'jürgen@example.org' })).toEqual({
      ok: false,
      reply: expect.objectContaining({ code: 553, enhanced: '5.6.7' }),
    });
  });
});
