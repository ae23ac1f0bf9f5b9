/**
 * Mail queue ports, shaped after SQS standard queues so the AWS adapter is a thin mapping:
 * at-least-once delivery, receive with a visibility lease, a receive count, a dead-letter state
 * after `maxReceiveCount` receives without an ack, and a delay of at most `MAX_DELAY_SECONDS`
 * per enqueue (longer waits are chained by the caller through `job.notBefore`).
 * Jobs are JSON values; bodies travel by reference (BodyRef), never inline.
 * Two ports: `MailQueue`, what intake and the queue processor use (enqueue, lease, ack), and
 * `QueueOperator`, the operator's view (list, inspect, release, remove, hold, depth). Adapters
 * implement both (`OperableMailQueue`). A held job (`park`, `hold`) waits outside the receivable
 * queue, never counts a receive and never expires, until an operator releases it (`releaseNow`).
 */

import type { MessageSource } from '../mail/message-source.ts';
import type { Reply } from '../mail/outcome.ts';
import type { BodyRef } from './message-store.ts';

/** SQS's per-message delay limit; the embedded queue enforces the same so both behave alike. */
export const MAX_DELAY_SECONDS = 900;

export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export type RecipientState = 'pending' | 'delivered' | 'failed' | 'discarded';

export interface JobRecipient {
  /** The address as it will be delivered (after alias/forwarder resolution at intake). */
  readonly address: string;
  /** The address the client gave at RCPT TO (kept for DSNs and Received "for"). */
  readonly original: string;
  /** DSN ORCPT parameter, as given. */
  readonly orcpt?: string;
  /** DSN NOTIFY parameter; absent means the default (FAILURE, DELAY). */
  readonly notify?: readonly DsnNotify[];
  state: RecipientState;
  attempts: number;
  lastReply?: Reply;
  /** The remote MTA that gave lastReply (direct MX delivery), for the DSN's Remote-MTA. */
  remoteMta?: string;
  /** ms since epoch of the last state change. */
  updatedAt?: number;
}

