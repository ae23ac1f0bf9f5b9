import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileMessageStore } from '../../adapters/embedded/file-message-store.ts';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { silentLogger } from '../ports/logger.ts';
import type { MailQueue, QueueJob } from '../ports/mail-queue.ts';
import { BUILTIN_SETTINGS } from '../settings/settings.ts';
import { type AcceptRequest, acceptMessage } from './accept-message.ts';

const QUEUE_ID = '01KB0000000000000000';
const dns = new TestDnsServer();
let dir: string;
let messages: FileMessageStore;

beforeAll(async () => {
  await dns.start();
  dns.add(
    { name: 'ok.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.7 -all' },
    { name: 'reject.test', type: 'TXT', data: 'v=spf1 -all' },
    { name: '_dmarc.reject.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
  );
  dir = await mkdtemp(join(tmpdir(), 'strato-verify-'));
  messages = await FileMessageStore.open(dir);
});
afterAll(async () => {
  await dns.close();
  await rm(dir, { recursive: true, force: true });
});

function setup() {
  const jobs: QueueJob[] = [];
  const queue = {
    enqueue: async (batch: readonly QueueJob[]) => void jobs.push(...batch),
  } as unknown as MailQueue;
  let n = 0;
  const deps = {
    messages,
    queue,
    clock: { now: () => Date.UTC(2025, 10, 27, 9, 5, 3) },
    logger: silentLogger,
    newId: () => `${QUEUE_ID.slice(0, -1)}${n++}`,
    inboundAuth: {
      resolver: new NodeDnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1 }),
      authservId: 'mx.test',
      policy: { dmarcReject: 'reject' as const, spfFail: 'mark' as const },
    },
  };
  return { deps, jobs };
}

function request(mailFrom: string): AcceptRequest {
  const address = 'alice@example.com';
  return {
    session: { ip: '::ffff:192.0.2.7', helo: 'client.example', esmtp: true, tls: false, requireAuth: false },
    hostname: 'mx.test',
    frontendId: 'fe-1',
    mailFrom,
    recipients: [
      {
        original: address,
        route: {
          kind: 'local',
          address,
          account: { address, domain: 'example.com', name: 'alice', settings: {}, createdAt: 0 },
          settings: { ...BUILTIN_SETTINGS },
        },
      },
    ],
    maxMessageSize: 100_000,
    authservId: 'mx.test',
    verifyAuth: true,
  };
}

function data(from: string, extra = '') {
  const s = new PassThrough();
  setImmediate(() => s.end(`From: <${from}>\r\n${extra}Subject: hi\r\n\r\nbody\r\n`));
  return s;
}

describe('acceptMessage with verifyAuth', () => {
  it('queues a copy with our Authentication-Results first and deletes the first body', async () => {
    const { deps, jobs } = setup();
    const forged =
      'Authentication-Results: mx.test; dmarc=pass\r\nAuthentication-Results: x.example; spf=pass\r\n';
    const result = await acceptMessage(deps, request('a@ok.test'), data('a@ok.test', forged));
    expect(result.ok).toBe(true);
    const [job] = jobs;
    expect(job!.id).toBe(result.ok ? result.queueId : '');
    expect(job!.body.key).not.toBe(job!.id); // the copy lives under a derived key
    expect(await messages.exists(job!.id)).toBe(false);
    const stored = await text(await messages.open(job!.body));
    expect(stored).toMatch(
      /^Authentication-Results: mx\.test;\r\n dkim=none \(message not signed\);\r\n spf=pass [^\r]*;\r\n dmarc=none/,
    );
    expect(stored).toMatch(/\r\nReceived: from client\.example/);
    expect(stored.match(/Authentication-Results: mx\.test;/g)).toHaveLength(1);
    expect(stored).toContain('Authentication-Results: x.example; spf=pass\r\n');
    expect(job!.body.size).toBe(Buffer.byteLength(stored));
  });

  it('refuses a DMARC p=reject failure with 550 5.7.1, queues nothing and keeps no body', async () => {
    const { deps, jobs } = setup();
    const result = await acceptMessage(deps, request('a@reject.test'), data('a@reject.test'));
    expect(result).toMatchObject({
      ok: false,
      reason: 'auth-policy',
      reply: { code: 550, enhanced: '5.7.1' },
    });
    expect(jobs).toEqual([]);
    expect(await messages.exists(`${QUEUE_ID.slice(0, -1)}0`)).toBe(false);
  });

  it('does nothing without verifyAuth (submissions, trusted networks)', async () => {
    const { deps, jobs } = setup();
    const result = await acceptMessage(
      deps,
      { ...request('a@reject.test'), verifyAuth: false },
      data('a@reject.test'),
    );
    expect(result.ok).toBe(true);
    expect(jobs[0]!.body.key).toBe(jobs[0]!.id);
    expect(await text(await messages.open(jobs[0]!.body))).toMatch(/^Received: /);
  });
});
