/**
 * The set of storage ports one process opens together. `openEmbeddedStorage` (adapters/embedded)
 * and `openAwsStorage` (adapters/aws) both return this shape, so entry points are
 * adapter-agnostic.
 */

import type { AutoReplyMemory } from '../rules/auto-reply.ts';
import type { AccountLeasesAdmin } from './account-leases.ts';
import type { AdminStore } from './admin-store.ts';
import type { BackendRegistry } from './backend-registry.ts';
import type { ClientSessions } from './client-sessions.ts';
import type { ClusterControl } from './cluster-control.ts';
import type { Counters } from './counters.ts';
import type { DirectoryAdmin } from './directory.ts';
import type { DeadLetterSource, OperableMailQueue } from './mail-queue.ts';
import type { MailboxStore } from './mailbox-store.ts';
import type { MessageHistory } from './message-history.ts';
import type { MessageStore } from './message-store.ts';
import type { QueueHolds } from './queue-holds.ts';
import type { RuleStore } from './rule-store.ts';
import type { Suppressions } from './suppressions.ts';

/**
 * Storage hands out the admin-capable ports (the CLI and seeding write through them); a use
 * case's deps name only the narrow port it needs (DirectoryReader, MailQueue).
 */
export interface Storage {
  readonly queue: OperableMailQueue;
  /**
   * Where the dead-letter sweep finds dead jobs not yet reported (AWS: the queue index's
   * dead-letters GSI); without it, the operator listing of dead jobs (embedded).
   */
  readonly deadLetters?: DeadLetterSource;
  readonly messages: MessageStore;
  readonly directory: DirectoryAdmin;
  /** Account leases, with the operator's force-release. */
  readonly leases: AccountLeasesAdmin;
  readonly counters: Counters;
  /** SMTP sessions open now per client address, across all frontends (the per-address cap). */
  readonly clientSessions: ClientSessions;
  readonly mailboxes: MailboxStore;
  readonly backends: BackendRegistry;
  /** Queue-processing settings changed at runtime, and the frontends' heartbeats. */
  readonly control: ClusterControl;
  /** Cluster, domain and account rule sets (validated on write). */
  readonly rules: RuleStore;
  /** Whom each account's vacation rule has answered, and when (shared by every backend). */
  readonly autoReplies: AutoReplyMemory;
  /** The operator's queue hold directives (job, account, domain), read by queue processors. */
  readonly holds: QueueHolds;
  /** Addresses SES reported as bounced or complaining, refused at RCPT for local senders. */
  readonly suppressions: Suppressions;
  /** What happened to each message (best-effort; written through HistoryRecorder). */
  readonly history: MessageHistory;
  /** Administrators of the admin API/WebAdmin, their sessions and API tokens, the audit trail. */
  readonly admin: AdminStore;
  /** Flush and release every handle; safe to call twice. */
  close(): Promise<void>;
}
