import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readHeaderBlock } from './header-block.ts';

const read = (chunks: (string | Buffer)[], limit?: number) =>
  readHeaderBlock(
    Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c))),
    limit,
  );

describe('readHeaderBlock', () => {
  it('stops at the empty line, across chunks, for CRLF and bare LF', async () => {
    expect(await read(['Subject: a\r\nFro', 'm: b\r', '\n\r\nbody'])).toBe('Subject: a\r\nFrom: b\r\n');
    expect(await read(['Subject: a\nFrom: b\n\nbody'])).toBe('Subject: a\nFrom: b\n');
    expect(await read(['\r\nbody only'])).toBe('');
    expect(await read(['Subject: no body'])).toBe('Subject: no body');
  });

  it('decodes UTF-8 when valid, Latin-1 otherwise, and cuts at the limit', async () => {
    expect(await read([Buffer.from('Subject: Grüße\r\n\r\n', 'utf8')])).toBe('Subject: Grüße\r\n');
    expect(await read([Buffer.from('Subject: Gr\xfc\xdfe\r\n\r\n', 'latin1')])).toBe('Subject: Grüße\r\n');
    expect(await read(['X: ', 'y'.repeat(100)], 10)).toBe('X: yyyyyyy');
  });
});
