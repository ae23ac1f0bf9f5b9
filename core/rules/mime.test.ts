import { describe, expect, it } from 'vitest';
import { decodeEncodedWords } from './headers.ts';
import {
  derivedMessageId,
  encodeHeaderText,
  encodeTextBody,
  formatMailbox,
  formatMessageDate,
  headerLine,
  oneLine,
} from './mime.ts';

describe('header text', () => {
  it('leaves ASCII alone and strips line breaks', () => {
    expect(encodeHeaderText('Out of office')).toBe('Out of office');
    expect(oneLine('a\r\nBcc: x@y.example')).toBe('a Bcc: x@y.example');
    expect(encodeHeaderText('a\r\nBcc: x@y.example')).toBe('a Bcc: x@y.example');
  });

  it('encodes non-ASCII as UTF-8 words of at most 75 characters that decode back', () => {
    const text = 'Abwesenheitsnotiz: ich bin bis zum 14. April nicht im Büro – Grüße 😀';
    const encoded = encodeHeaderText(text);
    for (const word of encoded.split(' ')) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
      // Split on character boundaries: every word decodes on its own.
      expect(decodeEncodedWords(word)).not.toContain('\uFFFD');
    }
    expect(encoded.split(' ').length).toBeGreaterThan(1);
    expect(decodeEncodedWords(encoded)).toBe(text);
  });

  it.each([
    ['alice@example.com', undefined, '<alice@example.com>'],
    ['alice@example.com', 'Alice Liddell', '"Alice Liddell" <alice@example.com>'],
    ['alice@example.com', 'A "B" \\C', '"A \\"B\\" \\\\C" <alice@example.com>'],
    ['alice@example.com', 'Jörg', '=?UTF-8?B?SsO2cmc=?= <alice@example.com>'],
  ])('formatMailbox(%s, %s) → %s', (address, name, expected) => {
    expect(formatMailbox(address, name)).toBe(expected);
  });

  it('folds long header lines at spaces', () => {
    const refs = Array.from({ length: 6 }, (_, i) => `<message-${i}-abcdefghij@example.net>`).join(' ');
    const line = headerLine('References', refs);
    const lines = line.split('\r\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(78);
    expect(line.replace(/\r\n /g, ' ')).toBe(`References: ${refs}\r\n`);
  });
});

describe('text bodies', () => {
  it('keeps short ASCII as 7bit with CRLF line ends', () => {
    expect(encodeTextBody('one\ntwo\r\nthree')).toEqual({
      encoding: '7bit',
      body: 'one\r\ntwo\r\nthree\r\n',
    });
  });

  it('uses quoted-printable for UTF-8, soft-breaking long lines at 76', () => {
    const { encoding, body } = encodeTextBody(`Grüße ${'x'.repeat(100)} =`);
    expect(encoding).toBe('quoted-printable');
    const lines = body.split('\r\n').filter(Boolean);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(76);
    expect(lines[0]!.startsWith('Gr=C3=BC=C3=9Fe ')).toBe(true);
    expect(body.endsWith('x =3D\r\n')).toBe(true);
    const decoded = Buffer.from(
      body
        .replace(/=\r\n/g, '')
        .replace(/\r\n$/, '')
        .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
    expect(decoded).toBe(`Grüße ${'x'.repeat(100)} =`);
  });

  it('encodes trailing white space in quoted-printable, and lines over 998 characters', () => {
    expect(encodeTextBody('grün \nok').body).toBe('gr=C3=BCn=20\r\nok\r\n');
    expect(encodeTextBody('y'.repeat(1000)).encoding).toBe('quoted-printable');
  });
});

describe('dates and ids', () => {
  it.each([
    [0, 'Mon, 3 Mar 2025 09:15:07 +0000'],
    [60, 'Mon, 3 Mar 2025 10:15:07 +0100'],
    [-330, 'Mon, 3 Mar 2025 03:45:07 -0530'],
    [900, 'Tue, 4 Mar 2025 00:15:07 +1500'],
  ])('offset %i → %s', (offset, expected) => {
    expect(formatMessageDate(new Date('2025-03-03T09:15:07Z'), offset)).toBe(expected);
  });

  it('derives Message-IDs from the seed', () => {
    expect(derivedMessageId('a', 'example.com')).toBe(derivedMessageId('a', 'example.com'));
    expect(derivedMessageId('a', 'example.com')).not.toBe(derivedMessageId('b', 'example.com'));
    expect(derivedMessageId('a', 'exa mple<>.com')).toMatch(/^<[0-9a-f]{24}\.rule@example\.com>$/);
  });
});
