import { describe, expect, it } from 'vitest';
import {
  decodeEncodedWords,
  firstHeader,
  headerValues,
  parseAddressList,
  parseHeaderBlock,
} from './headers.ts';

describe('parseHeaderBlock', () => {
  it('keeps order and names, unfolds continuation lines and stops at the empty line', () => {
    // libmime unfolds as mailparser does: a run of white space becomes one space.
    const block =
      'Received: from a\r\n\tby b; Mon, 3 Mar 2025\r\nSubject:  Hello\r\n  world \r\nX-Empty:\r\n\r\nNot: a header\r\n';
    expect(parseHeaderBlock(block)).toEqual([
      ['Received', 'from a by b; Mon, 3 Mar 2025'],
      ['Subject', 'Hello world'],
      ['X-Empty', ''],
    ]);
  });

  it('reads raw 8-bit header bytes as UTF-8 when valid, as Latin-1 otherwise, line by line', () => {
    const block = Buffer.concat([
      Buffer.from('Subject: Grüße\r\n', 'utf8'),
      Buffer.from('X-Latin: Gr\xfc\xdfe\r\n\r\n', 'latin1'),
    ]);
    expect(parseHeaderBlock(block)).toEqual([
      ['Subject', 'Grüße'],
      ['X-Latin', 'Grüße'],
    ]);
  });

  it('never throws on garbage: binary bytes, an empty block, a block that is only an empty line', () => {
    expect(parseHeaderBlock(Buffer.from([0, 255, 13, 10, 58, 58, 13, 10]))).toEqual([]);
    expect(parseHeaderBlock('')).toEqual([]);
    expect(parseHeaderBlock('\r\nSubject: in the body\r\n')).toEqual([]);
  });

  it('accepts bare LF line ends and skips an mbox separator and malformed lines', () => {
    const block =
      'From bob@example.net Mon Mar  3 09:00:00 2025\nFrom: bob@example.net\ngarbage line\nBad Name: x\nTo: a@b.example\n';
    expect(parseHeaderBlock(block)).toEqual([
      ['From', 'bob@example.net'],
      ['To', 'a@b.example'],
    ]);
  });

  it('finds fields case-insensitively, every occurrence in order', () => {
    const headers = parseHeaderBlock('X-Spam: one\r\nx-spam: two\r\nSubject: s\r\n');
    expect(headerValues(headers, 'X-SPAM')).toEqual(['one', 'two']);
    expect(firstHeader(headers, 'subject')).toBe('s');
    expect(firstHeader(headers, 'Cc')).toBeUndefined();
  });
});

describe('decodeEncodedWords (RFC 2047)', () => {
  it.each([
    ['=?UTF-8?B?R3LDvMOfZQ==?=', 'Grüße'],
    ['=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Wien?=', 'Grüße aus Wien'],
    ['=?ISO-8859-1?Q?caf=E9?=', 'café'],
    ['Re: =?UTF-8?Q?a?= =?UTF-8?Q?b?= c', 'Re: ab c'],
    ['=?UTF-8*de?Q?Stra=C3=9Fe?=', 'Straße'],
    // libmime reads a charset it does not know as UTF-8 (the old decoder left the word as it was).
    ['=?x-unknown-charset?Q?caf=C3=A9?=', 'café'],
    ['=?UTF-8?B?not closed', '=?UTF-8?B?not closed'],
    ['plain text', 'plain text'],
  ])('%s → %s', (input, output) => {
    expect(decodeEncodedWords(input)).toBe(output);
  });
});

describe('parseAddressList', () => {
  it.each<[string, { address: string; name: string }[]]>([
    ['bob@example.net', [{ address: 'bob@example.net', name: '' }]],
    ['Bob <Bob@Example.NET>', [{ address: 'bob@example.net', name: 'Bob' }]],
    [
      '"Doe, Jane" <jane@example.org>, carol@example.com',
      [
        { address: 'jane@example.org', name: 'Doe, Jane' },
        { address: 'carol@example.com', name: '' },
      ],
    ],
    ['bob@example.net (Bob Smith)', [{ address: 'bob@example.net', name: 'Bob Smith' }]],
    ['=?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>', [{ address: 'joerg@example.de', name: 'Jörg' }]],
    [
      'team: a@x.example, b@y.example;, c@z.example',
      [
        { address: 'a@x.example', name: '' },
        { address: 'b@y.example', name: '' },
        { address: 'c@z.example', name: '' },
      ],
    ],
    ['undisclosed-recipients:;', []],
    ['"a\\"b" <q@x.example>', [{ address: 'q@x.example', name: 'a"b' }]],
    ['<@relay.example:route@x.example>', [{ address: 'route@x.example', name: '' }]],
    ['', []],
    ['garbage ,, <>', []],
  ])('%o', (value, expected) => {
    expect(parseAddressList(value)).toEqual(expected);
  });
});
