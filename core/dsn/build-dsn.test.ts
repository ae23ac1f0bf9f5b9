import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replies } from '../mail/smtp-replies.ts';
import { buildDsn, type DsnInput, headerBlock } from './build-dsn.ts';

const original =
  'From: a@example.org\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody line 1\r\nSECRET BODY\r\n';

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts).toString();
}

const base: DsnInput = {
  reportingMta: 'mx.example.com',
  queueId: '01ABCDEFGHJKMNPQRSTV',
  sender: 'a@example.org',
  arrivalDate: Date.UTC(2026, 0, 1),
  now: Date.UTC(2026, 0, 2),
  envid: 'ENV-1',
  recipients: [
    {
      address: 'b@example.com',
      orcpt: 'rfc822;B@example.com',
      action: 'failed',
      reply: replies.unknownUser('b@example.com'),
    },
  ],
};

describe('DSN', () => {
  it('builds an RFC 3464 failed report with headers only by default', async () => {
    const text = await collect(buildDsn(base, Readable.from([Buffer.from(original)])));
    expect(text).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.com>\r\n/);
    expect(text).toContain('Subject: Undelivered Mail Returned to Sender');
    expect(text).toContain('Auto-Submitted: auto-replied');
    expect(text).toMatch(/Content-Type: multipart\/report; report-type=delivery-status; boundary="/);
    expect(text).toContain('Original-Envelope-Id: ENV-1');
    expect(text).toContain(
      'Final-Recipient: rfc822; b@example.com\r\nOriginal-Recipient: rfc822;B@example.com\r\nAction: failed\r\nStatus: 5.1.1',
    );
    expect(text).toContain('Diagnostic-Code: smtp; 550 5.1.1');
    expect(text).toContain('Content-Type: text/rfc822-headers');
    expect(text).toContain('Subject: hi\r\n');
    expect(text).not.toContain('SECRET BODY');
    expect(text.endsWith('--\r\n')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
  });

  it('includes the whole message for RET=FULL and reports delays with a retry horizon', async () => {
    const input: DsnInput = {
      ...base,
      ret: 'FULL',
      willRetryUntil: Date.UTC(2026, 0, 6),
      recipients: [
        { address: 'b@example.com', action: 'delayed', reply: replies.mailboxFull('b@example.com') },
      ],
    };
    const text = await collect(buildDsn(input, Readable.from([Buffer.from(original)])));
    expect(text).toContain('Subject: Delayed Mail (still being retried)');
    expect(text).toContain('Content-Type: message/rfc822');
    expect(text).toContain('SECRET BODY');
    expect(text).toContain('Will-Retry-Until: Tue, 06 Jan 2026 00:00:00 +0000');
  });

  it('cannot be used to inject header lines through envelope values', async () => {
    const text = await collect(
      buildDsn({ ...base, envid: 'x\r\nBcc: victim@example.net' }, Readable.from([])),
    );
    expect(text).not.toMatch(/^Bcc:/m);
  });

  it('finds the end of the header block across chunk boundaries', async () => {
    const chunks = ['Subject: x\r', '\n\r', '\nbody'].map((s) => Buffer.from(s));
    expect(await collect(headerBlock(Readable.from(chunks)))).toBe('Subject: x\r\n\r\n');
  });

  it('names the remote MTA (Remote-MTA before Diagnostic-Code) and reports relayed recipients as relayed', async () => {
    const remote = { code: 550, enhanced: '5.1.1', text: 'no such user here' };
    const failed = await collect(
      buildDsn(
        {
          ...base,
          recipients: [
            { address: 'b@example.com', action: 'failed', reply: remote, remoteMta: 'mx1.example.com' },
          ],
        },
        Readable.from([Buffer.from(original)]),
      ),
    );
    expect(failed).toContain(
      'Status: 5.1.1\r\nRemote-MTA: dns; mx1.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user here\r\n',
    );
    expect(failed).toContain('<b@example.com>: host mx1.example.com reports: 550 5.1.1 no such user here');
    const relayed = await collect(
      buildDsn(
        {
          ...base,
          recipients: [
            {
              address: 'b@example.com',
              action: 'relayed',
              reply: { code: 250, enhanced: '2.0.0', text: 'OK' },
              remoteMta: 'mx1.example.com',
            },
          ],
        },
        Readable.from([Buffer.from(original)]),
      ),
    );
    expect(relayed).toContain('Subject: Mail Relayed Report');
    expect(relayed).toContain('Action: relayed\r\nStatus: 2.0.0\r\nRemote-MTA: dns; mx1.example.com\r\n');
    expect(relayed).toContain('it will not send further delivery notifications');
  });
});
