/**
 * The rspamd adapter against a real rspamd (test/support/rspamd.ts; skipped when rspamd is not
 * installed): GTUBE → reject with rspamd's reason, the test symbol → add header with its score,
 * a plain message → no reject; and against sockets that misbehave: a server that never answers
 * fails at the timeout, a closed port fails at once, a non-JSON reply fails.
 */
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../test/support/cluster.ts';
import {
  GTUBE,
  RSPAMD_MISSING,
  rspamdBinary,
  TEST_SPAM_SUBJECT,
  TestRspamd,
} from '../../test/support/rspamd.ts';
import { parseRspamdReply, rspamdFilter } from './rspamd-filter.ts';

const binary = rspamdBinary();
if (!binary) console.warn(RSPAMD_MISSING);

const envelope = {
  ip: '192.0.2.10',
  helo: 'client.example.org',
  mailFrom: 'bob@example.org',
  recipients: ['carol@example.net', 'dave@example.net'],
  queueId: 'Q1',
};
const message = (subject: string, body: string) => () =>
  Promise.resolve(
    Readable.from([
      Buffer.from(
        `From: <bob@example.org>\r\nTo: <carol@example.net>\r\nSubject: ${subject}\r\n` +
          `Message-ID: <${subject.replace(/\W+/g, '.')}@example.org>\r\n\r\n${body}\r\n`,
      ),
    ]),
  );

describe.skipIf(!binary)('rspamd adapter with a real rspamd', () => {
  const rspamd = new TestRspamd();
  beforeAll(() => rspamd.start(binary!), 90_000);
  afterAll(() => rspamd.close());

  it('GTUBE is a reject with rspamd reason', async () => {
    const filter = rspamdFilter({ url: rspamd.url, timeoutMs: 10_000 });
    const r = await filter.scan(message('gtube', GTUBE), envelope);
    expect(r.action).toBe('reject');
    expect(r.reason).toBe('Gtube pattern');
    expect(r.symbols.map((s) => s.name)).toContain('GTUBE');
  });

  it('the test symbol scores 20: add header, below the required score', async () => {
    const filter = rspamdFilter({ url: rspamd.url, timeoutMs: 10_000 });
    const r = await filter.scan(message(`${TEST_SPAM_SUBJECT} offer`, 'buy now'), envelope);
    expect(r.symbols.find((s) => s.name === 'STRATO_TEST_SPAM')?.score).toBe(20);
    expect(r.score).toBeGreaterThanOrEqual(20);
    expect(r.requiredScore).toBe(50);
    expect(['add header', 'rewrite subject']).toContain(r.action);
  });

  it('a plain message from an authenticated user is scanned (not rejected)', async () => {
    const filter = rspamdFilter({ url: rspamd.url, timeoutMs: 10_000 });
    const r = await filter.scan(message('hello', 'see you tomorrow'), { ...envelope, user: 'bob' });
    expect(r.action).not.toBe('reject');
    expect(r.score).toBeLessThan(15);
    expect(r.action).toBe('no action');
  });
});

describe('rspamd adapter failures', () => {
  let silent: Server;
  let garbage: Server;
  beforeAll(async () => {
    silent = createServer(() => {}); // reads the request, never answers
    garbage = createServer((_req, res) => res.end('not json'));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    silent.closeAllConnections();
    silent.close();
    garbage.close();
  });
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as { port: number }).port}`;

  it('a filter that never answers fails at the timeout', async () => {
    const filter = rspamdFilter({ url: url(silent), timeoutMs: 300 });
    const started = Date.now();
    await expect(filter.scan(message('x', 'y'), envelope)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a closed port fails at once', async () => {
    const [port] = await freePorts(1);
    const filter = rspamdFilter({ url: `http://127.0.0.1:${port}`, timeoutMs: 10_000 });
    await expect(filter.scan(message('x', 'y'), envelope)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a reply that is not rspamd JSON fails', async () => {
    const filter = rspamdFilter({ url: url(garbage), timeoutMs: 2000 });
    await expect(filter.scan(message('x', 'y'), envelope)).rejects.toThrow();
    expect(() => parseRspamdReply({ action: 'discard everything' })).toThrow(/known action/);
  });
});