export interface JobEnvelope {
  /** Envelope sender; '' is the null sender `<>`. */
  readonly mailFrom: string;
  readonly recipients: JobRecipient[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly smtputf8?: boolean;
  readonly bodyType?: '7BIT' | '8BITMIME';
}

export interface JobClient {
  readonly ip: string;
  readonly helo: string;
  readonly authUser?: string;
  readonly tls: boolean;
  readonly frontend: string;
}

export interface QueueJob {
  /** Stable queue id (shown to users, used as the body key); survives re-scheduling. */
  readonly id: string;
  readonly source: MessageSource;
  /** The message's Message-ID header as intake saw it, when it had one (for `strato trace`). */
  readonly messageId?: string;
  /** ms since epoch when the message was accepted. */
  readonly createdAt: number;
  readonly body: BodyRef;
  readonly envelope: JobEnvelope;
  readonly client?: JobClient;
  /** Delivery attempts made so far for the job as a whole. */
  attempts: number;
  /** ms since epoch before which processors must not attempt delivery (chained long delays). */
  notBefore?: number;
  /** ms since epoch when a delayed-delivery warning was sent, if it was. */
  warnedAt?: number;
  /** ms since epoch when a recipient's account was first seen moving (quick retries run from here). */
  movingSince?: number;
  /** Attempts made by a quick retry of a moving account: they do not count toward the backoff. */
  quickRetries?: number;
}

/** A received job and the handle that acks, extends or re-schedules it. */
export interface LeasedJob {
  readonly job: QueueJob;
  /** Opaque handle valid for this receive only (an SQS receipt handle). */
  readonly receipt: string;
  /** How many times this job has been received, this receive included. */
  readonly receiveCount: number;
}

export interface ReceiveOptions {
  readonly max: number;
  readonly visibilitySeconds: number;
  /** Long-poll: wait up to this long for a job when none is ready (0 = return at once). */
  readonly waitMs?: number;
}

export interface QueueDepth {
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dead: number;
  /** Parked by an operator's hold; not receivable until released. */
  readonly held: number;
}

export type QueueEntryStatus = 'ready' | 'in-flight' | 'delayed' | 'dead' | 'held';

/** Operator view of one queued job (CLI `queue list/show`). */
export interface QueueEntry {
  readonly job: QueueJob;
  readonly status: QueueEntryStatus;
  readonly receiveCount: number;
  /** ms since epoch when the job becomes receivable again. */
  readonly visibleAt: number;
}

export interface MailQueue {
  readonly maxReceiveCount: number;
  /**
   * Enqueue jobs; resolves once every job is durable. `delaySeconds` must be within
   * 0..MAX_DELAY_SECONDS (QueueDelayError otherwise). A DSN or RULE job (ids derived from the
   * step that made them) whose id the queue already holds, or held and finished (acked) within
   * the last 15 days, is ignored, so a repeated step does not send twice; ids of other jobs are
   * fresh and never repeat.
   */
  enqueue(jobs: readonly QueueJob[], opts?: { delaySeconds?: number }): Promise<void>;
  /** Lease up to `max` ready jobs for `visibilitySeconds`. Jobs past maxReceiveCount go dead instead. */
  receive(opts: ReceiveOptions): Promise<LeasedJob[]>;
  /** Extend the lease of a received job. Rejects with LeaseLostError if the receipt is stale. */
  extend(receipt: string, visibilitySeconds: number): Promise<void>;
  /** Remove a received job for good. Acking a stale receipt is a no-op (at-least-once). */
  ack(receipt: string): Promise<void>;
  /**
   * Replace a received job's state and make it visible again after `delaySeconds`
   * (≤ MAX_DELAY_SECONDS). On SQS this is send-new-then-delete-old; a crash in between
   * can leave both, which per-recipient state and idempotent mailbox appends absorb.
   */
  reschedule(receipt: string, job: QueueJob, delaySeconds: number): Promise<void>;
  /**
   * Park a received job in the `held` state with `job` as its state (a hold directive covers it):
   * it is no longer receivable, its receive count starts over, and only an operator's
   * `releaseNow` makes it ready again. Rejects with LeaseLostError if the receipt is stale.
   */
  park(receipt: string, job: QueueJob): Promise<void>;
}

/** Operator access (embedded: the queue table; AWS: a job index table). */
export interface QueueOperator {
  list(opts?: { limit?: number; status?: QueueEntryStatus }): Promise<QueueEntry[]>;
  get(jobId: string): Promise<QueueEntry | undefined>;
  /**
   * Make a queued (not in-flight) job ready now; a dead job starts over with a fresh receive
   * count, a held one leaves the held state. With `clearNotBefore` the job's `notBefore` is dropped in the same step, so a
   * processor attempts it at once instead of deferring it again (operator "retry now").
   * False when no such job waits.
   */
  releaseNow(jobId: string, opts?: { readonly clearNotBefore?: boolean }): Promise<boolean>;
  /** Remove a job that is not in flight. False when no such job waits. */
  remove(jobId: string): Promise<boolean>;
  /**
   * Park a waiting (ready or delayed) job in the `held` state, as `MailQueue.park` does for a
   * received one. True when it is held now (or already was); false when no such job waits or it
   * is in flight or dead. `releaseNow` makes a held job ready again.
   */
  hold(jobId: string): Promise<boolean>;
  depth(): Promise<QueueDepth>;
}

/** A dead job as the dead-letter sweep sees it; `token` names this dead state to its source. */
export interface DeadLetter {
  readonly entry: QueueEntry;
  readonly token: string;
}

/**
 * Where the dead-letter sweep (core/queue/report-dead-letters.ts) finds dead jobs whose death is
 * not yet reported. Several processors sweep at once: `claim` lets one of them report a job for
 * `forMs` (after which another may try again, if `reported` never came), `reported` takes the
 * job off the list for good (the job itself stays dead and redrivable).
 */
export interface DeadLetterSource {
  unreported(limit: number): Promise<DeadLetter[]>;
  /** True when this caller may report the job now. */
  claim(token: string, forMs: number): Promise<boolean>;
  reported(token: string): Promise<void>;
}

/** A queue an adapter opens: the consumer's port and the operator's. */
export type OperableMailQueue = MailQueue & QueueOperator;
