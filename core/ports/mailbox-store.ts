/**
 * MailboxStore port: the accounts' mailboxes, written only by the backend that holds the
 * account's lease. `append` is idempotent per `deliveryKey` (delivery id + recipient): a job
 * delivered twice yields one message. Appends carry the lease epoch; a store may refuse a write
 * from an older epoch than one it has seen (StaleEpochError) to fence a backend that lost its lease.
 */
import type { Readable } from 'node:stream';

export interface MailboxMessage {
  readonly uid: number;
  readonly folder: string;
  readonly size: number;
  readonly flags: readonly string[];
  /** ms since epoch when stored. */
  readonly internalDate: number;
  readonly deliveryKey: string;
}

export interface AppendRequest {
  readonly account: string;
  readonly folder: string;
  readonly deliveryKey: string;
  readonly epoch: number;
  readonly flags?: readonly string[];
}

export interface AppendResult {
  readonly uid: number;
  /** True when `deliveryKey` was stored before; nothing new was written. */
  readonly duplicate: boolean;
}

export interface MailboxStore {
  append(req: AppendRequest, body: Readable | AsyncIterable<Uint8Array>): Promise<AppendResult>;
  list(account: string, folder: string): Promise<MailboxMessage[]>;
  read(account: string, folder: string, uid: number): Promise<Readable | undefined>;
  folders(account: string): Promise<string[]>;
  /** Bytes stored for the account across folders (quota checks). */
  usage(account: string): Promise<number>;
}
