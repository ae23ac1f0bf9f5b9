import { describe, expect, it } from 'vitest';
import { HeaderTap } from './header-tap.ts';

/** Feed `parts` one by one; the offsets answered and the tap. */
function feed(parts: string[], names = ['From', 'Sender'], max?: number) {
  const tap = new HeaderTap(names, max);
  const ends = parts.map((p) => tap.push(Buffer.from(p, 'latin1')));
  return { tap, ends };
}

describe('HeaderTap', () => {
  it('keeps the wanted fields with their folded lines, across chunk boundaries', () => {
    const { tap, ends } = feed([
      'Subject: a\r\nFr',
      'om: Bob\r\n <bob@x.example>\r\nTo: c@d\r\n',
      ' e@f\r\nsender: s@x\r',
      '\n\r\nbody',
    ]);
    expect(tap.block().toString('latin1')).toBe('From: Bob\r\n <bob@x.example>\r\nsender: s@x\r\n');
    expect(ends).toEqual([-1, -1, -1, 1]);
    expect(tap.ended).toBe(true);
    expect(tap.truncated).toBe(false);
  });

  it('reports the end at offset 0 for a message without a header section', () => {
    const { tap, ends } = feed(['\r\nFrom: not-a-header@x\r\n']);
    expect(ends).toEqual([0]);
    expect(tap.block().toString('latin1')).toBe('');
  });

  it('does not take a field name inside another field or a continuation line for a field', () => {
    const { tap } = feed(['X-Note: From: bob@x\r\n From: bob@y\r\nnot a field\r\n From: z@z\r\n\r\n']);
    expect(tap.block().toString('latin1')).toBe('');
  });

  it('marks a wanted field over the limit as truncated and keeps what fits', () => {
    const { tap } = feed([`From: ${'a'.repeat(100)}@x\r\n\r\n`], ['From'], 20);
    expect(tap.truncated).toBe(true);
    expect(tap.block().toString('latin1')).toBe(`From: ${'a'.repeat(14)}\r\n`);
  });

  it('ends at the end of a message that is all header, remembering whether a line was open', () => {
    const { tap } = feed(['From: a@b\r\nSubject: x']);
    expect(tap.ended).toBe(false);
    tap.end();
    expect(tap.ended).toBe(true);
    expect(tap.atLineStart).toBe(false);
    expect(tap.block().toString('latin1')).toBe('From: a@b\r\n');
  });
});
