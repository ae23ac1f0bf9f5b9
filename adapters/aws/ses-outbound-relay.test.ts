/**
 * SesOutboundRelay against aws-ses-v2-local (its store is shared by the run: every case uses its
 * own addresses instead of clearing it), plus the error mapping table with SDK-shaped errors.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RecipientOutcome } from '../../core/mail/outcome.ts';
import { srsForward } from '../../core/mail/srs.ts';
import { SES_MAX_INTAKE_BYTES, SES_MAX_RAW_BYTES } from '../../core/outbound/ses-limits.ts';
import { awsClients } from './aws-clients.ts';
import { SesOutboundRelay, sesErrorOutcome } from './ses-outbound-relay.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

const e = inject('emulators');
const clients = awsClients({ region: e.region, endpoints: { ses: e.ses }, credentials: TEST_CREDENTIALS });
afterAll(() => clients.destroy());

/** SendEmail inputs as the relay made them (the emulator keeps only what the headers say). */
const inputs: SendEmailCommandInput[] = [];
clients.ses.middlewareStack.add(
  (next) => async (args) => {
    inputs.push(args.input as SendEmailCommandInput);
    return next(args);
  },
  { step: 'initialize', name: 'recordSendEmail' },
);

interface StoredEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

async function storedWithSubject(subject: string): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${e.ses}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((m) => m.subject === subject);
}

function message(tag: string, opts: { from?: boolean } = {}): Buffer {
  const head = opts.from === false ? '' : `From: Sender <sender-${tag}@example.org>\r\n`;
  return Buffer.from(`${head}To: rcpt-${tag}@example.net\r\nSubject: test ${tag}\r\n\r\nHello ${tag}\r\n`);
}

function request(tag: string, recipients: string[], body: Buffer, mailFrom = `sender-${tag}@example.org`) {
  return { jobId: `J${tag}`, mailFrom, recipients, openBody: async () => Readable.from([body]) };
}

const kinds = (m: ReadonlyMap<string, RecipientOutcome>) => [...m.values()].map((o) => o.kind);

