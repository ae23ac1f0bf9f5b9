import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { makeJob } from '../contract/helpers.ts';
import { shardOf } from './file-message-store.ts';
import { ORPHAN_MIN_AGE_MS, sweepOrphanBodies } from './orphan-bodies.ts';
import { openDatabase } from './sqlite.ts';
import { type TempStorage, tempStorage } from './test-support.ts';

let t: TempStorage;
afterEach(async () => t?.cleanup());

const put = (key: string) => t.storage.messages.put(key, Readable.from([Buffer.from(`body ${key}\r\n`)]));

describe.each([
  ['files', 0],
  ['inline', 64 * 1024],
])('embedded orphan body sweep (%s)', (_mode, inlineBodyMaxBytes) => {
  it('deletes only old bodies that no job refers to, dead jobs included', async () => {
    t = await tempStorage({ maxReceiveCount: 1, inlineBodyMaxBytes });
    const { queue, messages } = t.storage;
    for (const key of ['QUEUED', 'DEAD', 'ORPHAN', 'YOUNG']) await put(key);
    await queue.enqueue([makeJob({ id: 'Q1', body: { key: 'QUEUED', size: 12 } })]);
    await queue.enqueue([makeJob({ id: 'D1', body: { key: 'DEAD', size: 10 } })]);
    // Lease D1 past its one allowed receive so the next receive dead-letters it.
    const [leased] = await queue.receive({ max: 10, visibilitySeconds: 1 });
    expect(leased).toBeDefined();
    t.clock.advance(2_000);
    await queue.receive({ max: 10, visibilitySeconds: 1 });
    expect((await queue.depth()).dead).toBeGreaterThan(0);

    // Files are judged by their modification time, inline bodies by their row's time: age all
    // but YOUNG past the cutoff.
    const old = new Date(Date.now() - ORPHAN_MIN_AGE_MS - 60_000);
    const db = openDatabase(join(t.dir, 'queue.db'));
    for (const key of ['QUEUED', 'DEAD', 'ORPHAN']) {
      if (inlineBodyMaxBytes > 0)
        db.prepare('UPDATE message_bodies SET created_at = ? WHERE key = ?').run(old.getTime(), key);
      else await utimes(join(t.dir, 'messages', shardOf(key), key), old, old);
    }
    db.close();
    const result = await sweepOrphanBodies(t.storage, { now: Date.now() });

    expect(result).toEqual({ candidates: 3, deleted: 1 });
    expect(await messages.exists('QUEUED')).toBe(true);
    expect(await messages.exists('DEAD')).toBe(true);
    expect(await messages.exists('ORPHAN')).toBe(false);
    expect(await messages.exists('YOUNG')).toBe(true); // unreferenced, but may be mid-intake
  });
});
