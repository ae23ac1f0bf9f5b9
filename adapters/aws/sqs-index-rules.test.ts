/** The pure index rules: operator status of an item, and what happens to a refused copy. */
import { describe, expect, it } from 'vitest';
import { makeJob } from '../contract/helpers.ts';
import type { QueueIndexItem } from './queue-index-table.ts';
import { staleCopyAction, toEntry } from './sqs-index-rules.ts';

const NOW = 1_800_000_000_000;
const job = makeJob();
const item = (over: Partial<QueueIndexItem>): QueueIndexItem => ({
  id: job.id,
  st: 'queued',
  gen: 100,
  job: JSON.stringify(job),
  vis: NOW,
  rc: 0,
  created: job.createdAt,
  ttl: 0,
  ...over,
});

describe('toEntry', () => {
  it('derives delayed, ready, in-flight and dead', () => {
    expect(toEntry(item({ vis: NOW + 1 }), NOW, 3)?.status).toBe('delayed');
    expect(toEntry(item({ vis: NOW }), NOW, 3)?.status).toBe('ready');
    expect(toEntry(item({ st: 'leased', rc: 3, vis: NOW + 1 }), NOW, 3)?.status).toBe('in-flight');
    expect(toEntry(item({ st: 'leased', rc: 2, vis: NOW }), NOW, 3)).toMatchObject({
      status: 'ready',
      receiveCount: 2,
    });
    expect(toEntry(item({ st: 'leased', rc: 3, vis: NOW }), NOW, 3)?.status).toBe('dead');
    expect(toEntry(item({ vis: NOW }), NOW, 3)?.job).toEqual(job);
  });

  it('hides dedupe markers and finished or removed jobs', () => {
    for (const st of ['dedupe', 'done', 'removed'] as const)
      expect(toEntry(item({ st }), NOW, 3)).toBeUndefined();
  });
});

describe('staleCopyAction', () => {
  const copy = { gen: 50, mid: 'M-OLD' };

  it('deletes copies of finished or removed jobs, and older generations', () => {
    expect(staleCopyAction(item({ st: 'done', gen: 50 }), copy, NOW)).toEqual({ kind: 'delete' });
    expect(staleCopyAction(item({ st: 'removed', gen: 50 }), copy, NOW)).toEqual({ kind: 'delete' });
    expect(staleCopyAction(item({ st: 'queued' }), copy, NOW)).toEqual({ kind: 'delete' });
    expect(staleCopyAction(item({ st: 'leased', vis: NOW + 5000, pmid: 'M-OLD' }), copy, NOW)).toEqual({
      kind: 'delete',
    });
  });

  it('resends the current generation when the replaced copy returns or a release is unconfirmed', () => {
    const expected = { kind: 'resend', job, gen: 100, delay: 3 };
    expect(staleCopyAction(item({ pmid: 'M-OLD', vis: NOW + 2500 }), copy, NOW)).toEqual(expected);
    expect(staleCopyAction(item({ pending: true, vis: NOW + 2500 }), copy, NOW)).toEqual(expected);
    expect(staleCopyAction(item({ pmid: 'M-OTHER' }), copy, NOW)).toEqual({ kind: 'delete' });
  });

  it('defers the leased message itself and deletes another copy of its generation', () => {
    const leased = item({ st: 'leased', gen: 50, vis: NOW + 4200, mid: 'M-OLD' });
    expect(staleCopyAction(leased, copy, NOW)).toEqual({ kind: 'defer', seconds: 6 });
    expect(staleCopyAction(leased, { gen: 50, mid: 'M-DUP' }, NOW)).toEqual({ kind: 'delete' });
  });
});
