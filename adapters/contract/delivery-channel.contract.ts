/**
 * DeliveryChannel contract: one outcome per recipient keyed by the recipient as given (an
 * existing account `delivered`, an unknown one `permanent` 550 5.1.1); the same delivery id twice
 * stores one message; the stored bytes equal the body sent (CRLF, 8-bit, leading dots); an
 * account open on another backend, disabled or full comes back as a `temporary` outcome with its
 * typed account fact and the backend's reply unchanged; a dead backend answers `temporary` for
 * every recipient and nothing throws. Run it from an adapter's
 * test file with a factory for a fresh channel in front of a live backend on fresh storage.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import type { DeliveryChannel, DeliveryRequest } from '../../core/ports/delivery-channel.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import { newQueueId } from '../../core/util/ids.ts';

export interface DeliveryChannelFixture {
  readonly channel: DeliveryChannel;
  /** A live backend the channel reaches, storing into the fixture's storage. */
  readonly backend: BackendInfo;
  /** A backend of a kind the channel serves that cannot be reached. */
  readonly deadBackend: BackendInfo;
  /** Where bodies are stored before delivery (Lambda backends read them by reference). */
  readonly messages: MessageStore;
  /** Create accounts (and their domains) on the live backend's directory. */
  seedAccounts(addresses: readonly string[]): Promise<void>;
  /** Change an account's settings on the live backend's directory. */
  updateAccountSettings(address: string, settings: PartialSettings): Promise<void>;
  /** Let another backend (`owner`) hold the account's lease, as if it had the account open. */
  leaseTo(address: string, owner: string): Promise<void>;
  /** The account's INBOX messages' bytes, in UID order. */
  inbox(address: string): Promise<Buffer[]>;
  cleanup(): Promise<void>;
}

/** A body with CRLF line ends, 8-bit UTF-8 text and lines that need dot-stuffing. */
function contractBody(id: string): Buffer {
  return Buffer.from(
    `From: Sender <sender@remote.example>\r\nTo: alice@example.com\r\nSubject: channel contract ${id}\r\n` +
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      `Hello ${id}: caf\u00e9, \u00fcber, \u65e5\u672c\r\n.a line starting with a dot\r\n..two dots\r\n\r\nlast line\r\n`,
    'utf8',
  );
}

const kinds = (out: ReadonlyMap<string, RecipientOutcome>) =>
  [...out.entries()].map(([rcpt, o]) => [rcpt, o.kind]);

export function deliveryChannelContract(name: string, make: () => Promise<DeliveryChannelFixture>): void {
  describe(`DeliveryChannel contract: ${name}`, () => {
    let fx: DeliveryChannelFixture;
    beforeEach(async () => {
      fx = await make();
      await fx.seedAccounts(['alice@example.com', 'bob@example.com']);
    });
    afterEach(async () => {
      await fx.channel.close?.();
      await fx.cleanup();
    });

    async function request(
      recipients: string[],
      body?: Buffer,
    ): Promise<DeliveryRequest & { bytes: Buffer }> {
      const deliveryId = newQueueId();
      const bytes = body ?? contractBody(deliveryId);
      const ref = await fx.messages.put(deliveryId, Readable.from([bytes]));
      return {
        deliveryId,
        mailFrom: 'sender@remote.example',
        recipients,
        source: 'SMTP',
        body: ref,
        openBody: () => fx.messages.open(ref),
        bytes,
      };
    }

    it('answers one outcome per recipient: delivered for an account, 550 5.1.1 for an unknown one', async () => {
      const req = await request(['alice@example.com', 'ghost@example.com', 'bob@example.com']);
      const out = await fx.channel.deliver(fx.backend, req);
      expect(kinds(out)).toEqual([
        ['alice@example.com', 'delivered'],
        ['ghost@example.com', 'permanent'],
        ['bob@example.com', 'delivered'],
      ]);
      expect(out.get('ghost@example.com')?.reply).toMatchObject({ code: 550, enhanced: '5.1.1' });
      expect(await fx.inbox('alice@example.com')).toHaveLength(1);
      expect(await fx.inbox('bob@example.com')).toHaveLength(1);
    });

    it('keys each outcome by the recipient exactly as given', async () => {
      const req = await request(['Alice@Example.COM', 'Nobody@Example.COM']);
      const out = await fx.channel.deliver(fx.backend, req);
      expect(kinds(out)).toEqual([
        ['Alice@Example.COM', 'delivered'],
        ['Nobody@Example.COM', 'permanent'],
      ]);
      expect(await fx.inbox('alice@example.com')).toHaveLength(1);
    });

    it('stores the body byte for byte', async () => {
      const req = await request(['alice@example.com']);
      const out = await fx.channel.deliver(fx.backend, req);
      expect(out.get('alice@example.com')?.kind).toBe('delivered');
      const [stored] = await fx.inbox('alice@example.com');
      expect(stored?.toString('utf8')).toBe(req.bytes.toString('utf8'));
      expect(stored?.equals(req.bytes)).toBe(true);
    });

    it('stores one message when the same delivery id is delivered twice', async () => {
      const req = await request(['alice@example.com', 'bob@example.com']);
      const first = await fx.channel.deliver(fx.backend, req);
      const second = await fx.channel.deliver(fx.backend, req);
      expect(kinds(first)).toEqual(kinds(second));
      expect(kinds(second)).toEqual([
        ['alice@example.com', 'delivered'],
        ['bob@example.com', 'delivered'],
      ]);
      expect(await fx.inbox('alice@example.com')).toHaveLength(1);
      expect(await fx.inbox('bob@example.com')).toHaveLength(1);
    });

    it('answers open elsewhere (with the owner), disabled and full as typed account facts', async () => {
      await fx.seedAccounts(['carol@example.com']);
      const owner = 'backend-10.0.0.9:2424';
      await fx.leaseTo('alice@example.com', owner);
      await fx.updateAccountSettings('bob@example.com', { Enabled: false });
      await fx.updateAccountSettings('carol@example.com', { MaxAccountSize: 10 });
      const req = await request(['alice@example.com', 'bob@example.com', 'carol@example.com']);
      const out = await fx.channel.deliver(fx.backend, req);
      expect(out.get('alice@example.com')).toEqual(
        temporary(replies.accountInUse('alice@example.com', owner), { state: 'open-elsewhere', owner }),
      );
      expect(out.get('bob@example.com')).toEqual(
        temporary(replies.mailboxDisabledTemporarily('bob@example.com'), { state: 'disabled' }),
      );
      expect(out.get('carol@example.com')).toEqual(
        temporary(replies.mailboxFull('carol@example.com'), { state: 'full' }),
      );
      for (const a of ['alice@example.com', 'bob@example.com', 'carol@example.com']) {
        expect(await fx.inbox(a)).toEqual([]);
      }
    });

    it('answers temporary for every recipient when the backend is dead, never throwing', async () => {
      const req = await request(['alice@example.com', 'ghost@example.com']);
      const out = await fx.channel.deliver(fx.deadBackend, req);
      expect(kinds(out)).toEqual([
        ['alice@example.com', 'temporary'],
        ['ghost@example.com', 'temporary'],
      ]);
      for (const o of out.values()) expect(o.reply).toMatchObject({ code: 451 });
      expect(await fx.inbox('alice@example.com')).toEqual([]);
    });
  });
}
