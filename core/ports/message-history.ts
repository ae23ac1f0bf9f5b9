/**
 * Message history port: what happened to each queued message, per recipient, across the
 * cluster (accepted, relayed, stored in a folder, deferred with its reason, failed, discarded,
 * DSN sent, done), each event with its time and the role and process that recorded it. Read back
 * as one message's story by queue id, or as the queue ids of a Message-ID or an address (sender or
 * recipient), newest first. Events are kept for a retention period (DynamoDB TTL; SQLite prunes).
 *
 * History is best-effort: it is written after the fact, in batches, through HistoryRecorder
 * (core/util/history-recorder.ts), and a failed write is logged (`history.write_failed`) and
 * dropped. Mail handling never waits on it and never fails because of it; the queue and the
 * mailboxes stay the truth.
 */
import type { MessageSource } from '../mail/message-source.ts';

/** The kind of process that recorded an event. */
export type HistoryRole = 'frontend' | 'backend' | 'queue-lambda' | 'backend-lambda' | 'cli';

/** Who recorded an event: the role and that process's id (frontend id, backend id, …). */
export interface HistoryActor {
  readonly role: HistoryRole;
  readonly id: string;
}

/** DSN kinds as send-dsn.ts names them. */
export type HistoryDsnKind = 'failed' | 'delayed' | 'delivered' | 'relayed';

/** What happened, without the time and actor the recorder stamps on. */
export type HistoryFact =
  | {
      readonly kind: 'accepted';
      readonly messageId?: string;
      /** Envelope sender; '' is `<>`. */
      readonly mailFrom: string;
      readonly recipients: readonly string[];
      readonly size: number;
      readonly source: MessageSource;
      readonly client?: { readonly ip: string; readonly helo: string; readonly authUser?: string };
      /** The frontend that took the message over SMTP. */
      readonly frontend?: string;
      /** The job this one was made from (a DSN's or a rule's parent message). */
      readonly parent?: string;
    }
  | { readonly kind: 'relayed'; readonly recipient: string; readonly reply?: string }
  | {
      readonly kind: 'stored';
      readonly recipient: string;
      readonly account: string;
      readonly folder: string;
      readonly backend: string;
    }
  | {
      readonly kind: 'deferred';
      readonly recipient: string;
      readonly reply?: string;
      /** ms since epoch of the next attempt, when the queue scheduled one. */
      readonly nextAttemptAt?: number;
    }
  | { readonly kind: 'failed'; readonly recipient: string; readonly reply?: string }
  | {
      readonly kind: 'discarded';
      readonly recipient: string;
      readonly account?: string;
      readonly because?: string;
    }
  | {
      readonly kind: 'dsn-sent';
      readonly dsn: HistoryDsnKind;
      /** The DSN's own queue id (its story continues there). */
      readonly dsnQueueId: string;
      readonly recipients: readonly string[];
    }
  /** The queue finished with the job: every recipient settled, the job removed. */
  | { readonly kind: 'done'; readonly attempts: number };

export type HistoryEventKind = HistoryFact['kind'];

/** One recorded event of one message. */
export type HistoryEvent = HistoryFact & {
  readonly queueId: string;
  /** ms since epoch. */
  readonly at: number;
  readonly by: HistoryActor;
};

export interface MessageHistory {
  /** Store events durably (one batch); rejects on a storage fault. Callers go through HistoryRecorder. */
  append(events: readonly HistoryEvent[]): Promise<void>;
  /**
   * How long HistoryRecorder lets events wait for others to share a write, when the store has a
   * preference (DynamoDB: fuller BatchWriteItem requests); HistoryRecorder's default otherwise.
   */
  readonly batchDelayMs?: number;
  /** Every stored event of one message, oldest first; empty when none (unknown or expired). */
  story(queueId: string): Promise<HistoryEvent[]>;
  /** Queue ids whose accepted event carried this Message-ID (as in the header, <> included), newest first. */
  queueIdsByMessageId(messageId: string, limit: number): Promise<string[]>;
  /** Queue ids whose envelope had this address as sender or recipient (any case), newest first. */
  queueIdsByAddress(address: string, limit: number): Promise<string[]>;
}

/** A Message-ID as looked up: without surrounding space and one pair of angle brackets. */
export function messageIdKey(messageId: string): string {
  const t = messageId.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

/** An address as looked up: lower case ('' for the null sender is never a key). */
export const addressKey = (address: string): string => address.trim().toLowerCase();

/**
 * The lookup keys an event adds (adapters index exactly these): an accepted event's Message-ID
 * and the addresses of its envelope. Other events add none.
 */
export function lookupKeys(event: HistoryEvent): { messageId?: string; addresses: string[] } {
  if (event.kind !== 'accepted') return { addresses: [] };
  const addresses = new Set([event.mailFrom, ...event.recipients].map(addressKey).filter((a) => a !== ''));
  const mid = event.messageId ? messageIdKey(event.messageId) : '';
  return { ...(mid ? { messageId: mid } : {}), addresses: [...addresses] };
}
