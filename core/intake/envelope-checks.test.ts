import { describe, expect, it } from 'vitest';
import { isIpLiteralRecipient } from './envelope-checks.ts';

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
