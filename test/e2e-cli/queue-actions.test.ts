/**
 * End-to-end tests of `strato queue retry|bounce|delete` through the CLI in-process, on jobs the test
 * enqueues (with bodies) directly through openEmbeddedStorage, then inspects the data dir again:
 * a retried job is ready with its notBefore gone, a deleted job and its body are gone, a bounce
 * leaves exactly one DSN job (source DSN, from <>, to the original sender) carrying the reason.
 * Jobs in flight or not queued are refused with exit 1 and one stderr line.
 */
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from '../../adapters/contract/helpers.ts';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { JobRecipient, QueueEntry, QueueJob } from '../../core/ports/mail-queue.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { cliFor, strato, tempDataDir } from './run-cli.ts';

const BODY =
  'From: Sender <sender@example.net>\r\nTo: bob@example.org\r\nSubject: weekly digest\r\n' +
  'Message-ID: <d1@example.net>\r\n\r\nThe body stays out of a HDRS report.\r\n';

const dirs: { remove: () => void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

function rcpt(address: string, extra: Partial<JobRecipient> = {}): JobRecipient {
  return { address, original: address, state: 'pending', attempts: 0, ...extra };
}

function job(overrides: Partial<QueueJob> = {}): QueueJob {
  const id = overrides.id ?? newQueueId();
  return {
    id,
    source: 'SMTP',
    createdAt: Date.now() - 120_000,
    body: { key: id, size: Buffer.byteLength(BODY) },
    envelope: { mailFrom: 'sender@example.net', recipients: [rcpt('bob@example.org')] },
    attempts: 1,
    ...overrides,
  };
}

/** A data dir holding `jobs` (bodies stored unless listed in `noBody`); `leased` are received for 10 min. */
async function prepare(
  jobs: { job: QueueJob; delaySeconds?: number; noBody?: boolean }[],
  leased: QueueJob[] = [],
) {
  const data = tempDataDir();
  dirs.push(data);
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    for (const j of leased) {
      await storage.messages.put(j.body.key, Readable.from([Buffer.from(BODY)]));
      await storage.queue.enqueue([j]);
      expect((await storage.queue.receive({ max: 1, visibilitySeconds: 600 })).map((l) => l.job.id)).toEqual([
        j.id,
      ]);
    }
    for (const j of jobs) {
      if (!j.noBody) await storage.messages.put(j.job.body.key, Readable.from([Buffer.from(BODY)]));
      await storage.queue.enqueue([j.job], { delaySeconds: j.delaySeconds ?? 0 });
    }
  } finally {
    await storage.close();
  }
  return data.dir;
}

async function inspect<T>(
  dir: string,
  fn: (s: Awaited<ReturnType<typeof openEmbeddedStorage>>) => Promise<T>,
) {
  const storage = await openEmbeddedStorage({ dataDir: dir });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

describe('strato queue retry and delete', () => {
  it('retries a delayed job at once, deletes a waiting job with its body, and refuses jobs in flight or unknown', async () => {
    const notBefore = Date.now() + 3_600_000;
    const retried = job({ notBefore });
    const retriedJson = job({ notBefore });
    const deleted = job();
    const inFlight = job();
    const unknown = newQueueId();
    const dir = await prepare(
      [
        { job: retried, delaySeconds: 900 },
        { job: retriedJson, delaySeconds: 900 },
        { job: deleted, delaySeconds: 300 },
      ],
      [inFlight],
    );
    const cli = cliFor(dir);
    const [retry, retryJson, del, ...refusals] = await Promise.all([
      cli.ok(['queue', 'retry', retried.id.toLowerCase()]),
      cli.json(['queue', 'retry', retriedJson.id]),
      cli.ok(['queue', 'delete', deleted.id]),
      strato(dir, ['queue', 'retry', inFlight.id]),
      strato(dir, ['queue', 'delete', inFlight.id]),
      strato(dir, ['queue', 'bounce', inFlight.id]),
      strato(dir, ['queue', 'retry', unknown]),
      strato(dir, ['queue', 'delete', unknown]),
      strato(dir, ['queue', 'bounce', unknown, '--reason', 'x']),
    ]);
    expect(retry).toBe(
      `queue job ${retried.id} is ready (was delayed); a queue processor will attempt it now\n`,
    );
    expect(retryJson).toEqual({ id: retriedJson.id, status: 'ready', previousStatus: 'delayed' });
    expect(del).toBe(`queue job ${deleted.id} deleted\n`);
    for (const [i, r] of refusals.entries()) {
      const expected =
        i < 3
          ? `strato: queue job ${inFlight.id} is being delivered right now (in flight); try again when the attempt ends\n`
          : `strato: queue job ${unknown} not found (delivered, removed, or never queued)\n`;
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: expected,
      });
    }

    await inspect(dir, async (s) => {
      for (const id of [retried.id, retriedJson.id]) {
        const entry = await s.queue.get(id);
        expect(entry?.status).toBe('ready');
        expect(entry?.job.notBefore).toBeUndefined();
        expect(entry?.job.envelope).toEqual(retried.envelope);
      }
      expect(await s.queue.get(deleted.id)).toBeUndefined();
      expect(await s.messages.exists(deleted.body.key)).toBe(false);
      expect((await s.queue.get(inFlight.id))?.status).toBe('in-flight');
      expect(await s.messages.exists(inFlight.body.key)).toBe(true);
      expect(await s.queue.depth()).toEqual({ ready: 2, inFlight: 1, delayed: 0, dead: 0, held: 0 });
    });
  });
});

