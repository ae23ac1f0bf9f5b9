/**
 * Protocol strictness end to end against a real `npm start` cluster (two frontend workers, the
 * seeded demo domain, small header limits set through the environment, STRATO_POSTMASTER left
 * unset so the local cluster's own default applies): header limits answered 552 5.3.4 naming the
 * limit with nothing queued; non-ASCII addresses without SMTPUTF8 answered 553 5.6.7; IDN domains
 * (added in U-label and in A-label form with the CLI) taking mail addressed in either form; the
 * longest legal path (256 octets) accepted and one octet more refused naming the limit;
 * postmaster accepted bare and at a hosted domain. Accepted mail is read back from the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strato } from '../e2e-cli/run-cli.ts';
import { findQueued, queuedId, type RunningProcess, readQueue, startProcess } from '../support/cluster.ts';
import { ALICE, DEMO } from '../support/delivery.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

const LIMITS = { field: 2048, section: 8192, fields: 50 };

let cluster: RunningProcess;

/** A 64-octet local part at a 189-octet domain: local@domain is 254 octets, the path 256. */
const LONG_LOCAL = 'l'.repeat(64);
const LONG_DOMAIN = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(56)}.test`;

async function cli(args: string[]): Promise<string> {
  const r = await strato(cluster.dataDir, args);
  if (r.code !== 0) throw new Error(`strato ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_MAX_HEADER_FIELD_SIZE: String(LIMITS.field),
      STRATO_MAX_HEADER_SIZE: String(LIMITS.section),
      STRATO_MAX_HEADER_FIELDS: String(LIMITS.fields),
    },
  });
  // The frontends read the directory per RCPT: names added now are seen at once.
  await cli(['domain', 'add', 'Bücher.Example']); // U-label given, stored as xn--bcher-kva.example
  await cli(['account', 'add', 'leser@bücher.example']);
  await cli(['domain', 'add', 'xn--caf-dma.example']); // A-label given (café.example)
  await cli(['account', 'add', 'gast@xn--caf-dma.example']);
  await cli(['domain', 'add', LONG_DOMAIN]);
  await cli(['account', 'add', `${LONG_LOCAL}@${LONG_DOMAIN}`]);
  await cli(['domain', 'add', 'nopm.example']); // no postmaster of its own
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

async function mx() {
  const c = await RawSmtp.connect(cluster.ports.mx);
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.test')).code).toBe(250);
  return c;
}

/** One message in an open session; the reply to the end of DATA. */
async function send(c: RawSmtp, from: string, to: readonly string[], message: string, mailArgs = '') {
  expect((await c.command(`MAIL FROM:<${from}>${mailArgs}`)).code).toBe(250);
  for (const rcpt of to) expect((await c.command(`RCPT TO:<${rcpt}>`)).last).toBe('250 2.1.5 Accepted');
  expect((await c.command('DATA')).code).toBe(354);
  return c.command(`${message}\r\n.`);
}

/** The addresses a queued message will be delivered to. */
async function deliveredTo(reply: string): Promise<string[]> {
  const id = queuedId(reply);
  expect(id, reply).toBeDefined();
  const queued = await findQueued(cluster.dataDir, id!);
  return queued!.job.envelope.recipients.map((r) => r.address);
}

describe('header limits', () => {
  it('answer 552 5.3.4 naming the limit at the end of DATA, queue nothing, and leave the session usable', async () => {
    const before = (await readQueue(cluster.dataDir)).length;
    const c = await mx();
    const cases: [string, string][] = [
      [`X-Big: ${'x'.repeat(LIMITS.field)}\r\n`, `limit ${LIMITS.field} bytes per field`],
      [
        Array.from({ length: LIMITS.fields + 1 }, (_, i) => `X-N${i}: ${i}\r\n`).join(''),
        `limit ${LIMITS.fields} fields`,
      ],
      [
        Array.from({ length: 6 }, (_, i) => `X-S${i}: ${'s'.repeat(1500)}\r\n`).join(''),
        `limit ${LIMITS.section} bytes`,
      ],
    ];
    for (const [headers, named] of cases) {
      const reply = await send(c, 'sender@example.org', [ALICE], `${headers}Subject: big\r\n\r\nbody\r\n`);
      expect(reply.code).toBe(552);
      expect(reply.last).toMatch(/^552 5\.3\.4 /);
      expect(reply.last).toContain(named);
    }
    // A folded field under the limit, in a body of any size, is fine.
    const ok = await send(
      c,
      'sender@example.org',
      [ALICE],
      `Subject: fine\r\n ${'f'.repeat(1000)}\r\n\r\n${'b'.repeat(50_000)}\r\n`,
    );
    expect(ok.code).toBe(250);
    c.close();
    expect((await readQueue(cluster.dataDir)).length).toBe(before + 1);
  });
});

