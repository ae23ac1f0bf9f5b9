import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { LongLineFolder, MAX_LINE_OCTETS } from './line-folding.ts';

/** Run `input` through a folder in chunks of `size` bytes. */
async function fold(input: string, size = 64 * 1024, max?: number): Promise<string> {
  const bytes = Buffer.from(input, 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return (await text(Readable.from(chunks).pipe(new LongLineFolder(max)))).toString();
}

const lines = (s: string) => s.split('\r\n');

describe('LongLineFolder', () => {
  it('leaves lines of up to 998 octets untouched', async () => {
    const msg = `Subject: ${'s'.repeat(MAX_LINE_OCTETS - 9)}\r\n\r\n${'b'.repeat(MAX_LINE_OCTETS)}\r\nend\r\n`;
    expect(await fold(msg)).toBe(msg);
  });

  it('breaks a longer line with CRLF SPACE so that no line is over 998 octets', async () => {
    const long = 'x'.repeat(3000);
    const out = await fold(`A: 1\r\n\r\n${long}\r\nend\r\n`);
    for (const l of lines(out)) expect(l.length).toBeLessThanOrEqual(MAX_LINE_OCTETS);
    expect(lines(out)).toEqual([
      'A: 1',
      '',
      'x'.repeat(998),
      ` ${'x'.repeat(997)}`,
      ` ${'x'.repeat(997)}`,
      ` ${'x'.repeat(8)}`,
      'end',
      '',
    ]);
    // Removing the inserted breaks gives the original back.
    expect(out.replaceAll('\r\n ', '')).toBe(`A: 1\r\n\r\n${long}\r\nend\r\n`);
  });

  it('folds a long header line (a valid fold: the field keeps its content)', async () => {
    const out = await fold(`Subject: ${'w'.repeat(1500)}\r\n\r\nbody\r\n`);
    expect(lines(out)[1]!.startsWith(' ')).toBe(true);
    expect(lines(out)[0]!.length).toBe(998);
  });

  it('gives the same result whatever the chunking, CRLF split across chunks included', async () => {
    const msg = `H: ${'a'.repeat(996)}\r\n${'b'.repeat(998)}\r\n${'c'.repeat(999)}\r\n${'d'.repeat(2500)}\r\nlast`;
    const whole = await fold(msg);
    for (const size of [1, 2, 3, 997, 998, 999, 1000, 4096]) expect(await fold(msg, size)).toBe(whole);
    expect(lines(whole).every((l) => l.length <= MAX_LINE_OCTETS)).toBe(true);
  });

  it('folds at any configured limit', async () => {
    expect(await fold('abcdefgh\r\n', 3, 4)).toBe('abcd\r\n efg\r\n h\r\n');
  });
});
