/**
 * The Transform a DATA stream passes through on its way to the MessageStore: prepends the
 * Received header, normalises line ends to CRLF, removes the client's own Return-Path fields,
 * counts bytes, Received hops and the header section's size and fields (header-limits.ts), and
 * notes the Message-ID. It buffers nothing beyond the current chunk (and up to 32 KiB of the
 * header section, for the Message-ID). When the size limit, a header limit or the hop limit is
 * crossed it fails with an IntakeAbort error (and records why in `failure`), which makes
 * MessageStore.put reject.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { CrlfNormalizer } from './crlf-normalizer.ts';
import { HeaderLimitCounter, type HeaderLimitExceeded, type HeaderLimits } from './header-limits.ts';
import { ReceivedHopCounter } from './hop-counter.ts';
import { MessageIdSniffer } from './message-id-sniffer.ts';
import { ReturnPathFilter } from './return-path-filter.ts';

export type BodyFailure =
  | { readonly kind: 'too-big'; readonly bytes: number }
  | { readonly kind: 'loop'; readonly hops: number }
  | ({ readonly kind: 'header-limit' } & HeaderLimitExceeded);

function abortMessage(failure: BodyFailure): string {
  if (failure.kind === 'too-big') return 'message over the size limit';
  if (failure.kind === 'loop') return `too many Received headers (${failure.hops})`;
  return `header over the ${failure.limit} limit (${failure.max})`;
}

export class IntakeAbort extends Error {
  override readonly name = 'IntakeAbort';
  constructor(readonly failure: BodyFailure) {
    super(abortMessage(failure));
  }
}

export interface IntakeBodyOptions {
  /** The complete trace header, CRLF included; not counted against `maxBytes`. */
  readonly header: string;
  /** Largest message accepted, in bytes after normalisation. */
  readonly maxBytes: number;
  /** More Received headers than this in the incoming message is a loop. */
  readonly maxHops: number;
  /** Header section limits (field size, section size, field count). */
  readonly headerLimits: HeaderLimits;
}

export class IntakeBodyStream extends Transform {
  /** Why the stream failed, when it failed for a message reason (not a store fault). */
  failure: BodyFailure | undefined;
  /** Message bytes seen so far after normalisation, excluding our trace header. */
  bytes = 0;
  private readonly normalizer = new CrlfNormalizer();
  private readonly returnPath = new ReturnPathFilter();
  private readonly hops = new ReceivedHopCounter();
  private readonly sniffer = new MessageIdSniffer();
  private readonly headerCounter: HeaderLimitCounter;
  private headerSent = false;

  constructor(private readonly opts: IntakeBodyOptions) {
    super();
    this.headerCounter = new HeaderLimitCounter(opts.headerLimits);
  }

  get receivedHops(): number {
    return this.hops.hops;
  }

  /** The message's Message-ID header (as the client sent it), once the header section has passed. */
  get messageId(): string | undefined {
    return this.sniffer.messageId;
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(Buffer.from(this.opts.header, 'utf8'));
  }

  /** Check and forward normalised bytes; an IntakeAbort (and a recorded failure) when a limit is crossed. */
  private pass(chunk: Buffer): IntakeAbort | undefined {
    if (chunk.length === 0) return undefined;
    this.bytes += chunk.length;
    if (this.bytes > this.opts.maxBytes) {
      this.failure = { kind: 'too-big', bytes: this.bytes };
      return new IntakeAbort(this.failure);
    }
    this.headerCounter.push(chunk);
    if (this.headerCounter.exceeded) {
      this.failure = { kind: 'header-limit', ...this.headerCounter.exceeded };
      return new IntakeAbort(this.failure);
    }
    this.hops.push(chunk);
    this.sniffer.push(chunk);
    if (this.hops.hops > this.opts.maxHops) {
      this.failure = { kind: 'loop', hops: this.hops.hops };
      return new IntakeAbort(this.failure);
    }
    this.sendHeader();
    this.push(chunk);
    return undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(this.pass(this.returnPath.push(this.normalizer.push(chunk))));
  }

  override _flush(callback: TransformCallback): void {
    const tail = this.returnPath.push(this.normalizer.flush());
    const error = this.pass(Buffer.concat([tail, this.returnPath.flush()]));
    if (!error) this.sendHeader(); // an empty message still gets its trace header
    callback(error);
  }
}
