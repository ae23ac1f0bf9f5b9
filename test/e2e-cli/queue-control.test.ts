/**
 * End-to-end tests of the queue control commands through the CLI in-process on real embedded
 * storage: hold/release by domain and account (directives listed by `queue holds`, waiting jobs
 * parked and released), filtered bulk actions with --dry-run (nothing changes) and for real,
 * `queue list` filters, dead letters and redrive, and bad input (exit 2, nothing changed).
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { QueueEntry, QueueJob } from '../../core/ports/mail-queue.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { cliFor, tempDataDir } from './run-cli.ts';

let data: ReturnType<typeof tempDataDir>;
let cli: ReturnType<typeof cliFor>;
beforeEach(() => {
  data = tempDataDir();
  cli = cliFor(data.dir);
});
afterEach(() => data.remove());

const now = Date.now();
const BODY = 'From: a@example.net\r\nSubject: flood\r\n\r\nbuy now\r\n';

/** Queue one job per (sender, recipient, age) with its body stored; answers the ids in order. */
async function seed(
  jobs: { from: string; to: string; ageMs: number }[],
  opts: { maxReceiveCount?: number; deadFirst?: boolean } = {},
): Promise<string[]> {
  const storage = await openEmbeddedStorage({
    dataDir: data.dir,
    maxReceiveCount: opts.maxReceiveCount ?? 20,
  });
  try {
    const ids: string[] = [];
    for (const [i, j] of jobs.entries()) {
      const id = newQueueId(now - j.ageMs + i);
      const body = await storage.messages.put(id, Readable.from([Buffer.from(BODY)]));
      const job: QueueJob = {
        id,
        source: 'SMTP',
        createdAt: now - j.ageMs,
        body,
        envelope: {
          mailFrom: j.from,
          recipients: [{ address: j.to, original: j.to, state: 'pending', attempts: 0 }],
        },
        attempts: 0,
      };
      await storage.queue.enqueue([job]);
      ids.push(id);
    }
    return ids;
  } finally {
    await storage.close();
  }
}

const statusOf = async (id: string) =>
  (await cli.json<QueueEntry>(['queue', 'show', id]).catch(() => undefined))?.status;

describe('strato queue hold / release / holds', () => {
  it('holds a domain: parks its waiting jobs, lists the directive, and releases them all at once', async () => {
    const [f1, f2, other] = await seed([
      { from: 'spam@example.net', to: 'a@flood.example', ageMs: 60_000 },
      { from: 'spam@example.net', to: 'b@Flood.Example', ageMs: 50_000 },
      { from: 'ok@example.net', to: 'c@elsewhere.example', ageMs: 40_000 },
    ]);
    const dry = await cli.ok(['queue', 'hold', '--domain', 'flood.example', '--dry-run']);
    expect(dry).toContain('2 of 2 matching job(s) would be held');
    expect(await statusOf(f1!)).toBe('ready');

    const held = await cli.ok(['queue', 'hold', '--domain', 'FLOOD.example', '--reason', 'spam run']);
    expect(held).toBe(`holding domain flood.example\n2 waiting job(s) parked: ${f1}, ${f2}\n`);
    expect(await statusOf(f1!)).toBe('held');
    expect(await statusOf(other!)).toBe('ready');
    const holds = await cli.json<{ kind: string; value: string; reason: string }[]>(['queue', 'holds']);
    expect(holds).toMatchObject([{ kind: 'domain', value: 'flood.example', reason: 'spam run' }]);
    const listed = await cli.json<QueueEntry[]>(['queue', 'list', '--state', 'held']);
    expect(listed.map((e) => e.job.id)).toEqual([f1, f2]);
    expect(await cli.json(['queue', 'depth'])).toMatchObject({ ready: 1, held: 2 });

    expect(await cli.ok(['queue', 'release', '--domain', 'flood.example'])).toBe(
      `released the hold on domain flood.example\n2 held job(s) ready now: ${f1}, ${f2}\n`,
    );
    expect(await statusOf(f2!)).toBe('ready');
    expect(await cli.ok(['queue', 'holds'])).toBe('no holds\n');
    const again = await cli.run(['queue', 'release', '--domain', 'flood.example']);
    expect(again).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'strato: domain flood.example is not held\n',
    });
  });

  it('holds one job and an account; a filtered hold parks once; release by id', async () => {
    const [a, b, c] = await seed([
      { from: 'x@example.net', to: 'bob@example.org', ageMs: 30_000 },
      { from: 'x@example.net', to: 'carol@example.org', ageMs: 20_000 },
      { from: 'y@example.net', to: 'dave@example.org', ageMs: 10_000 },
    ]);
    await cli.ok(['queue', 'hold', a!.toLowerCase()]);
    await cli.ok(['queue', 'hold', '--account', 'Carol@example.org']);
    expect(await cli.ok(['queue', 'hold', '--sender', 'y@example.net'])).toBe(
      `1 of 1 matching job(s) held:\n  ${c}\n`,
    );
    expect((await cli.json<{ kind: string }[]>(['queue', 'holds'])).map((h) => h.kind)).toEqual([
      'account',
      'job',
    ]);
    expect([await statusOf(a!), await statusOf(b!), await statusOf(c!)]).toEqual(['held', 'held', 'held']);
    await cli.ok(['queue', 'release', a!]);
    await cli.ok(['queue', 'release', c!]); // held without a directive: released too
    expect([await statusOf(a!), await statusOf(b!), await statusOf(c!)]).toEqual(['ready', 'held', 'ready']);
  });
});

