/**
 * The set of storage ports one process opens together. `openEmbeddedStorage` (adapters/embedded)
 * and, later, the AWS factory both return this shape, so entry points are adapter-agnostic.
 */
import type { AccountLeases } from './account-leases.ts';
import type { BackendRegistry } from './backend-registry.ts';
import type { Counters } from './counters.ts';
import type { Directory } from './directory.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailboxStore } from './mailbox-store.ts';
import type { MessageStore } from './message-store.ts';

export interface Storage {
  readonly queue: MailQueue;
  readonly messages: MessageStore;
  readonly directory: Directory;
  readonly leases: AccountLeases;
  readonly counters: Counters;
  readonly mailboxes: MailboxStore;
  readonly backends: BackendRegistry;
  /** Flush and release every handle; safe to call twice. */
  close(): Promise<void>;
}
