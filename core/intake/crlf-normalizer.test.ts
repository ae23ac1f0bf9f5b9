import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CrlfNormalizer, createCrlfTransform } from './crlf-normalizer.ts';

function normalizeChunks(chunks: string[]): string {
  const n = new CrlfNormalizer();
  const out = chunks.map((c) => n.push(Buffer.from(c, 'latin1')).toString('latin1'));
  return out.join('') + n.flush().toString('latin1');
}

describe('CrlfNormalizer', () => {
  it('turns bare LF and bare CR into CRLF and keeps CRLF', () => {
    expect(normalizeChunks(['a\nb\rc\r\nd'])).toBe('a\r\nb\r\nc\r\nd');
    expect(normalizeChunks(['\r\r\n\n\r'])).toBe('\r\n\r\n\r\n\r\n');
    expect(normalizeChunks(['no line ends'])).toBe('no line ends');
    expect(normalizeChunks([''])).toBe('');
  });

  it('holds a CR at the end of a chunk until it sees the next byte', () => {
    const n = new CrlfNormalizer();
    expect(n.push(Buffer.from('abc\r')).toString()).toBe('abc');
    expect(n.push(Buffer.from('\ndef')).toString()).toBe('\r\ndef');
    expect(n.push(Buffer.from('x\r')).toString()).toBe('x');
    expect(n.push(Buffer.from('y')).toString()).toBe('\r\ny'); // the held CR was bare
    expect(n.push(Buffer.from('\r')).toString()).toBe('');
    expect(n.push(Buffer.alloc(0)).toString()).toBe(''); // an empty chunk decides nothing
    expect(n.flush().toString()).toBe('\r\n'); // a CR at the very end is bare
  });

  it('gives the same result however the input is split', () => {
    const input = 'H: v\r\n\r\nline1\nline2\rline3\r\n\r\r\n\n.\n\r\n.\r\nend\r';
    const expected = normalizeChunks([input]);
    expect(expected).toBe('H: v\r\n\r\nline1\r\nline2\r\nline3\r\n\r\n\r\n\r\n.\r\n\r\n.\r\nend\r\n');
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j += 3) {
        expect(normalizeChunks([input.slice(0, i), input.slice(i, j), input.slice(j)])).toBe(expected);
      }
    }
    expect(normalizeChunks([...input])).toBe(expected); // one byte per chunk
  });

  it('works as a stream Transform', async () => {
    const out: Buffer[] = [];
    const t = Readable.from([Buffer.from('a\r'), Buffer.from('\nb\n'), Buffer.from('c\r')]).pipe(
      createCrlfTransform(),
    );
    for await (const chunk of t) out.push(chunk as Buffer);
    expect(Buffer.concat(out).toString()).toBe('a\r\nb\r\nc\r\n');
  });
});
