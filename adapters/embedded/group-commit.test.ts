/**
 * Group commit on real SQLite: concurrent requests share one transaction and one WAL fsync,
 * commits during an fsync share the next, a throwing request fails alone, and a commit that fails (the write lock held elsewhere) fails every request of
 * its batch — enqueues and inline body puts alike — and stores none of them.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { timerTicks } from '../../test/support/event-loop.ts';
import { makeJob } from '../contract/helpers.ts';
import { GroupCommit } from './group-commit.ts';
import { type Db, openDatabase } from './sqlite.ts';
import { type TempStorage, tempDir, tempStorage } from './test-support.ts';

let t: TempStorage | undefined;
const dbs: Db[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  await t?.cleanup();
  t = undefined;
});

async function table(): Promise<Db> {
  const db = openDatabase(join(await tempDir(), 'g.db'));
  dbs.push(db);
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
  return db;
}

describe('GroupCommit', () => {
  it('commits every request made in one loop turn in one transaction, each with its value', async () => {
    const db = await table();
    const g = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    const values = await Promise.all(
      Array.from({ length: 50 }, (_, i) => g.run(() => insert.run(`k${i}`).changes)),
    );
    expect(values).toEqual(Array(50).fill(1));
    expect(g.stats).toEqual({ requests: 50, commits: 1, busyRetries: 0 });
    // The answers came after an fsync of the WAL (the commit itself did not sync).
    expect(g.fsyncs).toBe(1);
    // Requests made while a commit is pending join the next one; an idle one commits at once.
    await g.run(() => insert.run('later'));
    expect(g.stats).toEqual({ requests: 51, commits: 2, busyRetries: 0 });
    expect(g.fsyncs).toBe(2);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(51);
  });

  it('lets commits made while a WAL fsync runs share the next fsync', async () => {
    const db = await table();
    const g = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    // One request per loop turn: each is its own commit, but they need not each wait for an fsync.
    const answers: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push(g.run(() => insert.run(`k${i}`)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(answers);
    expect(g.stats.commits).toBe(20);
    expect(g.fsyncs).toBeGreaterThanOrEqual(1);
    expect(g.fsyncs).toBeLessThanOrEqual(20);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(20);
  });

  it('fails only the request whose work throws; the others of its batch are committed', async () => {
    const db = await table();
    const g = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    const results = await Promise.allSettled([
      g.run(() => insert.run('a')),
      g.run(() => {
        insert.run('b');
        insert.run('a'); // duplicate key: this request's savepoint rolls back, 'b' included
      }),
      g.run(() => insert.run('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual(['a', 'c']);
    expect(g.stats.commits).toBe(1);
  });

  it('waits for a write lock held by another connection without blocking the event loop, then commits', async () => {
    const db = await table();
    const holder = openDatabase(db.name);
    dbs.push(holder);
    holder.exec('BEGIN IMMEDIATE');
    const g = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    const answer = g.run(() => insert.run('k').changes);
    // Timer ticks while the commit waits: the loop is not held in SQLite's busy handler.
    await timerTicks(5, 2);
    expect(g.stats.commits).toBe(0);
    expect(g.stats.busyRetries).toBeGreaterThan(0);
    holder.exec('ROLLBACK');
    expect(await answer).toBe(1);
    expect(g.stats.commits).toBe(1);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(1);
    // The connection's own busy_timeout is as it was.
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
  });

  it('fails every request of a batch whose transaction cannot commit, storing none', async () => {
    t = await tempStorage();
    const { queue, messages } = t.storage;
    const lockHolder = openDatabase(join(t.dir, 'queue.db'));
    dbs.push(lockHolder);
    lockHolder.exec('BEGIN IMMEDIATE');
    // The storage's own connection: give up on the lock quickly instead of after 10 s.
    (queue as unknown as { db: Db }).db.pragma('busy_timeout = 50');
    const body = () => Readable.from([Buffer.from('Subject: x\r\n\r\nsmall body\r\n')]);
    const settled = await Promise.allSettled([
      queue.enqueue([makeJob({ id: 'A' })]),
      queue.enqueue([makeJob({ id: 'B' })]),
      messages.put('BODY1', body()),
      messages.put('BODY2', body()),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const r of settled) expect(String((r as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    lockHolder.exec('ROLLBACK');
    expect(await queue.get('A')).toBeUndefined();
    expect(await queue.get('B')).toBeUndefined();
    expect(await messages.exists('BODY1')).toBe(false);
    expect(await messages.exists('BODY2')).toBe(false);
    // The committer is not stuck: the next batch commits.
    await queue.enqueue([makeJob({ id: 'C' })]);
    expect((await queue.get('C'))?.status).toBe('ready');
  });
});
