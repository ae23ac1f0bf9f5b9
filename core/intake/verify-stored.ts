/**
 * Step 1b of message acceptance (accept-message.ts), MX port only: verify SPF, DKIM, DMARC and ARC
 * (inbound-auth.ts) on the body just stored, then give the message our Authentication-Results.
 *
 * Why from the stored body: the DATA stream has already gone to the MessageStore (store-body.ts)
 * by the time the result can be known, and mailauth needs the whole message (the DKIM body hash)
 * before it answers. Reading the durable copy back keeps memory bounded (mailauth streams it and
 * holds only the header section), leaves the body stream untouched, and still finishes before
 * the 250, so the reply may be a refusal.
 *
 * Why a second stored copy: stored bodies are immutable and the header belongs above everything
 * else, so the header plus the stored bytes are streamed into a new body under a derived key (as
 * cluster rules store header edits) and the first copy is deleted. Every later reader — cluster
 * rules, delivery, domain and account rules, relay, DSNs — sees one ordinary message and needs to
 * know nothing; the cost is one sequential copy within the store, never memory.
 *
 * Failures: a refusal by policy deletes the stored body and answers 550 5.7.1 (nothing queued);
 * a store fault while copying deletes what was stored and answers 451 4.3.0. DNS trouble is never
 * a failure here (temperror: accepted and marked).
 */
import { Readable } from 'node:stream';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Logger } from '../ports/logger.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { derivedQueueId } from '../util/ids.ts';
import { type InboundAuthDeps, verifyInbound } from './inbound-auth.ts';

export interface VerifyStoredRequest {
  readonly ip: string;
  readonly helo: string;
  readonly mailFrom: string;
}

export type VerifyStoredResult =
  | { readonly ok: true; readonly ref: BodyRef }
  | {
      readonly ok: false;
      readonly reason: 'auth-policy' | 'storage';
      readonly reply: Reply;
      readonly error?: unknown;
    };

async function* prefixed(header: string, body: Readable): AsyncGenerator<Uint8Array> {
  yield Buffer.from(header, 'latin1');
  for await (const chunk of body) yield chunk as Uint8Array;
}

async function dropBody(messages: MessageStore, ref: BodyRef, log: Logger): Promise<void> {
  await messages.delete(ref).catch((err: unknown) => {
    log.warn({ event: 'intake.orphan_body', key: ref.key, err }, 'could not delete an unused body');
  });
}

/** Verify the stored message; the ref of its copy with our Authentication-Results, or a refusal. */
export async function verifyStored(
  deps: { readonly messages: MessageStore; readonly inboundAuth: InboundAuthDeps },
  req: VerifyStoredRequest,
  queueId: string,
  stored: BodyRef,
  log: Logger,
): Promise<VerifyStoredResult> {
  const { messages } = deps;
  try {
    const message = await messages.open(stored);
    const verdict = await verifyInbound(deps.inboundAuth, { ...req, message }, log);
    log.info({
      event: 'intake.auth_results',
      ip: req.ip,
      spf: verdict.spf,
      dkim: verdict.dkim,
      dmarc: verdict.dmarc,
      arc: verdict.arc,
      ...(verdict.dmarcPolicy ? { dmarcPolicy: verdict.dmarcPolicy } : {}),
      ...(verdict.fromDomain ? { fromDomain: verdict.fromDomain } : {}),
      ...(verdict.reject ? { refused: true } : {}),
    });
    if (verdict.reject) {
      await dropBody(messages, stored, log);
      return { ok: false, reason: 'auth-policy', reply: verdict.reject };
    }
    const ref = await messages.put(
      derivedQueueId(queueId, 'auth-results'),
      Readable.from(prefixed(verdict.header, await messages.open(stored))),
    );
    await dropBody(messages, stored, log);
    return { ok: true, ref };
  } catch (error) {
    await dropBody(messages, stored, log);
    log.error({ event: 'intake.store_failed', err: error }, 'authenticated copy could not be stored');
    return { ok: false, reason: 'storage', reply: replies.localError(), error };
  }
}
