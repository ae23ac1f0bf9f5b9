/**
 * End-to-end tests of `strato queue list|show|depth` through the CLI in-process, on jobs the test
 * enqueues directly through openEmbeddedStorage: one ready (two recipients, one delivered, with
 * its body and headers in the MessageStore), one delayed, one in flight (no body stored) and one
 * dead (received past maxReceiveCount).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { cliFor, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
const now = Date.now();
const ids = {
  ready: newQueueId(now - 300_000),
  delayed: newQueueId(now - 200_000),
  inFlight: newQueueId(now - 100_000),
  dead: newQueueId(now - 50_000),
};
const BODY =
  'Received: from client.example.net ([192.0.2.7]) by mx1.strato.test\r\n' +
  '\tfor <alice@demo.strato.test>; Sat, 1 Mar 2025 10:00:00 +0000\r\n' +
  'From: Sender <sender@example.net>\r\nTo: alice@demo.strato.test, bob@example.org\r\n' +
  'Subject: quarterly report\r\nMessage-ID: <q1@example.net>\r\n\r\nHello Alice,\r\nthe numbers.\r\n';

function job(
  id: string,
  createdAt: number,
  recipients: QueueJob['envelope']['recipients'],
  size = 100,
): QueueJob {
  return {
    id,
    source: 'SMTP',
    createdAt,
    body: { key: id, size },
    envelope: { mailFrom: 'sender@example.net', recipients },
    client: { ip: '192.0.2.7', helo: 'client.example.net', tls: false, frontend: 'fe-1' },
    attempts: 0,
  };
}

const pending = (address: string) => ({ address, original: address, state: 'pending' as const, attempts: 0 });

beforeAll(async () => {
  const storage = await openEmbeddedStorage({ dataDir: data.dir, maxReceiveCount: 1 });
  try {
    // Dead: received once (visibility 0), then received again past maxReceiveCount.
    await storage.queue.enqueue([job(ids.dead, now - 50_000, [pending('carol@example.org')])]);
    expect((await storage.queue.receive({ max: 1, visibilitySeconds: 0 })).map((l) => l.job.id)).toEqual([
      ids.dead,
    ]);
    expect(await storage.queue.receive({ max: 1, visibilitySeconds: 0 })).toEqual([]);
    // In flight: leased for 10 minutes.
    await storage.queue.enqueue([job(ids.inFlight, now - 100_000, [pending('dave@example.org')])]);
    expect((await storage.queue.receive({ max: 1, visibilitySeconds: 600 })).map((l) => l.job.id)).toEqual([
      ids.inFlight,
    ]);
    // Delayed by 15 minutes.
    await storage.queue.enqueue([job(ids.delayed, now - 200_000, [pending('erin@example.org')])], {
      delaySeconds: 900,
    });
    // Ready, with its body stored and one recipient already delivered.
    const ref = await storage.messages.put(ids.ready, Readable.from([Buffer.from(BODY)]));
    const ready = job(
      ids.ready,
      now - 300_000,
      [
        {
          address: 'alice@demo.strato.test',
          original: 'Alice@demo.strato.test',
          state: 'delivered',
          attempts: 1,
          lastReply: { code: 250, enhanced: '2.0.0', text: 'Delivered' },
          updatedAt: now - 60_000,
        },
        {
          address: 'bob@example.org',
          original: 'bob@example.org',
          state: 'pending',
          attempts: 1,
          lastReply: { code: 451, enhanced: '4.4.1', text: 'connection refused by mx.example.org' },
          updatedAt: now - 60_000,
        },
      ],
      ref.size,
    );
    await storage.queue.enqueue([{ ...ready, attempts: 1 }]);
  } finally {
    await storage.close();
  }
});
afterAll(() => data.remove());

describe('strato queue', () => {
  it('counts jobs per status and lists them with recipients, status and next attempt', async () => {
    const [depth, depthJson, list, dead, limited] = await Promise.all([
      cli.ok(['queue', 'depth']),
      cli.json(['queue', 'depth']),
      cli.ok(['queue', 'list']),
      cli.ok(['queue', 'list', '--status', 'dead']),
      cli.json<{ job: { id: string } }[]>(['queue', 'list', '--limit', '2']),
    ]);
    expect(depth).toBe(
      'ready:      1\nin-flight:  1\ndelayed:    1\ndead:       1\nheld:       0\ntotal:      4\n',
    );
    expect(depthJson).toEqual({ ready: 1, inFlight: 1, delayed: 1, dead: 1, held: 0, total: 4 });

    const lines = list.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+AGE\s+FROM\s+RECIPIENTS\s+STATUS\s+RECEIVED\s+NEXT ATTEMPT$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${ids.ready}\\s+5m(\\d+s)?\\s+sender@example\\.net\\s+alice@demo\\.strato\\.test \\(delivered\\), bob@example\\.org \\(pending\\)\\s+ready\\s+0\\s+now$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${ids.delayed}\\s+3m[23]\\ds\\s+sender@example\\.net\\s+erin@example\\.org \\(pending\\)\\s+delayed\\s+0\\s+in 1[45]m`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${ids.inFlight}\\s+1m4\\ds\\s+sender@example\\.net\\s+dave@example\\.org \\(pending\\)\\s+in-flight\\s+1\\s+in (10m|9m5\\ds)$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${ids.dead}\\s+5\\ds\\s+sender@example\\.net\\s+carol@example\\.org \\(pending\\)\\s+dead\\s+1\\s+-$`,
        ),
      ),
    ]);
    expect(dead.trimEnd().split('\n')).toHaveLength(2);
    expect(dead).toContain(ids.dead);
    expect(limited).toHaveLength(2);
    expect(Object.values(ids)).toEqual(expect.arrayContaining(limited.map((e) => e.job.id)));
  });

  it('shows one job in full: envelope, per-recipient state and last reply, body size and headers', async () => {
    const [show, json, noBody] = await Promise.all([
      cli.ok(['queue', 'show', ids.ready.toLowerCase()]),
      cli.json<{ status: string; headers: { name: string; value: string }[]; job: QueueJob }>([
        'queue',
        'show',
        ids.ready,
      ]),
      cli.ok(['queue', 'show', ids.inFlight]),
    ]);
    expect(show).toMatch(new RegExp(`^Id:\\s+${ids.ready}$`, 'm'));
    expect(show).toMatch(/^Status:\s+ready$/m);
    expect(show).toMatch(/^Source:\s+SMTP$/m);
    expect(show).toMatch(/^Attempts:\s+1$/m);
    expect(show).toMatch(/^From:\s+sender@example\.net$/m);
    expect(show).toMatch(
      new RegExp(`^Body:\\s+${ids.ready}, ${Buffer.byteLength(BODY)} bytes \\(\\d+ B\\)$`, 'm'),
    );
    expect(show).toMatch(/^Client:\s+192\.0\.2\.7 helo=client\.example\.net via fe-1$/m);
    expect(show).toMatch(/^ADDRESS\s+ORIGINAL\s+STATE\s+ATTEMPTS\s+UPDATED\s+LAST REPLY$/m);
    expect(show).toMatch(
      /^alice@demo\.strato\.test\s+Alice@demo\.strato\.test\s+delivered\s+1\s+\S+Z\s+250 2\.0\.0 Delivered$/m,
    );
    expect(show).toMatch(
      /^bob@example\.org\s+-\s+pending\s+1\s+\S+Z\s+451 4\.4\.1 connection refused by mx\.example\.org$/m,
    );
    expect(show).toContain(
      'Headers:\nReceived: from client.example.net ([192.0.2.7]) by mx1.strato.test\n\tfor <alice@demo.strato.test>;',
    );
    expect(show).toMatch(/^Subject: quarterly report$/m);
    expect(show).not.toContain('Hello Alice');

    expect(json.status).toBe('ready');
    expect(json.job.envelope.recipients.map((r) => r.state)).toEqual(['delivered', 'pending']);
    expect(json.headers).toEqual([
      {
        name: 'Received',
        value:
          'from client.example.net ([192.0.2.7]) by mx1.strato.test for <alice@demo.strato.test>; Sat, 1 Mar 2025 10:00:00 +0000',
      },
      { name: 'From', value: 'Sender <sender@example.net>' },
      { name: 'To', value: 'alice@demo.strato.test, bob@example.org' },
      { name: 'Subject', value: 'quarterly report' },
      { name: 'Message-ID', value: '<q1@example.net>' },
    ]);

    expect(noBody).toMatch(/^Status:\s+in-flight$/m);
    expect(noBody).toMatch(/^Received:\s+1 time\(s\)$/m);
    expect(noBody).toMatch(/^Headers: body not readable: message body \S+ not found$/m);
  });
});
