/**
 * The mailbox store's group commit on real SQLite and real files: appends that reach the index
 * together share one row commit, one folder fsync and one WAL fsync; a commit that fails fails
 * every append of its batch and leaves no body behind; the epoch fence and the delivery key hold
 * between a UID's reservation and its row. A gated DirSyncer holds each append at its folder
 * fsync until all of them are there, so the batches are deterministic.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleEpochError } from '../../core/ports/errors.ts';
import { TestClock } from '../contract/test-clock.ts';
import { DirSyncer } from './durable-file.ts';
import { STALE_RESERVATION_MS } from './mailbox-reservations.ts';
import { FileMailboxStore } from './mailbox-store.ts';
import { type Db, openDatabase } from './sqlite.ts';
import { tempDir } from './test-support.ts';

/** Holds sync calls until `expect(n)` callers are waiting, then lets them all go in one turn. */
class GatedSyncer extends DirSyncer {
  private waiting: (() => void)[] = [];
  private expected = 0;
  /** Runs when the gate opens, before the callers go on. */
  onOpen: () => void = () => {};

  private listeners: (() => void)[] = [];

  gate(n: number): void {
    this.expected = n;
  }

  /** Resolves once a caller is held at the gate. */
  held(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.waiting.length > 0) resolve();
      else this.listeners.push(resolve);
    });
  }

  override sync(dir: string): Promise<void> {
    if (this.expected === 0) return super.sync(dir);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push(() => super.sync(dir).then(resolve, reject));
      for (const l of this.listeners.splice(0)) l();
      if (this.waiting.length === this.expected) {
        this.expected = 0;
        this.onOpen();
        for (const go of this.waiting.splice(0)) go();
      }
    });
  }
}

const ACCOUNT = 'alice@example.com';
let dir: string;
let db: Db;
let syncer: GatedSyncer;
let store: FileMailboxStore;
let clock: TestClock;
const extra: Db[] = [];

beforeEach(async () => {
  dir = await tempDir();
  db = openDatabase(join(dir, 'mailbox.db'));
  syncer = new GatedSyncer();
  clock = new TestClock();
  store = await FileMailboxStore.open(db, dir, { dirSyncer: syncer, clock });
});
afterEach(async () => {
  await store.drain();
  for (const d of extra.splice(0)) d.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const append = (deliveryKey: string, epoch = 1) =>
  store.append(
    { account: ACCOUNT, folder: 'INBOX', deliveryKey, epoch },
    Readable.from([Buffer.from(`body ${deliveryKey}`)]),
  );
const files = (sub: string) => readdir(join(dir, 'mailboxes', ...sub.split('/')));
const rows = () => db.prepare('SELECT COUNT(*) FROM mbx_messages').pluck().get();

describe('FileMailboxStore group commit', () => {
  it('lets appends that arrive together share one row commit, one folder fsync and one WAL fsync', async () => {
    await append('warm-up'); // creates the folder (its directory fsyncs are not counted below)
    const before = { ...store.committer.stats, wal: store.committer.fsyncs, dirs: syncer.syncs };
    const n = 20;
    syncer.gate(n);
    const results = await Promise.all(Array.from({ length: n }, (_, i) => append(`k${i}`)));
    expect(new Set(results.map((r) => r.uid)).size).toBe(n);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(syncer.syncs - before.dirs).toBe(1);
    expect(store.committer.fsyncs - before.wal).toBe(1);
    // Reservations may take several commits (bodies finish writing at different times); rows take one.
    const commits = store.committer.stats.commits - before.commits;
    expect(commits).toBeLessThanOrEqual(n + 1);
    expect(store.committer.stats.requests - before.requests).toBe(2 * n);
    expect(rows()).toBe(n + 1);
    expect((await files(`${ACCOUNT}/INBOX`)).length).toBe(n + 1);
    expect(db.prepare('SELECT COUNT(*) FROM mbx_reserved').pluck().get()).toBe(0);
  });

  it('fails every append of a batch whose commit fails, keeping no body and no row', async () => {
    await append('warm-up');
    const lock = openDatabase(join(dir, 'mailbox.db'));
    extra.push(lock);
    // When the rows are due, another connection holds the write lock: their transaction cannot begin.
    syncer.onOpen = () => {
      lock.exec('BEGIN IMMEDIATE');
      db.pragma('busy_timeout = 50');
    };
    syncer.gate(5);
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => append(`k${i}`)));
    expect(settled.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    for (const r of settled) expect(String((r as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    lock.exec('ROLLBACK');
    db.pragma('busy_timeout = 10000');
    expect(rows()).toBe(1);
    expect(await files(`${ACCOUNT}/INBOX`)).toEqual(['1.eml']);
    expect(await files('tmp')).toEqual([]);
    // The store is not stuck; the reserved UIDs stay unused (IMAP allows gaps).
    expect(await append('k0')).toEqual({ uid: 7, duplicate: false });
    expect((await store.list(ACCOUNT, 'INBOX')).map((m) => m.uid)).toEqual([1, 7]);
  });

  it('stores a delivery key once when its appends run concurrently', async () => {
    await append('warm-up');
    syncer.gate(6); // no row before every append has reserved its UID
    const results = await Promise.all(Array.from({ length: 6 }, () => append('same')));
    expect(new Set(results.map((r) => r.uid)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(rows()).toBe(2);
    expect((await files(`${ACCOUNT}/INBOX`)).sort()).toEqual(['1.eml', `${results[0]!.uid}.eml`]);
  });

  it('rejects an append whose epoch was superseded between its reservation and its row', async () => {
    await append('warm-up');
    syncer.gate(2);
    const first = append('old', 1);
    await syncer.held(); // 'old' has its UID and waits for its folder fsync
    const [old, current] = await Promise.allSettled([first, append('new', 2)]);
    expect((old as PromiseRejectedResult).reason).toBeInstanceOf(StaleEpochError);
    expect(current.status).toBe('fulfilled');
    expect((await store.list(ACCOUNT, 'INBOX')).map((m) => m.deliveryKey)).toEqual(['warm-up', 'new']);
    expect((await files(`${ACCOUNT}/INBOX`)).length).toBe(2);
  });

  it('deletes at the next open the body of an append that died between its UID and its row', async () => {
    await append('warm-up');
    syncer.gate(2); // never opens: the append below stops at its folder fsync, as if killed there
    void append('dies');
    await syncer.held();
    expect((await files(`${ACCOUNT}/INBOX`)).sort()).toEqual(['1.eml', '2.eml']);
    const other = openDatabase(join(dir, 'mailbox.db'));
    extra.push(other);
    // A young reservation may be an append in flight in another process: left alone.
    await FileMailboxStore.open(other, dir, { clock });
    expect((await files(`${ACCOUNT}/INBOX`)).sort()).toEqual(['1.eml', '2.eml']);
    clock.advance(STALE_RESERVATION_MS + 1);
    await FileMailboxStore.open(other, dir, { clock });
    expect(await files(`${ACCOUNT}/INBOX`)).toEqual(['1.eml']);
    expect(other.prepare('SELECT COUNT(*) FROM mbx_reserved').pluck().get()).toBe(0);
    // Finished appends leave no reservation behind.
    expect((await store.list(ACCOUNT, 'INBOX')).map((m) => m.uid)).toEqual([1]);
  });
});
