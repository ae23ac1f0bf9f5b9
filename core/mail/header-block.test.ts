import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readHeaderBlock, splitHeaderSection } from './header-block.ts';

const bytes = (chunks: (string | Buffer)[]) =>
  chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c));

const read = async (chunks: (string | Buffer)[], limit?: number) =>
  (await readHeaderBlock(Readable.from(bytes(chunks)), limit)).toString('latin1');

async function* source(chunks: (string | Buffer)[]) {
  yield* bytes(chunks);
}

describe('readHeaderBlock', () => {
  it('stops at the empty line, across chunks, for CRLF and bare LF', async () => {
    expect(await read(['Subject: a\r\nFro', 'm: b\r', '\n\r\nbody'])).toBe('Subject: a\r\nFrom: b\r\n\r\n');
    expect(await read(['Subject: a\nFrom: b\n\nbody'])).toBe('Subject: a\nFrom: b\n\n');
    expect(await read(['\r\nbody only'])).toBe('\r\n');
    expect(await read(['Subject: no body'])).toBe('Subject: no body');
  });

  it('keeps the raw bytes (decoding is the parser’s job) and cuts at the limit', async () => {
    const latin1 = Buffer.from('Subject: Gr\xfc\xdfe\r\n\r\nbody', 'latin1');
    expect((await readHeaderBlock(Readable.from([latin1]))).equals(latin1.subarray(0, 18))).toBe(true);
    expect(await read(['X: ', 'y'.repeat(100)], 10)).toBe('X: yyyyyyy');
    expect(await read([`X: ${'y'.repeat(200)}\r\n\r\nbody`], 100)).toBe(`X: ${'y'.repeat(97)}`);
  });

  it('stops reading at the end of the header section and destroys the stream', async () => {
    let pulled = 0;
    const stream = Readable.from(
      (function* () {
        for (const chunk of ['Subject: a\r\n\r\n', 'body 1\r\n', 'body 2\r\n']) {
          pulled++;
          yield Buffer.from(chunk);
        }
      })(),
    );
    expect((await readHeaderBlock(stream)).toString()).toBe('Subject: a\r\n\r\n');
    expect(pulled).toBeLessThan(3);
    expect(stream.destroyed).toBe(true);
  });
});

describe('splitHeaderSection', () => {
  it('hands back the parsed section, its length, the bytes read and the rest of the source', async () => {
    const split = await splitHeaderSection(
      source(['From: a@b.example\r\nSub', 'ject: x\r\n\r\nbo', 'dy\r\n']),
    );
    expect(split.headers?.getFirst('subject')).toBe('x');
    expect(split.read.subarray(0, split.sectionLength).toString()).toBe(
      'From: a@b.example\r\nSubject: x\r\n\r\n',
    );
    expect(split.read.subarray(split.sectionLength).toString()).toBe('bo');
    expect((await split.rest.next()).value.toString()).toBe('dy\r\n');
  });

  it('reports no section when the message ends inside it or it is over the limit', async () => {
    const open = await splitHeaderSection(source(['Subject: x\r\nFrom: y']));
    expect(open.headers).toBeUndefined();
    expect(open.read.toString()).toBe('Subject: x\r\nFrom: y');
    const huge = await splitHeaderSection(
      source([`X: ${'a'.repeat(5000)}\r\n`, 'Subject: x\r\n\r\nbody']),
      1024,
    );
    expect(huge.headers).toBeUndefined();
    expect(huge.read.length).toBeGreaterThan(0);
  });
});
