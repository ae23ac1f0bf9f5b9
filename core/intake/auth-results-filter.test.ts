import { describe, expect, it } from 'vitest';
import { AuthResultsFilter, authResultsVerdict } from './auth-results-filter.ts';

const ID = 'mx.strato.test';

function filter(chunks: string[]): { text: string; removed: number } {
  const f = new AuthResultsFilter(ID);
  const out = chunks.map((c) => f.push(Buffer.from(c, 'latin1')).toString('latin1'));
  return { text: out.join('') + f.flush().toString('latin1'), removed: f.removed };
}

const MESSAGE =
  'Received: from a\r\n' +
  'Authentication-Results: mx.strato.test; dmarc=pass header.from=evil.example\r\n' +
  'Subject: hi\r\n' +
  'authentication-results:\r\n (forged) MX.Strato.Test.;\r\n\tspf=pass\r\n' +
  'Authentication-Results: other.example; dkim=pass header.d=ok.example\r\n' +
  'Authentication-Results: "mx.strato.test"; arc=pass\r\n' +
  'Authentication-Results: mx.strato.test.evil; spf=pass\r\n' +
  'X-Authentication-Results: mx.strato.test; kept\r\n' +
  'From: a@b.test\r\n\r\nAuthentication-Results: mx.strato.test; in the body, kept\r\n';
const EXPECTED =
  'Received: from a\r\nSubject: hi\r\n' +
  'Authentication-Results: other.example; dkim=pass header.d=ok.example\r\n' +
  'Authentication-Results: mx.strato.test.evil; spf=pass\r\n' +
  'X-Authentication-Results: mx.strato.test; kept\r\n' +
  'From: a@b.test\r\n\r\nAuthentication-Results: mx.strato.test; in the body, kept\r\n';

describe('AuthResultsFilter', () => {
  it('removes fields claiming our authserv-id (folded, commented, quoted, any case) and keeps the rest', () => {
    expect(filter([MESSAGE])).toEqual({ text: EXPECTED, removed: 3 });
  });

  it('gives the same result however the bytes are split', () => {
    for (const size of [1, 2, 3, 7, 23, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < MESSAGE.length; i += size) chunks.push(MESSAGE.slice(i, i + size));
      expect(filter(chunks)).toEqual({ text: EXPECTED, removed: 3 });
    }
  });

  it('decides a field whose authserv-id ends the message header', () => {
    expect(filter(['Authentication-Results: mx.strato.test'])).toEqual({ text: '', removed: 1 });
    expect(filter(['Authentication-Results: mx.strato.testing'])).toEqual({
      text: 'Authentication-Results: mx.strato.testing',
      removed: 0,
    });
  });

  it('keeps an undecidable field once it is longer than the hold limit', () => {
    const long = `Authentication-Results: (${'x'.repeat(5000)}\r\n\r\nbody`;
    expect(filter([long])).toEqual({ text: long, removed: 0 });
  });

  it('answers undefined only while more bytes could decide', () => {
    expect(authResultsVerdict('Auth', ID, false)).toBeUndefined();
    expect(authResultsVerdict('Autx', ID, false)).toBe('keep');
    expect(authResultsVerdict('Authentication-Results: mx.str', ID, false)).toBeUndefined();
    expect(authResultsVerdict('Authentication-Results: mx.strato.test;', ID, false)).toBe('drop');
    expect(authResultsVerdict('Authentication-Results: ; x', ID, false)).toBe('keep');
  });
});
