/** The operator's job filter: each criterion alone, the deferred state, and emptiness. */
import { describe, expect, it } from 'vitest';
import { makeJob } from '../../adapters/contract/helpers.ts';
import type { QueueEntry } from '../ports/mail-queue.ts';
import { isEmptyFilter, listStatus, matchesFilter, type QueueFilter } from './queue-filter.ts';

const NOW = 1_800_000_000_000;
const entry = (over: Partial<QueueEntry> = {}, createdAt = NOW - 3_600_000): QueueEntry => ({
  job: makeJob({ createdAt }),
  status: 'ready',
  receiveCount: 0,
  visibleAt: NOW,
  ...over,
});
const m = (f: QueueFilter, e = entry()) => matchesFilter(f, e, NOW);

describe('matchesFilter', () => {
  it('matches sender exactly, by @domain, and <> as the empty sender', () => {
    expect(m({ sender: 'Sender@Example.org' })).toBe(true);
    expect(m({ sender: '@example.org' })).toBe(true);
    expect(m({ sender: 'other@example.org' })).toBe(false);
    expect(m({ sender: '' })).toBe(false);
    const bounce = entry();
    (bounce.job.envelope as { mailFrom: string }).mailFrom = '';
    expect(m({ sender: '' }, bounce)).toBe(true);
    expect(m({ sender: '@example.org' }, bounce)).toBe(false);
  });
  it('matches a recipient (address or as given) and a recipient domain', () => {
    expect(m({ recipient: 'alice@example.com' })).toBe(true);
    expect(m({ recipient: 'nobody@example.com' })).toBe(false);
    expect(m({ domain: 'EXAMPLE.net' })).toBe(true);
    expect(m({ domain: 'example.org' })).toBe(false);
  });
  it('matches age on either side', () => {
    expect(m({ olderThanMs: 1_800_000 })).toBe(true);
    expect(m({ olderThanMs: 7_200_000 })).toBe(false);
    expect(m({ newerThanMs: 7_200_000 })).toBe(true);
    expect(m({ newerThanMs: 1_800_000 })).toBe(false);
  });
  it('matches a state; deferred is a waiting job that had an attempt', () => {
    expect(m({ state: 'ready' })).toBe(true);
    expect(m({ state: 'held' })).toBe(false);
    expect(m({ state: 'deferred' })).toBe(false);
    const deferred = entry({ status: 'delayed' });
    deferred.job.attempts = 2;
    expect(m({ state: 'deferred' }, deferred)).toBe(true);
    expect(listStatus({ state: 'deferred' })).toBeUndefined();
    expect(listStatus({ state: 'held' })).toBe('held');
  });
  it('knows an empty filter', () => {
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter({ sender: '' })).toBe(false);
  });
});