describe('SMTPUTF8', () => {
  it('refuses non-ASCII addresses without SMTPUTF8 with 553 5.6.7 and takes them with it', async () => {
    const c = await mx();
    expect((await c.command('MAIL FROM:<josé@example.org>')).last).toMatch(/^553 5\.6\.7 /);
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command('RCPT TO:<leser@bücher.example>')).last).toMatch(/^553 5\.6\.7 .*SMTPUTF8/);
    expect((await c.command('RSET')).code).toBe(250);
    const reply = await send(c, 'josé@example.org', [ALICE], 'Subject: utf8\r\n\r\nhi\r\n', ' SMTPUTF8');
    expect(await deliveredTo(reply.last)).toEqual([ALICE]);
    c.close();
  });
});

describe('IDN domains', () => {
  it('take mail addressed in A-label and in U-label form, whichever form the domain was added in', async () => {
    const c = await mx();
    const ascii = await send(
      c,
      'sender@example.org',
      ['leser@xn--bcher-kva.example', 'gast@xn--caf-dma.example'],
      'Subject: a\r\n\r\nhi\r\n',
    );
    expect(await deliveredTo(ascii.last)).toEqual([
      'leser@xn--bcher-kva.example',
      'gast@xn--caf-dma.example',
    ]);
    const unicode = await send(
      c,
      'sender@example.org',
      ['leser@Bücher.example', 'gast@café.example'],
      'Subject: u\r\n\r\nhi\r\n',
      ' SMTPUTF8',
    );
    expect(await deliveredTo(unicode.last)).toEqual([
      'leser@xn--bcher-kva.example',
      'gast@xn--caf-dma.example',
    ]);
    c.close();
  });
});

describe('path length', () => {
  it('accepts the longest legal path (256 octets) as sender and recipient; one octet more is refused naming the limit', async () => {
    const longest = `${LONG_LOCAL}@${LONG_DOMAIN}`;
    expect(`<${longest}>`.length).toBe(256);
    const c = await mx();
    const reply = await send(c, longest, [longest], 'Subject: long path\r\n\r\nhi\r\n');
    expect(await deliveredTo(reply.last)).toEqual([longest]);
    const tooLong = `${LONG_LOCAL}@${LONG_DOMAIN}x`; // ".testx": 257 octets with the brackets
    expect((await c.command(`MAIL FROM:<${tooLong}>`)).last).toBe(
      '501 5.1.7 Bad sender address: path longer than 256 octets',
    );
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${tooLong}>`)).last).toBe(
      '501 5.1.3 Bad recipient address: path longer than 256 octets',
    );
    expect((await c.command(`RCPT TO:<${'l'.repeat(65)}@${DEMO}>`)).last).toBe(
      '501 5.1.3 Bad recipient address: local part longer than 64 octets',
    );
    c.close();
  });
});

describe('postmaster', () => {
  it('is accepted bare and at every hosted domain on the local cluster without any setting', async () => {
    const c = await mx();
    const reply = await send(
      c,
      'sender@example.org',
      ['postmaster', `postmaster@${DEMO}`, 'postmaster@nopm.example', 'postmaster@bücher.example'],
      'Subject: to the postmasters\r\n\r\nhello\r\n',
      ' SMTPUTF8',
    );
    // npm start: STRATO_POSTMASTER defaults to the demo's alice, the demo domain's own target too.
    expect(await deliveredTo(reply.last)).toEqual([ALICE]);
    c.close();
  });

  it("goes to the domain's own postmaster target once one is set", async () => {
    await cli(['domain', 'set', 'nopm.example', 'postmaster', 'leser@xn--bcher-kva.example']);
    const c = await mx();
    const reply = await send(
      c,
      'sender@example.org',
      ['postmaster@nopm.example'],
      'Subject: pm\r\n\r\nhi\r\n',
    );
    expect(await deliveredTo(reply.last)).toEqual(['leser@xn--bcher-kva.example']);
    c.close();
  });
});
