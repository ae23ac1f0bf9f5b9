/**
 * Finds the bench's accepted messages in the recipients' mailboxes (MailboxStore index of a data
 * dir): by delivery key "<queue id>/<folder>" first, else by the Message-ID the bench wrote (read
 * from the stored message's headers, once per message), so a backend that keys deliveries
 * differently is still measured — and counted as such. Incremental: each scan reads only UIDs it
 * has not seen. Failure: storage errors reject; an unreadable message is counted, never fatal.
 */
import type { MailboxStore } from '../../core/ports/mailbox-store.ts';

export interface Found {
  readonly account: string;
  readonly uid: number;
  /** internalDate: ms since epoch when the backend stored it. */
  readonly storedAt: number;
  readonly matchedBy: 'delivery-key' | 'message-id';
}

export interface ScanTotals {
  readonly byDeliveryKey: number;
  readonly byMessageId: number;
  /** Expected ids found stored more than once (a delivery repeated without idempotency). */
  readonly duplicates: number;
  /** New messages that matched no expected id (other traffic, earlier runs). */
  readonly unmatched: number;
  readonly unreadable: number;
}

const QUEUE_ID = /^([0-9A-HJKMNP-TV-Z]{20})\//;
const HEADER_LIMIT = 16 * 1024;

/** The Message-ID of a stored message (without brackets), or undefined. */
async function messageIdOf(store: MailboxStore, account: string, folder: string, uid: number) {
  const stream = await store.read(account, folder, uid);
  if (!stream) return undefined;
  let text = '';
  try {
    for await (const chunk of stream) {
      text += Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      if (/\r?\n\r?\n/.test(text) || text.length >= HEADER_LIMIT) break;
    }
  } finally {
    stream.destroy();
  }
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  return /^message-id:\s*<([^>\r\n]+)>/im.exec(head)?.[1];
}

export class MailboxScanner {
  readonly found = new Map<string, Found>();
  private readonly byMessageId = new Map<string, string>();
  private readonly expected = new Set<string>();
  /** UIDs already looked at per account (a set, not a high-water mark: on the AWS store a UID can
   *  become visible after a higher one, since UIDs are allocated before the append commits). */
  private readonly seen = new Map<string, Set<number>>();
  private totals = { byDeliveryKey: 0, byMessageId: 0, duplicates: 0, unmatched: 0, unreadable: 0 };

  constructor(
    private readonly store: MailboxStore,
    private readonly folder = 'INBOX',
  ) {}

  /** Ids (with the Message-ID they were sent with) to look for in `account`. */
  expect(items: readonly { id: string; messageId?: string; recipient: string }[]): void {
    for (const item of items) {
      this.expected.add(item.id);
      if (item.messageId) this.byMessageId.set(item.messageId, item.id);
      if (!this.seen.has(item.recipient)) this.seen.set(item.recipient, new Set());
    }
  }

  /** Skip what `accounts` hold now (messages stored before the phase cannot be the phase's). */
  async baseline(accounts: readonly string[]): Promise<void> {
    for (const account of accounts) {
      const list = await this.store.list(account, this.folder);
      this.seen.set(account, new Set(list.map((m) => m.uid)));
    }
  }

  /** Look at messages stored since the last scan; answers how many expected ids are found in all. */
  async scan(): Promise<number> {
    for (const [account, seen] of this.seen) {
      const fresh = (await this.store.list(account, this.folder)).filter((m) => !seen.has(m.uid));
      for (const m of fresh) {
        seen.add(m.uid);
        let id = QUEUE_ID.exec(m.deliveryKey)?.[1];
        let matchedBy: Found['matchedBy'] = 'delivery-key';
        if (id === undefined || !this.expected.has(id)) {
          matchedBy = 'message-id';
          try {
            const mid = await messageIdOf(this.store, account, this.folder, m.uid);
            id = mid === undefined ? undefined : this.byMessageId.get(mid);
          } catch {
            this.totals.unreadable++;
            continue;
          }
        }
        if (id === undefined || !this.expected.has(id)) {
          this.totals.unmatched++;
          continue;
        }
        if (this.found.has(id)) {
          this.totals.duplicates++;
          continue;
        }
        this.found.set(id, { account, uid: m.uid, storedAt: m.internalDate, matchedBy });
        if (matchedBy === 'delivery-key') this.totals.byDeliveryKey++;
        else this.totals.byMessageId++;
      }
    }
    return this.found.size;
  }

  get summary(): ScanTotals {
    return { ...this.totals };
  }
}
