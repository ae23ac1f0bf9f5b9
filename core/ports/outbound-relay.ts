/**
 * OutboundRelay port: hands a message to the outside world (smarthost, capture dir, SES) and
 * answers one typed outcome per recipient. Transport faults become `temporary` outcomes for the
 * recipients concerned; the relay never throws for a remote refusal.
 */
import type { Readable } from 'node:stream';
import type { RecipientOutcome } from '../mail/outcome.ts';
import type { DsnNotify } from './mail-queue.ts';

/** A recipient's DSN parameters (RFC 3461) as the client gave them, passed on to a next hop offering DSN. */
export interface RecipientDsn {
  readonly notify?: readonly DsnNotify[];
  readonly orcpt?: string;
}

export interface RelayRequest {
  readonly jobId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly envid?: string;
  readonly ret?: 'FULL' | 'HDRS';
  /** Per-recipient NOTIFY/ORCPT, keyed by address (absent: none given). */
  readonly dsn?: ReadonlyMap<string, RecipientDsn>;
  /**
   * The message needs SMTPUTF8 (MAIL FROM carried it): a relay must not hand it to a next hop
   * that does not offer SMTPUTF8 (RFC 6531), and fails its recipients permanently with 5.6.7.
   */
  readonly smtputf8?: boolean;
  /** BODY= the client declared (8BITMIME: the next hop must offer it, RFC 6152). */
  readonly bodyType?: '7BIT' | '8BITMIME';
  /** Opens the body afresh (a relay may need to retry the stream). */
  readonly openBody: () => Promise<Readable>;
}

export interface OutboundRelay {
  send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>>;
}
