import { describe, expect, it } from 'vitest';
import { HeaderLimitCounter, type HeaderLimits } from './header-limits.ts';

const LIMITS: HeaderLimits = { maxFieldBytes: 100, maxSectionBytes: 300, maxFields: 5 };

/** Feed `text` in chunks of `size` bytes; the counter after the last chunk. */
function count(text: string, size = 7, limits = LIMITS): HeaderLimitCounter {
  const counter = new HeaderLimitCounter(limits);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) counter.push(bytes.subarray(i, i + size));
  return counter;
}

describe('HeaderLimitCounter', () => {
  it('counts fields, not continuation lines, and stops at the empty line', () => {
    const c = count(
      'A: 1\r\nB: 2\r\n folded\r\n\tagain\r\nC: 3\r\n\r\nD: body\r\nE: body\r\nF: x\r\nG: y\r\n',
    );
    expect(c.fieldCount).toBe(3);
    expect(c.headersDone).toBe(true);
    expect(c.exceeded).toBeUndefined();
  });

  it('refuses one field more than the count limit', () => {
    expect(count('A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n').exceeded).toBeUndefined();
    expect(count('A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n\r\n').exceeded).toEqual({
      limit: 'field-count',
      max: 5,
    });
  });

  it('counts a folded field with its continuation lines against the field limit', () => {
    const ok = `S: ${'x'.repeat(100 - 5)}\r\n`; // exactly 100 bytes with CRLF
    expect(Buffer.byteLength(ok)).toBe(100);
    expect(count(`${ok}\r\n`).exceeded).toBeUndefined();
    const folded = `S: ${'x'.repeat(50)}\r\n ${'y'.repeat(50)}\r\n\r\n`;
    expect(count(folded, 1).exceeded).toEqual({ limit: 'field-size', max: 100 });
  });

  it('refuses a section over the section limit even when every field is small', () => {
    const fields = Array.from({ length: 4 }, (_, i) => `H${i}: ${'z'.repeat(80)}\r\n`).join('');
    expect(count(`${fields}\r\n`, 13).exceeded).toEqual({ limit: 'section-size', max: 300 });
  });

  it('ignores a body of any size and shape', () => {
    const body = `${'b'.repeat(10_000)}\r\n`.repeat(5);
    const c = count(`A: 1\r\n\r\n${body}X: 1\r\nY: 2\r\nZ: 3\r\nW: 4\r\nV: 5\r\nU: 6\r\n`, 4096);
    expect(c.exceeded).toBeUndefined();
  });

  it('a message that ends inside its headers is still counted', () => {
    expect(count(`A: ${'q'.repeat(200)}`).exceeded).toEqual({ limit: 'field-size', max: 100 });
  });
});
