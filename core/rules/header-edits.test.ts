import { describe, expect, it } from 'vitest';
import { applyHeaderEdits, editMessageHeaders, MAX_EDITABLE_HEADER_BYTES } from './header-edits.ts';
import type { HeaderEdit } from './plan.ts';

const SECTION = 'Received: from a by b\r\nFrom: bob@example.net\r\nSubject: Lunch?\r\n';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The edited section as text; mailsplit rebuilds it with the empty line that ends it. */
const edited = (section: string, edits: HeaderEdit[]) => applyHeaderEdits(section, edits).toString('utf8');

describe('applyHeaderEdits', () => {
  it.each<[string, HeaderEdit[], string]>([
    [
      'appends an added header at the end of the section',
      [{ kind: 'add header', name: 'X-Filtered', value: 'yes' }],
      `${SECTION}X-Filtered: yes\r\n`,
    ],
    [
      'tags the subject',
      [{ kind: 'tag subject', tag: '[lunch]' }],
      SECTION.replace('Subject: Lunch?', 'Subject: [lunch] Lunch?'),
    ],
    [
      'encodes a non-ASCII added value',
      [{ kind: 'add header', name: 'X-Note', value: 'geprüft' }],
      `${SECTION}X-Note: =?UTF-8?B?Z2VwcsO8ZnQ=?=\r\n`,
    ],
    [
      'applies edits in order',
      [
        { kind: 'tag subject', tag: '[a]' },
        { kind: 'tag subject', tag: '[b]' },
      ],
      SECTION.replace('Subject: Lunch?', 'Subject: [b] [a] Lunch?'),
    ],
  ])('%s', (_, edits, expected) => {
    expect(edited(SECTION, edits)).toBe(`${expected}\r\n`);
  });

  it('adds a Subject when there is none', () => {
    expect(edited('From: x@y.example\r\n', [{ kind: 'tag subject', tag: '[SPAM]' }])).toBe(
      'From: x@y.example\r\nSubject: [SPAM]\r\n\r\n',
    );
  });

  it('does not tag a subject twice', () => {
    const tagged = 'Subject: [SPAM] =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n';
    // Nothing changed, so the section comes back byte for byte (not rebuilt).
    expect(edited(tagged, [{ kind: 'tag subject', tag: '[spam]' }])).toBe(tagged);
  });

  it('tags a subject whose value starts on a folded line', () => {
    expect(edited('Subject:\r\n Lunch?\r\n', [{ kind: 'tag subject', tag: '[x]' }])).toBe(
      'Subject: [x] \r\n Lunch?\r\n\r\n',
    );
  });

  it('folds a long added value and strips line breaks from it, so it cannot add a header', () => {
    const long = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    const out = edited('From: x@y.example\r\n', [{ kind: 'add header', name: 'X-Long', value: long }]);
    for (const line of out.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(out.replace(/\r\n /g, ' ')).toBe(`From: x@y.example\r\nX-Long: ${long}\r\n\r\n`);
    const injected = edited('From: x@y.example\r\n', [
      { kind: 'add header', name: 'X-A', value: 'a\r\nBcc: evil@x.example' },
    ]);
    expect(injected).toBe('From: x@y.example\r\nX-A: a Bcc: evil@x.example\r\n\r\n');
  });
});

describe('editMessageHeaders', () => {
  const message = `${SECTION}\r\nbody line 1\r\nSubject: not a header\r\n`;

  it('edits the header section and streams the body unchanged, across chunk boundaries', async () => {
    for (const size of [1, 7, 64, 4096]) {
      const out = await collect(
        editMessageHeaders([{ kind: 'tag subject', tag: '[t]' }], chunks(message, size)),
      );
      expect(out).toBe(message.replace('Subject: Lunch?', 'Subject: [t] Lunch?'));
    }
  });

  it('keeps raw 8-bit header bytes exactly, valid UTF-8 or not', async () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: caf', 'latin1'),
      Buffer.from([0xe9]), // Latin-1 é: not valid UTF-8
      Buffer.from(' / Grüße\r\n\r\nbody', 'utf8'),
    ]);
    async function* source() {
      yield raw;
    }
    const parts: Buffer[] = [];
    for await (const chunk of editMessageHeaders([{ kind: 'tag subject', tag: '[t]' }], source()))
      parts.push(Buffer.from(chunk));
    const expected = Buffer.concat([
      Buffer.from('Subject: [t] ', 'latin1'),
      raw.subarray('Subject: '.length),
    ]);
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
  });

  it('passes the message through when there are no edits', async () => {
    expect(await collect(editMessageHeaders([], chunks(message, 5)))).toBe(message);
  });

  it('passes a message without an end of headers through unedited', async () => {
    const noEnd = 'Subject: x\r\nFrom: y';
    expect(await collect(editMessageHeaders([{ kind: 'tag subject', tag: '[t]' }], chunks(noEnd, 3)))).toBe(
      noEnd,
    );
  });

  it('passes an oversized header section through unedited', async () => {
    const huge = `X-Big: ${'a'.repeat(MAX_EDITABLE_HEADER_BYTES)}\r\nSubject: x\r\n\r\nbody`;
    const out = await collect(editMessageHeaders([{ kind: 'tag subject', tag: '[t]' }], chunks(huge, 65536)));
    // Compared as a boolean: a failing diff of 256 KiB helps nobody.
    expect(out.length).toBe(huge.length);
    expect(out === huge).toBe(true);
  });
});
