import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NameEntry } from '../ports/directory.ts';
import { silentLogger } from '../ports/logger.ts';
import type { MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { parseHeaderBlock } from '../rules/headers.ts';
import { BUILTIN_SETTINGS } from '../settings/settings.ts';
import { acceptMessage } from './accept-message.ts';
import {
  allowedAs,
  type BindingDirectory,
  checkHeaderBinding,
  checkMailFromBinding,
  type SenderBinding,
  senderBindingFor,
  senderHeaderHook,
} from './sender-binding.ts';
import { parseTrustedNetworks } from './trusted-networks.ts';

const ALICE = 'alice@example.com';
const binding: SenderBinding = { account: ALICE, sendAs: ['sales@example.com', '@shop.example'] };

/** A directory with one alias of alice (in another domain) and one of bob. */
const directory: BindingDirectory = {
  async lookupName(address: string): Promise<NameEntry | undefined> {
    const aliases: Record<string, string> = { 'al@other.example': ALICE, 'b@example.com': 'bob@example.com' };
    const account = aliases[address];
    return account ? { kind: 'alias', alias: { address, account } } : undefined;
  },
};

const headers = (text: string) => ({ headers: parseHeaderBlock(text), truncated: false });

describe('allowedAs', () => {
  it('allows the account, its aliases and SendAs entries (addresses and @domain)', async () => {
    expect(await allowedAs(directory, binding, ALICE)).toBe('own');
    expect(await allowedAs(directory, binding, 'al@other.example')).toBe('alias');
    expect(await allowedAs(directory, binding, 'sales@example.com')).toBe('granted');
    expect(await allowedAs(directory, binding, 'anyone@shop.example')).toBe('granted');
  });

  it('refuses other accounts, other accounts’ aliases and subdomains of a granted domain', async () => {
    expect(await allowedAs(directory, binding, 'bob@example.com')).toBeUndefined();
    expect(await allowedAs(directory, binding, 'b@example.com')).toBeUndefined();
    expect(await allowedAs(directory, binding, 'x@sub.shop.example')).toBeUndefined();
  });
});

describe('checkMailFromBinding', () => {
  it('allows the null sender and owned addresses, refuses others with 553 5.7.1 naming both', async () => {
    expect(await checkMailFromBinding(directory, binding, '')).toBeUndefined();
    expect(await checkMailFromBinding(directory, binding, 'al@other.example')).toBeUndefined();
    expect(await checkMailFromBinding(directory, binding, 'bob@example.com')).toEqual({
      code: 553,
      enhanced: '5.7.1',
      text: `<bob@example.com>: sender address not owned by authenticated user ${ALICE}`,
    });
  });
});

describe('senderBindingFor', () => {
  const trusted = parseTrustedNetworks(['10.0.0.0/8']);
  if (!trusted.ok) throw new Error('bad test networks');
  const facts = { ip: '192.0.2.1', helo: 'h', esmtp: true, tls: true, requireAuth: true };
  const limits = { account: ALICE, maxMailOutSize: null, mailOutFlow: null, sendAs: ['@shop.example'] };

  it('binds authenticated sessions from untrusted addresses only', () => {
    expect(senderBindingFor({ ...facts, authUser: ALICE }, trusted.value, limits)).toEqual({
      account: ALICE,
      sendAs: ['@shop.example'],
    });
    expect(senderBindingFor(facts, trusted.value, undefined)).toBeUndefined();
    expect(
      senderBindingFor({ ...facts, ip: '10.1.2.3', authUser: ALICE }, trusted.value, limits),
    ).toBeUndefined();
    expect(senderBindingFor({ ...facts, authUser: ALICE }, trusted.value, undefined)).toEqual({
      account: ALICE,
      sendAs: [],
    });
  });
});

describe('checkHeaderBinding', () => {
  it('accepts the account or an alias in From without adding a Sender', async () => {
    expect(await checkHeaderBinding(directory, binding, headers(`From: Alice <${ALICE}>\r\n`))).toEqual({
      ok: true,
    });
    expect(await checkHeaderBinding(directory, binding, headers('From: <AL@other.example>\r\n'))).toEqual({
      ok: true,
    });
    // No From at all claims nothing.
    expect(await checkHeaderBinding(directory, binding, headers('Subject: x\r\n'))).toEqual({ ok: true });
  });

  it('adds Sender: <account> for a granted From or several From addresses', async () => {
    const add = `Sender: ${ALICE}\r\n`;
    expect(
      await checkHeaderBinding(directory, binding, headers('From: Sales <sales@example.com>\r\n')),
    ).toEqual({
      ok: true,
      add,
    });
    expect(
      await checkHeaderBinding(directory, binding, headers(`From: ${ALICE}, al@other.example\r\n`)),
    ).toEqual({ ok: true, add });
  });

  it('keeps an allowed Sender of the message instead of adding one', async () => {
    const seen = headers(`From: sales@example.com\r\nSender: ${ALICE}\r\n`);
    expect(await checkHeaderBinding(directory, binding, seen)).toEqual({ ok: true });
  });

  it('refuses any From or Sender address not owned, with 550 5.7.1 naming it', async () => {
    const refused = await checkHeaderBinding(
      directory,
      binding,
      headers(`From: ${ALICE}, Bob <bob@example.com>\r\n`),
    );
    expect(refused).toEqual({
      ok: false,
      reply: {
        code: 550,
        enhanced: '5.7.1',
        text: `From header address <bob@example.com> not owned by authenticated user ${ALICE}`,
      },
    });
    const sender = await checkHeaderBinding(
      directory,
      binding,
      headers(`From: ${ALICE}\r\nSender: b@example.com\r\n`),
    );
    expect(sender.ok ? '' : sender.reply.text).toMatch(/^Sender header address <b@example.com>/);
    const second = await checkHeaderBinding(
      directory,
      binding,
      headers(`From: ${ALICE}\r\nFrom: bob@example.com\r\n`),
    );
    expect(second.ok).toBe(false);
  });

  it('fails closed on a From without an address or one too long to read', async () => {
    const none = await checkHeaderBinding(directory, binding, headers('From: Bob\r\n'));
    expect(none.ok ? undefined : none.reply.code).toBe(550);
    const long = await checkHeaderBinding(directory, binding, { headers: [], truncated: true });
    expect(long.ok ? undefined : long.reply.enhanced).toBe('5.7.1');
  });
});

/** acceptMessage with the binding's hook over an in-memory store and queue. */
async function submit(message: string | (string | Buffer)[]) {
  const bodies = new Map<string, string>();
  const jobs: QueueJob[] = [];
  const messages = {
    async put(key: string, body: Readable): Promise<BodyRef> {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      bodies.set(key, text);
      return { key, size: text.length };
    },
    async delete() {},
  } as unknown as MessageStore;
  const queue = {
    async enqueue(batch: readonly QueueJob[]) {
      jobs.push(...batch);
    },
  } as unknown as MailQueue;
  const data = new PassThrough();
  setImmediate(() => {
    for (const part of Array.isArray(message) ? message : [message]) data.write(part);
    data.end();
  });
  const result = await acceptMessage(
    { messages, queue, clock: { now: () => 0 }, logger: silentLogger, newId: () => 'Q1' },
    {
      session: { ip: '192.0.2.1', helo: 'c', esmtp: true, tls: true, requireAuth: true, authUser: ALICE },
      hostname: 'mx.test',
      frontendId: 'fe-1',
      mailFrom: ALICE,
      recipients: [{ original: 'x@example.net', route: { kind: 'external', address: 'x@example.net' } }],
      maxMessageSize: 1_000_000,
      headerHook: senderHeaderHook(directory, binding),
    },
    data,
  );
  return { result, body: bodies.get('Q1'), jobs };
}

describe('the header hook in intake', () => {
  it('refuses a forged From after the whole message, storing and queueing nothing', async () => {
    const { result, body, jobs } = await submit(['From: bob@exa', 'mple.com\r\nSubject: x\r\n\r\nbody\r\n']);
    expect(result).toMatchObject({ ok: false, reason: 'rejected', reply: { code: 550, enhanced: '5.7.1' } });
    expect(body).toBeUndefined();
    expect(jobs).toEqual([]);
  });

  it('finds a From after a large header section', async () => {
    const filler = `X-Filler: ${'y'.repeat(100)}\r\n`.repeat(2000);
    const { result } = await submit(`${filler}From: bob@example.com\r\n\r\nbody\r\n`);
    expect(result.ok).toBe(false);
  });

  it('inserts Sender before the empty line that ends the header section, and stores the rest unchanged', async () => {
    const { result, body, jobs } = await submit([
      'From: sales@example.com\r\nSubj',
      'ect: x\r\n\r\nbody\r\n',
    ]);
    expect(result.ok).toBe(true);
    expect(jobs).toHaveLength(1);
    expect(body).toMatch(
      new RegExp(
        `\\(authenticated as ${ALICE}\\)[\\s\\S]*\r\nFrom: sales@example.com\r\nSubject: x\r\nSender: ${ALICE}\r\n\r\nbody\r\n$`,
      ),
    );
  });

  it('adds Sender at the end of a message that is all header', async () => {
    const { body } = await submit('From: sales@example.com\r\nSubject: x');
    expect(body).toMatch(new RegExp(`\r\nFrom: sales@example.com\r\nSubject: x\r\nSender: ${ALICE}\r\n$`));
  });

  it('reads a UTF-8 From (SMTPUTF8) as UTF-8, split anywhere', async () => {
    const utf8 = Buffer.from('From: Jörg <jörg@shop.example>\r\n\r\nbody\r\n', 'utf8');
    const cut = utf8.indexOf(0xc3) + 1; // inside the two bytes of ö
    const { result, body } = await submit([utf8.subarray(0, cut), utf8.subarray(cut)]);
    expect(result.ok).toBe(true);
    expect(body).toContain(`From: Jörg <jörg@shop.example>\r\nSender: ${ALICE}\r\n\r\n`);
    const forged = await submit('From: Jörg <jörg@example.com>\r\n\r\nbody\r\n');
    expect(forged.result.ok ? '' : forged.result.reply.text).toContain('<jörg@example.com>');
  });

  it('leaves a message with the account in From as it was', async () => {
    const { body } = await submit(`From: ${ALICE}\r\n\r\nbody\r\n`);
    expect(body).toMatch(new RegExp(`ESMTPSA id Q1[\\s\\S]*\r\nFrom: ${ALICE}\r\n\r\nbody\r\n$`));
    expect(body).not.toContain('Sender:');
  });
});

it('BUILTIN SendAs grants nothing', () => expect(BUILTIN_SETTINGS.SendAs).toEqual([]));