describe('strato queue bounce', () => {
  it('removes the job and leaves exactly one DSN job (source DSN, from <>, to the original sender)', async () => {
    const bounced = job({
      envelope: {
        mailFrom: 'sender@example.net',
        envid: 'digest-7',
        recipients: [
          rcpt('alice@demo.strato.test', { state: 'delivered' }),
          rcpt('bob@example.org', {
            attempts: 2,
            lastReply: { code: 451, enhanced: '4.4.1', text: 'connection refused' },
          }),
          rcpt('carol@example.org', { notify: ['NEVER'] }),
        ],
      },
    });
    const dir = await prepare([{ job: bounced, delaySeconds: 600 }]);
    const cli = cliFor(dir);
    const out = await cli.ok(['queue', 'bounce', bounced.id, '--reason', 'spam campaign']);
    const dsnId = /DSN (\S+) queued/.exec(out)?.[1] ?? '';
    expect(out).toBe(
      `queue job ${bounced.id} bounced: DSN ${dsnId} queued to sender@example.net for bob@example.org\n` +
        'not reported (NOTIFY): carol@example.org\n',
    );

    const list = await cli.json<QueueEntry[]>(['queue', 'list']);
    expect(list).toHaveLength(1);
    const dsn = list[0]!.job;
    expect(dsn.id).toBe(dsnId);
    expect(dsn.source).toBe('DSN');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(dsn.envelope.recipients.map((r) => [r.address, r.state])).toEqual([
      ['sender@example.net', 'pending'],
    ]);
    expect(list[0]!.status).toBe('ready');

    const show = await cli.ok(['queue', 'show', dsnId]);
    expect(show).toMatch(/^Source:\s+DSN$/m);
    expect(show).toMatch(/^From:\s+<>$/m);
    expect(show).toMatch(/^Subject: Undelivered Mail Returned to Sender$/m);
    expect(show).toMatch(/^To: <sender@example\.net>$/m);

    await inspect(dir, async (s) => {
      expect(await s.messages.exists(bounced.body.key)).toBe(false);
      const text = (await readAll(await s.messages.open(dsn.body))).toString('utf8');
      expect(text).toContain('Original-Envelope-Id: digest-7');
      expect(text).toContain('Final-Recipient: rfc822; bob@example.org');
      expect(text).toContain('Diagnostic-Code: smtp; 550 5.7.1 rejected by the administrator: spam campaign');
      expect(text).not.toContain('carol@example.org');
      expect(text).toContain('Subject: weekly digest');
    });
  });

  it('bounces a <> job without a report, refuses a job without a body, and answers --json', async () => {
    const nullSender = job({ envelope: { mailFrom: '', recipients: [rcpt('bob@example.org')] } });
    const noBody = job();
    const viaJson = job();
    const dir = await prepare([{ job: nullSender }, { job: noBody, noBody: true }, { job: viaJson }]);
    const cli = cliFor(dir);
    const [plain, missing, json] = await Promise.all([
      cli.ok(['queue', 'bounce', nullSender.id]),
      strato(dir, ['queue', 'bounce', noBody.id]),
      cli.json<Record<string, unknown>>(['queue', 'bounce', viaJson.id]),
    ]);
    expect(plain).toBe(`queue job ${nullSender.id} bounced without a DSN: the sender is <>\n`);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(
      `strato: queue job ${noBody.id} has no stored body, so no DSN can be built; "strato queue delete ${noBody.id}" removes it without a report\n`,
    );
    expect(json).toMatchObject({
      id: viaJson.id,
      bounced: true,
      dsnId: expect.stringMatching(/^[0-9A-Z]{20}$/),
      reportTo: 'sender@example.net',
      reported: ['bob@example.org'],
      unreported: [],
      noReport: null,
      bodyError: null,
    });
    await inspect(dir, async (s) => {
      const left = await s.queue.list();
      expect(left.map((e) => e.job.id).sort()).toEqual([noBody.id, json.dsnId].sort());
      const dsn = left.find((e) => e.job.id === json.dsnId)!.job;
      expect(dsn.envelope.recipients.map((r) => r.address)).toEqual(['sender@example.net']);
      expect(dsn.envelope.mailFrom).toBe('');
      expect(await s.messages.exists(nullSender.body.key)).toBe(false);
      const text = (await readAll(await s.messages.open(dsn.body))).toString('utf8');
      expect(text).toMatch(/Diagnostic-Code: smtp; 550 5\.7\.1 rejected by the administrator\r\n/);
    });
  });
});
