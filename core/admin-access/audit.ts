/**
 * The audit trail: `recordChange` writes one record per change (who, what, when, before/after,
 * from where), `listAudit` reads it newest first a page at a time. A domain administrator sees
 * only the records of its domains (one query per domain, merged by the time-ordered id; the
 * cursor is the last id shown, which bounds every domain's query alike). A before/after value
 * whose JSON is over 100 000 bytes is stored as a note of its size (a DynamoDB item holds
 * 400 KB). Failure: store faults propagate; a bad limit or a foreign domain filter throws.
 */

import type { AdminStore, AuditPage, AuditRecord } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import { newQueueId } from '../util/ids.ts';
import { ForbiddenError } from './errors.ts';
import { checkLimit } from './input.ts';
import { mayManageDomain, type Principal } from './principal.ts';

/** An audit record as the admin API shows it (the stored record: it holds no secrets). */
export type AuditView = AuditRecord;

export interface ChangeEntry {
  readonly actor: Principal;
  readonly action: string;
  readonly target: string;
  readonly domain?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly clientAddress?: string;
}

export interface AuditQueryInput {
  readonly limit: number;
  readonly cursor?: string;
  /** Only this domain's records (a domain administrator: one of its own). */
  readonly domain?: string;
}

const MAX_VALUE_BYTES = 100_000;

function bounded(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > MAX_VALUE_BYTES ? { truncated: true, jsonBytes: bytes } : JSON.parse(text);
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastId = '';

/** A time-ordered id, and within one process strictly increasing (records of one millisecond keep their order). */
function auditId(at: number): string {
  const fresh = newQueueId(at);
  if (fresh > lastId) {
    lastId = fresh;
    return fresh;
  }
  // Same millisecond (or a clock step back): one more than the last id, base 32 with carry.
  const digits = lastId.split('');
  for (let i = digits.length - 1; i >= 0; i--) {
    const v = ALPHABET.indexOf(digits[i]!);
    if (v < 31) {
      digits[i] = ALPHABET[v + 1]!;
      break;
    }
    digits[i] = '0';
  }
  lastId = digits.join('');
  return lastId;
}

export async function recordChange(store: AdminStore, clock: Clock, e: ChangeEntry): Promise<void> {
  const at = clock.now();
  const before = bounded(e.before);
  const after = bounded(e.after);
  await store.appendAudit({
    id: auditId(at),
    at,
    actor: e.actor.name,
    via: e.actor.via,
    action: e.action,
    target: e.target,
    ...(e.domain !== undefined ? { domain: e.domain.trim().toLowerCase().replace(/\.$/, '') } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(e.clientAddress !== undefined ? { clientAddress: e.clientAddress } : {}),
  });
}

export async function listAudit(store: AdminStore, by: Principal, q: AuditQueryInput): Promise<AuditPage> {
  const limit = checkLimit(q.limit);
  const cursor = q.cursor !== undefined && q.cursor !== '' ? { cursor: q.cursor } : {};
  if (q.domain !== undefined) {
    const domain = q.domain.trim().toLowerCase().replace(/\.$/, '');
    if (!mayManageDomain(by, domain))
      throw new ForbiddenError(`${by.name} may not see the records of ${domain}`);
    return store.listAudit({ limit, domain, ...cursor });
  }
  if (by.role === 'cluster') return store.listAudit({ limit, ...cursor });
  const pages = await Promise.all(by.domains.map((domain) => store.listAudit({ limit, domain, ...cursor })));
  const merged = pages.flatMap((p) => p.items).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const items = merged.slice(0, limit);
  const more = merged.length > limit || pages.some((p) => p.nextCursor !== undefined);
  return more && items.length > 0 ? { items, nextCursor: items[items.length - 1]!.id } : { items };
}
