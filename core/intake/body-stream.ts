/**
 * The Transform a DATA stream passes through on its way to the MessageStore: prepends the
 * Received header, normalises line ends to CRLF, removes the client's own Return-Path fields
 * (and Authentication-Results fields claiming our authserv-id, auth-results-filter.ts),
 * counts bytes, Received hops and the header section's size and fields (header-limits.ts), and
 * notes the Message-ID. With a header hook (sender binding)
 * it also keeps the hook's fields (header-tap.ts) and, where the header section ends, waits for
 * the hook's verdict: a refusal fails the stream, accepted header lines are inserted there (before
 * the empty line; not counted against the size limit). It buffers nothing beyond the current
 * chunk (and up to 32 KiB of the header section, for the Message-ID, and 16 KiB of the hook's
 * fields). When the size limit, a header limit or the hop limit is crossed, or the hook refuses,
 * it fails with an IntakeAbort error (and records why in `failure`), which makes MessageStore.put
 * reject; a hook that rejects fails the stream with that error.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Reply } from '../mail/outcome.ts';
import { AuthResultsFilter } from './auth-results-filter.ts';
import { CrlfNormalizer } from './crlf-normalizer.ts';
import { HeaderLimitCounter, type HeaderLimitExceeded, type HeaderLimits } from './header-limits.ts';
import { HeaderTap } from './header-tap.ts';
import { ReceivedHopCounter } from './hop-counter.ts';
import { MessageIdSniffer } from './message-id-sniffer.ts';
import { ReturnPathFilter } from './return-path-filter.ts';

export type BodyFailure =
  | { readonly kind: 'too-big'; readonly bytes: number }
  | { readonly kind: 'loop'; readonly hops: number }
  | { readonly kind: 'refused'; readonly reply: Reply }
  | ({ readonly kind: 'header-limit' } & HeaderLimitExceeded);

function abortMessage(failure: BodyFailure): string {
  if (failure.kind === 'too-big') return 'message over the size limit';
  if (failure.kind === 'loop') return `too many Received headers (${failure.hops})`;
  if (failure.kind === 'header-limit') return `header over the ${failure.limit} limit (${failure.max})`;
  return `refused at the end of the header section: ${failure.reply.text}`;
}

export class IntakeAbort extends Error {
  override readonly name = 'IntakeAbort';
  constructor(readonly failure: BodyFailure) {
    super(abortMessage(failure));
  }
}

/** What the hook answers: refuse the message, or accept it with header lines (CRLF-terminated) to add. */
export type HeaderHookVerdict =
  | { readonly ok: true; readonly add?: string }
  | { readonly ok: false; readonly reply: Reply };

/** A check on some header fields, run once when the header section has passed. */
export interface HeaderHook {
  /** The fields the hook reads (case-insensitive names). */
  readonly fields: readonly string[];
  /** `block`: those fields' lines (raw bytes) as a header block; `truncated`: too long to keep whole. */
  check(block: Buffer, truncated: boolean): Promise<HeaderHookVerdict>;
}

export interface IntakeBodyOptions {
  /** The complete trace header, CRLF included; not counted against `maxBytes`. */
  readonly header: string;
  /** Largest message accepted, in bytes after normalisation. */
  readonly maxBytes: number;
  /** More Received headers than this in the incoming message is a loop. */
  readonly maxHops: number;
  /** Checked where the header section ends (sender binding); may refuse or add header lines. */
  readonly headerHook?: HeaderHook;
  /** Remove incoming Authentication-Results fields that claim this authserv-id. */
  readonly authservId?: string;
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
  private readonly tap: HeaderTap | undefined;
  private readonly headerCounter: HeaderLimitCounter;
  private headerSent = false;
  private readonly authResults: AuthResultsFilter | undefined;

  constructor(private readonly opts: IntakeBodyOptions) {
    super();
    this.tap = opts.headerHook ? new HeaderTap(opts.headerHook.fields) : undefined;
    this.authResults = opts.authservId ? new AuthResultsFilter(opts.authservId) : undefined;
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

  /** Both header filters over normalised bytes (Return-Path, then our authserv-id's results). */
  private filterHeaders(chunk: Buffer): Buffer {
    const out = this.returnPath.push(chunk);
    return this.authResults ? this.authResults.push(out) : out;
  }

  private flushFilters(tail: Buffer): Buffer {
    const rest = Buffer.concat([this.returnPath.push(tail), this.returnPath.flush()]);
    if (!this.authResults) return rest;
    return Buffer.concat([this.authResults.push(rest), this.authResults.flush()]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(this.filterHeaders(this.normalizer.push(chunk)), callback);
  }

  override _flush(callback: TransformCallback): void {
    const finish = (error: Error | null | undefined) => {
      if (!error) this.sendHeader(); // an empty message still gets its trace header
      callback(error);
    };
    const rest = this.flushFilters(this.normalizer.flush());
    const tap = this.tap;
    if (!tap || tap.ended) {
      finish(this.pass(rest));
      return;
    }
    this.feed(rest, (error) => {
      if (error || tap.ended) {
        finish(error);
        return;
      }
      // The message ended inside its header section: the hook runs (and adds) at the very end.
      tap.end();
      this.headerEnd(tap.atLineStart ? '' : '\r\n').then(finish);
    });
  }

  /** Pass `data` on; with a hook, stop where the header section ends until its verdict is in. */
  private feed(data: Buffer, callback: (error: Error | null | undefined) => void): void {
    const tap = this.tap;
    const end = tap && !tap.ended ? tap.push(data) : -1;
    if (end < 0) {
      callback(this.pass(data));
      return;
    }
    const error = this.pass(data.subarray(0, end));
    if (error) {
      callback(error);
      return;
    }
    this.headerEnd('').then((failed) => callback(failed ?? this.pass(data.subarray(end))));
  }

  /** Run the hook; push what it adds (after `prefix`), or answer the error that fails the stream. */
  private async headerEnd(prefix: string): Promise<Error | undefined> {
    const tap = this.tap!;
    try {
      const verdict = await this.opts.headerHook!.check(tap.block(), tap.truncated);
      if (!verdict.ok) {
        this.failure = { kind: 'refused', reply: verdict.reply };
        return new IntakeAbort(this.failure);
      }
      if (verdict.add) {
        this.sendHeader();
        this.push(Buffer.from(prefix + verdict.add, 'utf8'));
      }
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}