describe('SesOutboundRelay on aws-ses-v2-local', () => {
  const relay = new SesOutboundRelay({
    ses: clients.ses,
    hostname: 'mx.test',
    configurationSetName: 'strato',
  });

  it('sends the raw message with the envelope recipients and sender', async () => {
    const tag = randomBytes(5).toString('hex');
    const rcpts = [`a-${tag}@example.net`, `b-${tag}@example.com`];
    inputs.length = 0;
    const out = await relay.send(request(tag, rcpts, message(tag)));
    expect([...out.keys()]).toEqual(rcpts);
    for (const o of out.values())
      expect(o).toMatchObject({ kind: 'delivered', reply: { code: 250, enhanced: '2.0.0' } });
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      FromEmailAddress: `sender-${tag}@example.org`,
      Destination: { ToAddresses: rcpts },
      ConfigurationSetName: 'strato',
    });
    const [stored] = await storedWithSubject(`test ${tag}`);
    expect(stored?.body.text?.trim()).toBe(`Hello ${tag}`);
    expect(stored?.from).toContain(`sender-${tag}@example.org`);
  });

  it('sends mail from <> as MAILER-DAEMON@hostname, or as the configured bounce address', async () => {
    const tag = randomBytes(5).toString('hex');
    inputs.length = 0;
    await relay.send(request(tag, [`x-${tag}@example.net`], message(tag), ''));
    const withBounce = new SesOutboundRelay({
      ses: clients.ses,
      hostname: 'mx.test',
      bounceAddress: 'bounces@mx.test',
    });
    await withBounce.send(request(tag, [`y-${tag}@example.net`], message(tag), ''));
    expect(inputs.map((i) => i.FromEmailAddress)).toEqual(['MAILER-DAEMON@mx.test', 'bounces@mx.test']);
  });

  it('splits more than 50 recipients over several sends', async () => {
    const tag = randomBytes(5).toString('hex');
    const rcpts = Array.from({ length: 120 }, (_, i) => `r${i}-${tag}@example.net`);
    inputs.length = 0;
    const out = await relay.send(request(tag, rcpts, message(tag)));
    expect(kinds(out).every((k) => k === 'delivered')).toBe(true);
    expect(out.size).toBe(120);
    expect(inputs.map((i) => i.Destination?.ToAddresses?.length)).toEqual([50, 50, 20]);
  });

  it('fails a message above the size limit permanently without sending it', async () => {
    const small = new SesOutboundRelay({ ses: clients.ses, hostname: 'mx.test', maxMessageBytes: 1_000 });
    const tag = randomBytes(5).toString('hex');
    inputs.length = 0;
    const out = await small.send(request(tag, [`z-${tag}@example.net`], Buffer.alloc(1_001, 65)));
    expect([...out.values()]).toEqual([
      { kind: 'permanent', reply: expect.objectContaining({ code: 552, enhanced: '5.3.4' }) },
    ]);
    expect(inputs).toHaveLength(0);
  });

  it('takes the largest message the intake accepts (SES v2 limit, not the old 10 MiB)', async () => {
    expect(SES_MAX_INTAKE_BYTES).toBeLessThan(SES_MAX_RAW_BYTES);
    expect(SES_MAX_RAW_BYTES).toBe(30 * 1024 * 1024);
    const tag = randomBytes(5).toString('hex');
    const head = message(tag);
    // 12 MiB: above the v1 limit the relay used to enforce, well inside v2's.
    const big = Buffer.concat([head, Buffer.alloc(12 * 1024 * 1024, 'x\r\n')]);
    inputs.length = 0;
    const out = await relay.send(request(tag, [`big-${tag}@example.net`], big));
    expect(kinds(out)).toEqual(['delivered']);
    expect(inputs).toHaveLength(1);
    const over = await relay.send(
      request(tag, [`over-${tag}@example.net`], Buffer.alloc(SES_MAX_RAW_BYTES + 1, 65)),
    );
    expect([...over.values()][0]).toMatchObject({ kind: 'permanent', reply: { code: 552 } });
    expect(inputs).toHaveLength(1);
  });

  it('rewrites a foreign From (forwarded mail) to the forwarding account, Reply-To the original', async () => {
    const forwarding = new SesOutboundRelay({
      ses: clients.ses,
      hostname: 'mx.test',
      bounceAddress: 'bounces@ours.test',
      isSendingDomain: async (d) => d === 'ours.test',
    });
    const tag = randomBytes(5).toString('hex');
    const srs = srsForward(`sender-${tag}@example.org`, `fwd-${tag}@ours.test`, 'k', Date.now())!;
    inputs.length = 0;
    const out = await forwarding.send(request(tag, [`r-${tag}@example.net`], message(tag), srs));
    expect(kinds(out)).toEqual(['delivered']);
    expect(inputs[0]?.FromEmailAddress).toBe(srs);
    const raw = Buffer.from(inputs[0]?.Content?.Raw?.Data as Uint8Array).toString();
    expect(raw).toContain(`\r\nX-Original-From: Sender <sender-${tag}@example.org>\r\n`);
    const [stored] = (await storedWithSubject(`test ${tag}`)) as (StoredEmail & { replyTo: string[] })[];
    expect(stored?.from).toBe(`"Sender via fwd-${tag}@ours.test" <fwd-${tag}@ours.test>`);
    expect(stored?.replyTo).toEqual([`"Sender" <sender-${tag}@example.org>`]);
    expect(stored?.body.text?.trim()).toBe(`Hello ${tag}`);
    // Mail from one of our domains goes unchanged.
    const own = randomBytes(5).toString('hex');
    const mine = Buffer.from(`From: Me <me-${own}@ours.test>\r\nSubject: test ${own}\r\n\r\nHi\r\n`);
    await forwarding.send(request(own, [`r-${own}@example.net`], mine, `me-${own}@ours.test`));
    const [kept] = (await storedWithSubject(`test ${own}`)) as (StoredEmail & { replyTo: string[] })[];
    expect(kept?.from).toBe(`"Me" <me-${own}@ours.test>`);
    expect(kept?.replyTo).toEqual([]);
  });

  it('maps a refusal to a permanent outcome carrying SES’s text', async () => {
    const tag = randomBytes(5).toString('hex');
    const out = await relay.send(request(tag, [`n-${tag}@example.net`], message(tag, { from: false })));
    const [o] = [...out.values()];
    expect(o?.kind).toBe('permanent');
    expect(o?.reply).toMatchObject({ code: 554, enhanced: '5.5.4' });
    expect(o?.reply?.text).toMatch(/^SES: .*Bad Request/);
  });

  it('gives temporary outcomes when SES cannot be reached or the body cannot be read', async () => {
    const down = awsClients({
      region: e.region,
      endpoints: { ses: 'http://127.0.0.1:9' },
      credentials: TEST_CREDENTIALS,
    });
    try {
      const unreachable = new SesOutboundRelay({ ses: down.ses, hostname: 'mx.test' });
      const tag = randomBytes(5).toString('hex');
      const out = await unreachable.send(request(tag, [`u-${tag}@example.net`], message(tag)));
      expect([...out.values()][0]).toMatchObject({
        kind: 'temporary',
        reply: { code: 451, enhanced: '4.4.1' },
      });
    } finally {
      down.destroy();
    }
    const unreadable = await relay.send({
      jobId: 'J1',
      mailFrom: 'a@example.org',
      recipients: ['b@example.net'],
      openBody: async () => {
        throw new Error('body gone');
      },
    });
    expect([...unreadable.values()][0]).toMatchObject({
      kind: 'temporary',
      reply: { code: 451, enhanced: '4.3.0', text: 'SES relay: cannot read the message: body gone' },
    });
  });
});

