import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isBadReplyLine, ReplyAssembler, writeDotStuffed } from './smtp-wire.ts';

describe('ReplyAssembler', () => {
  it('joins continuation lines, across chunk boundaries, and keeps replies in order', () => {
    const a = new ReplyAssembler();
    expect(a.push('250-mx.example\r\n250-PIPE')).toEqual([]);
    const [ehlo, ok] = a.push('LINING\r\n250 DSN\r\n250 2.1.0 Sender ok\r\n');
    expect(ehlo).toMatchObject({ code: 250, text: expect.stringContaining('PIPELINING') });
    expect(ok).toEqual({ code: 250, enhanced: '2.1.0', text: 'Sender ok' });
  });

  it('takes a bare code, and calls anything else out of step', () => {
    const a = new ReplyAssembler();
    expect(a.push('354\r\n')).toEqual([{ code: 354, enhanced: '3.0.0', text: '' }]);
    const [bad] = a.push('hello there\r\n');
    expect(bad && isBadReplyLine(bad)).toBe(true);
  });
});

describe('writeDotStuffed', () => {
  const written = async (chunks: string[]) => {
    const out: string[] = [];
    let ended = -1;
    await writeDotStuffed(
      Readable.from(chunks.map((c) => Buffer.from(c))),
      async (d) => {
        out.push(String(d));
      },
      () => {
        ended = out.length;
      },
    );
    return { text: out.join(''), endedBeforeLastWrite: ended === out.length - 1 };
  };

  it('doubles a dot at the start of every line, also across chunks, and ends with a lone dot', async () => {
    expect(await written(['.a\r\nb\r\n', '.c\r\n'])).toEqual({
      text: '..a\r\nb\r\n..c\r\n.\r\n',
      endedBeforeLastWrite: true,
    });
    expect((await written(['no final line end'])).text).toBe('no final line end\r\n.\r\n');
    expect((await written(['a', '.b\r\n'])).text).toBe('a.b\r\n.\r\n');
  });
});
