/**
 * OutboundRelay contract: one outcome per recipient keyed by the recipient as given; an accepting
 * peer gets `delivered` and the exact bytes (CRLF, 8-bit, leading dots) with the envelope; a
 * recipient the peer refuses is `permanent` keeping the peer's text; an unreachable peer or an
 * unreadable body is `temporary` for every recipient and nothing throws. Run it from an
 * adapter's test file with a factory for a fresh relay and a way to read what its peer received.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecipientOutcome } from '../../core/mail/outcome.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';

/** One message as the relay's peer received it. */
export interface ReceivedMessage {
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly raw: Buffer;
}

/**
 * A peer that refuses recipients must refuse every address whose local part starts with this
 * prefix with a 5xx reply whose text contains REFUSAL_TEXT.
 */
export const REFUSED_PREFIX = 'refused-';
export const REFUSAL_TEXT = 'no such mailbox at the peer';

export interface OutboundRelayCapabilities {
  /** The peer answers per recipient and can refuse one (a capture dir and SES never do). */
  readonly perRecipientRefusal: boolean;
  /** The peer cannot take the null sender <>: the relay sends it as some bounce address. */
  readonly nullSenderRewritten: boolean;
}

export interface OutboundRelayFixture {
  readonly relay: OutboundRelay;
  readonly capabilities: OutboundRelayCapabilities;
  /** Every message the peer accepted since the fixture was made (other runs' may be included). */
  received(): Promise<ReceivedMessage[]>;
  /** A relay of the same kind whose peer cannot be reached or written to. */
  unreachable(): Promise<{ relay: OutboundRelay; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const tagged = () => randomBytes(5).toString('hex');

/** A message with CRLF line ends, 8-bit UTF-8 text and lines that need dot-stuffing. */
export function contractMessage(tag: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `From: Sender <sender-${tag}@example.org>\r\n` +
        `To: rcpt-${tag}@example.net\r\n` +
        `Subject: relay contract ${tag}\r\n` +
        'MIME-Version: 1.0\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Transfer-Encoding: 8bit\r\n' +
        '\r\n' +
        `Hello ${tag}: caf\u00e9, \u00fcber, \u65e5\u672c\r\n` +
        '.a line starting with a dot\r\n' +
        '..two dots\r\n' +
        '\r\n' +
        'last line\r\n',
      'utf8',
    ),
  ]);
}

function request(tag: string, recipients: string[], body: Buffer, mailFrom?: string): RelayRequest {
  return {
    jobId: `J${tag.toUpperCase()}`,
    mailFrom: mailFrom ?? `sender-${tag}@example.org`,
    recipients,
    openBody: async () => Readable.from([body.subarray(0, 17), body.subarray(17)]),
  };
}

const kinds = (out: ReadonlyMap<string, RecipientOutcome>) =>
  [...out.entries()].map(([rcpt, o]) => [rcpt, o.kind]);

