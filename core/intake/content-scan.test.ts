/**
 * scanStored on a real FileMessageStore with a scripted ContentFilter (the real rspamd is covered
 * by adapters/net/rspamd-filter.test.ts and test/e2e-intake/content-filter.test.ts): each action's
 * reply or stored copy, the failure modes, the breaker skipping the filter, and the first body
 * deleted on every path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileMessageStore } from '../../adapters/embedded/file-message-store.ts';
import type { ContentFilter, FilterAction, FilterResult } from '../ports/content-filter.ts';
import { silentLogger } from '../ports/logger.ts';
import type { BodyRef } from '../ports/message-store.ts';
import { type FilterFailureMode, scanStored } from './content-scan.ts';
import { FilterBreaker } from './filter-breaker.ts';

const QUEUE_ID = '01KB0000000000000000';
const MESSAGE = 'Received: from x by mx.test\r\nSubject: hello\r\n\r\nbody\r\n';
let dir: string;
let messages: FileMessageStore;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strato-scan-'));
  messages = await FileMessageStore.open(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const result = (action: FilterAction, extra: Partial<FilterResult> = {}): FilterResult => ({
  action,
  score: 7.25,
  requiredScore: 15,
  symbols: [{ name: 'X', score: 7.25 }],
  ...extra,
});

function setup(answer: () => Promise<FilterResult>, failure: FilterFailureMode = 'accept', failures = 2) {
  let calls = 0;
  const filter: ContentFilter = {
    name: 'test',
    scan: async (open) => {
      calls++;
      (await open()).destroy();
      return answer();
    },
  };
  const breaker = new FilterBreaker({ failures, coolDownMs: 60_000 }, { now: () => 0 }, silentLogger);
  const deps = { filter, breaker, failure, hostname: 'mx.test' };
  const scan = async () => {
    const id = `${QUEUE_ID.slice(0, 18)}${String(n++).padStart(2, '0')}`;
    const stored = await messages.put(id, Readable.from([Buffer.from(MESSAGE)]));
    const envelope = {
      ip: '192.0.2.1',
      helo: 'h',
      mailFrom: 'a@b.test',
      recipients: ['c@d.test'],
      queueId: id,
    };
    return { stored, out: await scanStored(deps, messages, envelope, stored, silentLogger) };
  };
  return { scan, calls: () => calls };
}

const gone = async (ref: BodyRef) =>
  await messages.open(ref).then(
    () => false,
    () => true,
  );
const body = async (ref: BodyRef) => text(await messages.open(ref));

describe('scanStored', () => {
  it('no action: X-Spam-* (No) on top of the unchanged message; the first body deleted', async () => {
    const { scan } = setup(async () => result('no action'));
    const { stored, out } = await scan();
    if (!out.ok) throw new Error('refused');
    expect(await body(out.ref)).toBe(
      'X-Spam-Status: No, score=7.25 required=15.00\r\nX-Spam-Score: 7.25\r\nX-Spam-Action: no action\r\n' +
        `X-Spam-Flag: NO\r\nX-Strato-Filtered: mx.test\r\n${MESSAGE}`,
    );
    expect(await gone(stored)).toBe(true);
  });

  it('add header: X-Spam-Flag YES; rewrite subject: the subject tagged too', async () => {
    const add = await setup(async () => result('add header')).scan();
    if (!add.out.ok) throw new Error('refused');
    expect(await body(add.out.ref)).toMatch(
      /^X-Spam-Status: Yes, score=7\.25 required=15\.00\r\n[\s\S]*X-Spam-Flag: YES\r\n/,
    );
    const rewrite = await setup(async () => result('rewrite subject')).scan();
    if (!rewrite.out.ok) throw new Error('refused');
    expect(await body(rewrite.out.ref)).toContain('Subject: ***SPAM*** hello\r\n');
  });

  it('reject → 550 5.7.1 with the reason; soft reject and greylist → 451 4.7.1; the body deleted', async () => {
    const rej = await setup(async () => result('reject', { reason: 'Gtube pattern' })).scan();
    expect(rej.out).toMatchObject({ ok: false, reason: 'spam', reply: { code: 550, enhanced: '5.7.1' } });
    expect(!rej.out.ok && rej.out.reply.text).toContain('Gtube pattern');
    expect(await gone(rej.stored)).toBe(true);
    for (const action of ['soft reject', 'greylist'] as const) {
      const soft = await setup(async () => result(action)).scan();
      expect(soft.out).toMatchObject({ ok: false, reply: { code: 451, enhanced: '4.7.1' } });
      expect(await gone(soft.stored)).toBe(true);
    }
  });

  it('a failed scan: accept marks unchecked, tempfail answers 451 4.7.1', async () => {
    const fail = async (): Promise<FilterResult> => {
      throw new Error('ECONNREFUSED');
    };
    const accepted = await setup(fail, 'accept').scan();
    if (!accepted.out.ok) throw new Error('refused');
    expect(await body(accepted.out.ref)).toBe(
      `X-Spam-Status: unchecked\r\nX-Strato-Filtered: mx.test\r\n${MESSAGE}`,
    );
    const deferred = await setup(fail, 'tempfail').scan();
    expect(deferred.out).toMatchObject({ ok: false, reason: 'filter-unavailable', reply: { code: 451 } });
    expect(await gone(deferred.stored)).toBe(true);
  });

  it('once the breaker is open the filter is not asked', async () => {
    const s = setup(async () => {
      throw new Error('timeout');
    });
    await s.scan();
    await s.scan();
    expect(s.calls()).toBe(2);
    const third = await s.scan();
    expect(s.calls()).toBe(2);
    expect(third.out.ok).toBe(true);
  });
});