describe('sesErrorOutcome', () => {
  const err = (name: string, status?: number, extra: object = {}) =>
    Object.assign(new Error(`${name} text`), { name, $metadata: { httpStatusCode: status }, ...extra });

  it('follows the mapping table', () => {
    const table: [Error, string, number, string][] = [
      [err('MessageRejected', 400), 'permanent', 554, '5.7.1'],
      [err('MailFromDomainNotVerifiedException', 400), 'permanent', 550, '5.7.1'],
      [err('AccountSuspendedException', 400), 'permanent', 554, '5.3.2'],
      [err('BadRequestException', 400), 'permanent', 554, '5.5.4'],
      [err('SomethingNew', 400), 'permanent', 554, '5.5.4'],
      [err('TooManyRequestsException', 429), 'temporary', 451, '4.4.5'],
      [err('LimitExceededException', 400), 'temporary', 451, '4.4.5'],
      [err('ThrottlingException', 400), 'temporary', 451, '4.4.5'],
      [err('Whatever', 400, { $retryable: { throttling: true } }), 'temporary', 451, '4.4.5'],
      [err('SendingPausedException', 400), 'temporary', 451, '4.3.2'],
      [err('NotFoundException', 404), 'temporary', 451, '4.3.5'],
      [err('AccessDeniedException', 403), 'temporary', 451, '4.3.5'],
      [err('InternalFailure', 500), 'temporary', 451, '4.4.0'],
      [err('ServiceUnavailable', 503), 'temporary', 451, '4.4.0'],
      [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'temporary', 451, '4.4.1'],
    ];
    for (const [error, kind, code, enhanced] of table) {
      const o = sesErrorOutcome(error);
      expect({ name: error.name, kind: o.kind, code: o.reply?.code, enhanced: o.reply?.enhanced }).toEqual({
        name: error.name,
        kind,
        code,
        enhanced,
      });
    }
    expect(sesErrorOutcome(err('MessageRejected', 400)).reply?.text).toBe(
      'SES: MessageRejected: MessageRejected text',
    );
  });
});
