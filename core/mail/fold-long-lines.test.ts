import { describe, expect, it } from 'vitest';
import { foldLongLines } from './fold-long-lines.ts';

async function fold(chunks: (string | Buffer)[], limit?: number): Promise<string> {
  const out: Buffer[] = [];
  for await (const b of foldLongLines(
    (async function* () {
      yield* chunks;
    })(),
    limit,
  ))
    out.push(b);
  return Buffer.concat(out).toString('latin1');
}

const lines = (text: string) => text.split('\r\n').map((l) => l.length);

describe('foldLongLines', () => {
  it('leaves lines up to the limit alone', async () => {
    const text = `Subject: x\r\n\r\n${'a'.repeat(998)}\r\nshort\r\n`;
    expect(await fold([text])).toBe(text);
  });

  it('folds a longer line with CRLF SPACE so no line exceeds 998 octets', async () => {
    const out = await fold([`X: ${'b'.repeat(2500)}\r\nend\r\n`]);
    expect(Math.max(...lines(out))).toBe(998);
    expect(out.replace(/\r\n /g, '')).toBe(`X: ${'b'.repeat(2500)}\r\nend\r\n`);
    expect(out.split('\r\n')[1]?.startsWith(' ')).toBe(true);
  });

  it('counts across chunk boundaries, including a CRLF split between chunks', async () => {
    const line = 'c'.repeat(1500);
    const chunks = [line.slice(0, 700), `${line.slice(700)}\r`, '\nnext\r\n'];
    const out = await fold(chunks, 998);
    expect(lines(out)).toEqual([998, 503, 4, 0]);
    const exact = await fold(['d'.repeat(500), `${'d'.repeat(498)}\r`, '\n'], 998);
    expect(exact).toBe(`${'d'.repeat(998)}\r\n`);
  });
});