describe('strato queue actions by filter', () => {
  it('dry-runs, then deletes only the matching jobs; a filter matching nothing says so (exit 0)', async () => {
    const [old1, old2, young] = await seed([
      { from: 'spam@example.net', to: 'a@example.org', ageMs: 3 * 3_600_000 },
      { from: 'spam@example.net', to: 'b@example.org', ageMs: 2.5 * 3_600_000 },
      { from: 'spam@example.net', to: 'c@example.org', ageMs: 60_000 },
    ]);
    const dry = await cli.json<{ matched: string[]; done: string[] }>([
      'queue',
      'delete',
      '--sender',
      'spam@example.net',
      '--older-than',
      '2h',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ dryRun: true, matched: [old1, old2], done: [old1, old2] });
    expect(await statusOf(old1!)).toBe('ready');
    expect(await cli.ok(['queue', 'delete', '--sender', 'spam@example.net', '--older-than', '2h'])).toBe(
      `2 of 2 matching job(s) deleted:\n  ${old1}\n  ${old2}\n`,
    );
    expect(await statusOf(old1!)).toBeUndefined();
    expect(await statusOf(young!)).toBe('ready');
    expect(await cli.ok(['queue', 'retry', '--domain', 'nowhere.example'])).toBe('no queued job matches\n');
    const listed = await cli.json<QueueEntry[]>([
      'queue',
      'list',
      '--newer-than',
      '10m',
      '--recipient',
      'c@example.org',
    ]);
    expect(listed.map((e) => e.job.id)).toEqual([young]);
  });

  it('bounces by filter with a DSN each', async () => {
    const [a] = await seed([{ from: 'someone@example.net', to: 'x@bounce.example', ageMs: 1000 }]);
    expect(await cli.ok(['queue', 'bounce', '--domain', 'bounce.example', '--reason', 'cleanup'])).toBe(
      `1 of 1 matching job(s) bounced:\n  ${a}\n`,
    );
    const dsn = await cli.json<QueueEntry[]>(['queue', 'list', '--recipient', 'someone@example.net']);
    expect(dsn.map((e) => e.job.source)).toEqual(['DSN']);
  });

  it('refuses malformed filters with exit 2 and changes nothing', async () => {
    const [a] = await seed([{ from: 'x@example.net', to: 'y@example.org', ageMs: 1000 }]);
    for (const [args, message] of [
      [['queue', 'delete', '--older-than', '2 hours'], 'invalid --older-than "2 hours"'],
      [['queue', 'delete', '--sender', ''], 'the sender filter is empty'],
      [['queue', 'retry', '--state', 'frozen'], 'invalid state "frozen"'],
      [['queue', 'delete'], 'give a queue id or at least one filter option'],
      [['queue', 'delete', a!, '--domain', 'example.org'], 'give a queue id or filter options, not both'],
      [['queue', 'hold', '--domain', 'example.org', '--account', 'y@example.org'], 'give one of'],
      [['queue', 'list', '--newer-than', '-1h'], 'invalid --newer-than'],
      [['queue', 'redrive'], 'give the queue ids to redrive, or --all'],
    ] as const) {
      const r = await cli.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await statusOf(a!)).toBe('ready');
    expect(await cli.ok(['queue', 'holds'])).toBe('no holds\n');
  });
});

describe('strato queue dead / redrive', () => {
  it('lists dead jobs with receive count and last reply, dry-runs and redrives them', async () => {
    const [a, b] = await seed([
      { from: 'x@example.net', to: 'y@example.org', ageMs: 2000 },
      { from: 'x@example.net', to: 'z@example.org', ageMs: 1000 },
    ]);
    const storage = await openEmbeddedStorage({ dataDir: data.dir, maxReceiveCount: 1 });
    try {
      const got = await storage.queue.receive({ max: 2, visibilitySeconds: 0 });
      const job = structuredClone(got.find((l) => l.job.id === a)!.job);
      job.envelope.recipients[0]!.lastReply = { code: 451, enhanced: '4.4.1', text: 'no answer' };
      // A reschedule writes the reply; visibility 0 and maxReceiveCount 1 make both go dead.
      await storage.queue.reschedule(got.find((l) => l.job.id === a)!.receipt, job, 0);
      await storage.queue.receive({ max: 2, visibilitySeconds: 0 });
      expect(await storage.queue.receive({ max: 2, visibilitySeconds: 0 })).toEqual([]);
    } finally {
      await storage.close();
    }
    const dead = await cli.json<{ job: { id: string }; receiveCount: number; lastReply: string | null }[]>([
      'queue',
      'dead',
    ]);
    expect(dead.map((d) => [d.job.id, d.receiveCount, d.lastReply])).toEqual([
      [a, 1, '451 4.4.1 no answer'],
      [b, 1, null],
    ]);
    expect(await cli.ok(['queue', 'redrive', '--all', '--dry-run'])).toBe(
      `2 of 2 matching job(s) would be redriven:\n  ${a}\n  ${b}\n`,
    );
    expect(await cli.ok(['queue', 'redrive', b!])).toBe(`1 of 1 matching job(s) redriven:\n  ${b}\n`);
    expect(await statusOf(b!)).toBe('ready');
    await cli.ok(['queue', 'redrive', '--all']);
    expect(await cli.ok(['queue', 'dead'])).toBe('no dead jobs\n');
  });
});
