import { describe, expect, it } from 'vitest';
import { isQueueId, newQueueId } from './ids.ts';

describe('queue ids', () => {
  it('are 20 Crockford base32 characters and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newQueueId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isQueueId(id)).toBe(true);
  });

  it('sort by acceptance time', () => {
    const a = newQueueId(1_700_000_000_000);
    const b = newQueueId(1_700_000_000_001);
    const c = newQueueId(1_800_000_000_000);
    expect([c, b, a].sort()).toEqual([a, b, c]);
  });

  it('rejects things that are not ids (path traversal included)', () => {
    expect(isQueueId('../../etc/passwd')).toBe(false);
    expect(isQueueId('0123456789abcdefghij')).toBe(false);
  });
});
