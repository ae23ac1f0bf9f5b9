import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { srsForward } from '../mail/srs.ts';
import { rewriteForeignFrom } from './foreign-from.ts';

const ours = new Set(['ours.test']);
const opts = { isSendingDomain: async (d: string) => ours.has(d), fallbackSender: 'bounces@ours.test' };

/** A source in small chunks, so the header section spans several reads. */
function source(message: string): Readable {
  const bytes = Buffer.from(message);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  return Readable.from(chunks);
}

const body = `${'line of the body\r\n'.repeat(50)}end\r\n`;
const foreign = `From: Alice Example <alice@example.org>\r\nTo: carol@example.net\r\nSubject: hi\r\n\r\n${body}`;

describe('rewriteForeignFrom', () => {
  it('passes a message from one of our domains byte for byte', async () => {
    const msg = `From: Bob <bob@ours.test>\r\nSubject: x\r\n\r\n${body}`;
    const out = await rewriteForeignFrom(source(msg), 'bob@ours.test', opts);
    expect(out.rewritten).toBeUndefined();
    expect(await text(out.stream)).toBe(msg);
  });

  it('rewrites a foreign From to the forwarding account named by the SRS envelope sender', async () => {
    const srs = srsForward('alice@example.org', 'bob@ours.test', 'secret', Date.now());
    expect(srs).toBeDefined();
    const out = await rewriteForeignFrom(source(foreign), srs!, opts);
    expect(out.rewritten).toEqual({
      originalFrom: 'Alice Example <alice@example.org>',
      sender: 'bob@ours.test',
    });
    expect(await text(out.stream)).toBe(
      'From: "Alice Example via bob@ours.test" <bob@ours.test>\r\n' +
        'Reply-To: Alice Example <alice@example.org>\r\n' +
        'X-Original-From: Alice Example <alice@example.org>\r\n' +
        `To: carol@example.net\r\nSubject: hi\r\n\r\n${body}`,
    );
  });

  it('drops a folded From completely (its value unfolded in X-Original-From) and keeps an existing Reply-To', async () => {
    const msg = `Subject: s\r\nFrom: "Alice"\r\n <alice@example.org>\r\nReply-To: list@example.org\r\n\r\nx\r\n`;
    const out = await rewriteForeignFrom(source(msg), 'bob@ours.test', opts);
    const got = await text(out.stream);
    expect(got).toBe(
      'From: "Alice via bob@ours.test" <bob@ours.test>\r\nX-Original-From: "Alice" <alice@example.org>\r\n' +
        'Subject: s\r\nReply-To: list@example.org\r\n\r\nx\r\n',
    );
  });

  it('uses the bounce address when the envelope sender is not ours', async () => {
    const out = await rewriteForeignFrom(source(foreign), 'alice@example.org', opts);
    expect(out.rewritten?.sender).toBe('bounces@ours.test');
    expect(await text(out.stream)).toMatch(
      /^From: "Alice Example via bounces@ours\.test" <bounces@ours\.test>\r\n/,
    );
  });

  it('encodes a non-ASCII display name', async () => {
    const msg = 'From: =?UTF-8?B?w4lsb2TDrWU=?= <e@example.org>\r\n\r\nx\r\n';
    const out = await rewriteForeignFrom(source(msg), 'bob@ours.test', opts);
    const first = (await text(out.stream)).split('\r\n')[0];
    expect(first).toBe(
      `From: =?UTF-8?B?${Buffer.from('Élodíe via bob@ours.test').toString('base64')}?= <bob@ours.test>`,
    );
  });

  it('passes a message without a From or without a header section unchanged', async () => {
    for (const msg of ['Subject: none\r\n\r\nbody\r\n', 'no header section at all']) {
      const out = await rewriteForeignFrom(source(msg), 'bob@ours.test', opts);
      expect(out.rewritten).toBeUndefined();
      expect(await text(out.stream)).toBe(msg);
    }
  });
});