export function outboundRelayContract(name: string, make: () => Promise<OutboundRelayFixture>): void {
  describe(`OutboundRelay contract: ${name}`, () => {
    let fx: OutboundRelayFixture;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** What the peer received for this case's tag (the recipients carry it). */
    const receivedFor = async (tag: string) =>
      (await fx.received()).filter((m) => m.recipients.some((r) => r.includes(tag)));

    it('delivers to an accepting peer, one outcome per recipient, bytes intact', async () => {
      const tag = tagged();
      const rcpt = `rcpt-${tag}@example.net`;
      const body = contractMessage(tag);
      const out = await fx.relay.send(request(tag, [rcpt], body));
      expect(kinds(out)).toEqual([[rcpt, 'delivered']]);
      const got = await receivedFor(tag);
      expect(got).toHaveLength(1);
      expect(got[0]!.mailFrom).toBe(`sender-${tag}@example.org`);
      expect(got[0]!.recipients).toEqual([rcpt]);
      expect(got[0]!.raw.toString('utf8')).toBe(body.toString('utf8'));
      expect(got[0]!.raw.equals(body)).toBe(true);
    });

    it('keys each outcome by the recipient exactly as given (mixed-case address)', async () => {
      const tag = tagged();
      const rcpts = [`Mixed-${tag}@Example.NET`, `lower-${tag}@example.net`];
      const out = await fx.relay.send(request(tag, rcpts, contractMessage(tag)));
      expect(kinds(out)).toEqual(rcpts.map((r) => [r, 'delivered']));
      expect(await receivedFor(tag)).toHaveLength(1);
    });

    it('delivers one message to several recipients with an outcome for each', async () => {
      const tag = tagged();
      const rcpts = [`a-${tag}@example.net`, `b-${tag}@example.com`, `c-${tag}@example.org`];
      const body = contractMessage(tag);
      const out = await fx.relay.send(request(tag, rcpts, body));
      expect(kinds(out)).toEqual(rcpts.map((r) => [r, 'delivered']));
      const got = await receivedFor(tag);
      expect(got).toHaveLength(1);
      expect([...got[0]!.recipients].sort()).toEqual([...rcpts].sort());
      expect(got[0]!.raw.equals(body)).toBe(true);
    });

    it('relays a message from the null sender <>', async () => {
      const tag = tagged();
      const rcpt = `dsn-${tag}@example.net`;
      const out = await fx.relay.send(request(tag, [rcpt], contractMessage(tag), ''));
      expect(kinds(out)).toEqual([[rcpt, 'delivered']]);
      const [got] = await receivedFor(tag);
      if (fx.capabilities.nullSenderRewritten) expect(got?.mailFrom).toMatch(/^[^@\s]+@[^@\s]+$/);
      else expect(got?.mailFrom).toBe('');
    });

    it('keeps the peer’s text when it refuses one recipient, delivering the others', async (ctx) => {
      if (!fx.capabilities.perRecipientRefusal) ctx.skip();
      const tag = tagged();
      const ok = `ok-${tag}@example.net`;
      const refused = `${REFUSED_PREFIX}${tag}@example.net`;
      const out = await fx.relay.send(request(tag, [ok, refused], contractMessage(tag)));
      expect(kinds(out)).toEqual([
        [ok, 'delivered'],
        [refused, 'permanent'],
      ]);
      expect(out.get(refused)?.reply?.code).toBeGreaterThanOrEqual(500);
      expect(out.get(refused)?.reply?.text).toContain(REFUSAL_TEXT);
      const got = await receivedFor(tag);
      expect(got.map((m) => m.recipients)).toEqual([[ok]]);
    });

    it('answers permanent for every recipient when the peer refuses them all', async (ctx) => {
      if (!fx.capabilities.perRecipientRefusal) ctx.skip();
      const tag = tagged();
      const rcpts = [`${REFUSED_PREFIX}1-${tag}@example.net`, `${REFUSED_PREFIX}2-${tag}@example.net`];
      const out = await fx.relay.send(request(tag, rcpts, contractMessage(tag)));
      expect(kinds(out)).toEqual(rcpts.map((r) => [r, 'permanent']));
      for (const o of out.values()) expect(o.reply?.text).toContain(REFUSAL_TEXT);
      expect(await receivedFor(tag)).toEqual([]);
    });

    it('answers temporary for every recipient when the peer cannot be reached, never throwing', async () => {
      const dead = await fx.unreachable();
      try {
        const tag = tagged();
        const rcpts = [`x-${tag}@example.net`, `y-${tag}@example.com`];
        const out = await dead.relay.send(request(tag, rcpts, contractMessage(tag)));
        expect(kinds(out)).toEqual(rcpts.map((r) => [r, 'temporary']));
        for (const o of out.values()) {
          expect(o.reply?.code).toBeGreaterThanOrEqual(400);
          expect(o.reply?.code).toBeLessThan(500);
          expect(o.reply?.text).toBeTruthy();
        }
        expect(await receivedFor(tag)).toEqual([]);
      } finally {
        await dead.close();
      }
    });

    it('answers temporary for every recipient when the body cannot be opened, never throwing', async () => {
      const tag = tagged();
      const rcpts = [`p-${tag}@example.net`, `q-${tag}@example.com`];
      const out = await fx.relay.send({
        ...request(tag, rcpts, Buffer.alloc(0)),
        openBody: async () => {
          throw new Error('body gone');
        },
      });
      expect(kinds(out)).toEqual(rcpts.map((r) => [r, 'temporary']));
      for (const o of out.values()) expect(o.reply?.code).toBe(451);
      expect(await receivedFor(tag)).toEqual([]);
    });
  });
}
