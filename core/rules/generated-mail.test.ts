import { describe, expect, it } from 'vitest';
import { assembleGeneratedBody, buildForward, buildMirror, buildRedirect } from './generated-mail.ts';
import { firstHeader, parseHeaderBlock } from './headers.ts';
import type { EvaluationContext, GeneratedMessage, MessageView } from './plan.ts';

const ORIGINAL =
  'From: Bob <bob@example.net>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n' +
  'Date: Mon, 3 Mar 2025 09:00:00 +0000\r\nMessage-ID: <g1@example.net>\r\n\r\nHallo Alice!\r\n';

const view: MessageView = {
  mailFrom: 'bob@example.net',
  recipients: ['alice@example.com'],
  source: 'SMTP',
  headers: parseHeaderBlock(ORIGINAL),
  size: ORIGINAL.length,
};
const ctx: EvaluationContext = {
  owner: 'alice@example.com',
  now: new Date('2025-03-03T09:15:00Z'),
  deliveryId: 'D1',
};
const src = { rule: 'Send on', idSeed: 'D1|alice@example.com|account:0:0' };

async function body(message: GeneratedMessage, original?: string): Promise<string> {
  async function* source() {
    yield Buffer.from(original ?? '', 'utf8');
  }
  const parts: Buffer[] = [];
  for await (const chunk of assembleGeneratedBody(message, original === undefined ? undefined : source()))
    parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

describe('redirect', () => {
  it('is the original with only the loop mark added, from the original envelope sender', async () => {
    const message = buildRedirect(['carol@example.org'], view, ctx, src);
    expect(message.mailFrom).toBe('bob@example.net');
    expect(await body(message, ORIGINAL)).toBe(`X-Strato-Loop: alice@example.com\r\n${ORIGINAL}`);
  });
});

describe('mirror', () => {
  it('prepends a Resent block and is sent by the owner', async () => {
    const message = buildMirror(['archive@example.org', 'x@example.org'], ctx, src);
    expect(message.mailFrom).toBe('alice@example.com');
    const text = await body(message, ORIGINAL);
    const lines = text.split('\r\n');
    expect(lines.slice(0, 5)).toEqual([
      'Resent-From: <alice@example.com>',
      'Resent-To: <archive@example.org>, <x@example.org>',
      'Resent-Date: Mon, 3 Mar 2025 09:15:00 +0000',
      expect.stringMatching(/^Resent-Message-ID: <[0-9a-f]{24}\.rule@example\.com>$/),
      'X-Strato-Loop: alice@example.com',
    ]);
    expect(text.endsWith(ORIGINAL)).toBe(true);
  });
});

describe('forward', () => {
  it('is a new multipart message from the owner carrying the original as message/rfc822', async () => {
    const message = buildForward(['carol@example.org'], view, { ...ctx, ownerName: 'Alice' }, src);
    expect(message).toMatchObject({
      kind: 'forward',
      mailFrom: 'alice@example.com',
      recipients: ['carol@example.org'],
    });
    const text = await body(message, ORIGINAL);
    const headers = parseHeaderBlock(text);
    expect(firstHeader(headers, 'From')).toBe('"Alice" <alice@example.com>');
    expect(firstHeader(headers, 'To')).toBe('<carol@example.org>');
    expect(firstHeader(headers, 'Subject')).toBe('=?UTF-8?B?RndkOiBHcsO8w59l?=');
    expect(firstHeader(headers, 'Auto-Submitted')).toBe('auto-generated');
    expect(firstHeader(headers, 'X-Strato-Loop')).toBe('alice@example.com');
    const boundary = /boundary="([^"]+)"/.exec(firstHeader(headers, 'Content-Type') ?? '')?.[1];
    expect(boundary).toMatch(/^=_strato_[0-9a-f]{32}$/);
    const parts = text.split(`\r\n--${boundary}`);
    expect(parts).toHaveLength(4); // preamble, text part, message part, closing "--"
    expect(parts[1]).toContain('This message was forwarded automatically by a rule of alice@example.com.');
    expect(parts[1]).toContain('Subject: Gr=C3=BC=C3=9Fe');
    expect(parts[2]).toBe(
      `\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${ORIGINAL}`,
    );
    expect(parts[3]).toBe('--\r\n');
  });

  it('names a missing subject', () => {
    const bare = { ...view, headers: parseHeaderBlock('From: bob@example.net\r\n') };
    expect(buildForward(['c@example.org'], bare, ctx, src).head).toContain('Subject: Fwd: (no subject)\r\n');
  });
});

describe('assembleGeneratedBody', () => {
  it('does not need the original for a reply-like message', async () => {
    const reply: GeneratedMessage = {
      kind: 'reply',
      rule: 'r',
      mailFrom: '',
      recipients: ['bob@example.net'],
      head: 'Subject: hi\r\n\r\nhello\r\n',
      includesOriginal: false,
      tail: '',
      idSeed: 's',
    };
    expect(await body(reply)).toBe('Subject: hi\r\n\r\nhello\r\n');
  });

  it('rejects when the original is needed but not given', async () => {
    await expect(body(buildRedirect(['c@example.org'], view, ctx, src))).rejects.toThrow(
      'redirect message needs the original body',
    );
  });
});
