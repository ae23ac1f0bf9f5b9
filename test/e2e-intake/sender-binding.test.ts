/**
 * Sender binding on a running local cluster (two frontend workers, queue processing on, two
 * backends), over real sockets: an authenticated user may use as MAIL FROM and header From only
 * its own address, its aliases and what SendAs grants (set through the real CLI, per account and
 * per domain); a forged MAIL FROM gets 553 5.7.1, a forged header From 550 5.7.1 at the end of
 * DATA with nothing queued or delivered; a granted From gets `Sender:`, and the Received header
 * names the authenticated account. Unauthenticated MX mail is not bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strato } from '../e2e-cli/run-cli.ts';
import {
  addAccounts,
  at,
  DEMO,
  folder,
  messageText,
  send,
  startRulesCluster,
  submission,
  waitDrained,
  waitFolder,
  withStorage,
} from '../e2e-rules/support.ts';
import type { RunningProcess } from '../support/cluster.ts';

const ALICE = at('alice');
const BOB = at('bob');
const CAROL = at('carol');
const ALIAS = at('alice.alias');
let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startRulesCluster({ STRATO_FRONTEND_WORKERS: '2' });
  await addAccounts(cluster.dataDir, ['carol']);
  await withStorage(cluster.dataDir, (s) => s.directory.addAlias({ address: ALIAS, account: ALICE }));
  // Grants through the CLI, before any session reads the accounts (the frontends cache the directory).
  const cli = (...args: string[]) => strato(cluster.dataDir, args);
  expect((await cli('account', 'set', ALICE, 'SendAs', '@granted.example')).code).toBe(0);
  expect((await cli('domain', 'set', DEMO, 'SendAs', `noreply@${DEMO}`)).code).toBe(0);
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

type Session = Awaited<ReturnType<typeof submission>>;

/** One transaction to carol (header From: <from>); the first refusal or the final reply. */
async function transaction(s: Session, mailFrom: string, headers: { from: string; extra?: string }) {
  const mail = await s.c.command(`MAIL FROM:<${mailFrom}>`);
  if (mail.code !== 250) return mail.last;
  expect((await s.c.command(`RCPT TO:<${CAROL}>`)).code).toBe(250);
  expect((await s.c.command('DATA')).code).toBe(354);
  const subject = `binding ${Math.random().toString(36).slice(2)}`;
  const text = messageText({
    from: headers.from,
    to: [CAROL],
    subject,
    ...(headers.extra ? { headers: headers.extra } : {}),
  });
  return (await s.c.command(`${text}.`)).last;
}

async function asUser<T>(user: string, password: string, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await submission(cluster.ports.submission, user, password);
  try {
    return await fn(s);
  } finally {
    s.c.close();
  }
}
const asAlice = <T>(fn: (s: Session) => Promise<T>) => asUser(ALICE, 'alice-demo-password', fn);

/** Carol's INBOX once `count` messages are in and the queue is empty. */
async function carolInbox(count: number) {
  await waitFolder(cluster.dataDir, CAROL, count);
  await waitDrained(cluster.dataDir);
  return folder(cluster.dataDir, CAROL);
}

describe('sender binding on submission', () => {
  it('refuses another account as MAIL FROM with 553 5.7.1 naming the address and the user', async () => {
    const reply = await asAlice((s) => transaction(s, BOB, { from: BOB }));
    expect(reply).toBe(`553 5.7.1 <${BOB}>: sender address not owned by authenticated user ${ALICE}`);
    // The domain's grant (noreply@) is overridden by alice's own SendAs: refused too.
    const domainGrant = await asAlice((s) => transaction(s, `noreply@${DEMO}`, { from: ALICE }));
    expect(domainGrant).toMatch(/^553 5\.7\.1 /);
  });

  it('refuses a forged header From with 550 5.7.1 at the end of DATA; nothing queued or delivered', async () => {
    const results = await asAlice(async (s) => {
      const forged = await transaction(s, ALICE, { from: BOB });
      // Nothing was accepted before in this cluster: the refused message left no job behind.
      expect(await withStorage(cluster.dataDir, (st) => st.queue.list())).toEqual([]);
      // The session goes on: the null sender and the account's own From are accepted.
      const own = await transaction(s, '', { from: ALICE });
      return { forged, own };
    });
    expect(results.forged).toBe(
      `550 5.7.1 From header address <${BOB}> not owned by authenticated user ${ALICE}`,
    );
    expect(results.own).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const inbox = await carolInbox(1);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.body).toContain(`From: <${ALICE}>`);
    expect(inbox[0]!.body).not.toContain(BOB);
    const refused = cluster.logs.filter(
      (l) => l.event === 'smtp.rejected' && l.stage === 'DATA' && l.code === 550 && l.user === ALICE,
    );
    expect(refused).toHaveLength(1);
  });

  it('accepts an own alias without Sender, and names the account in Received (ESMTPSA)', async () => {
    expect(await asAlice((s) => transaction(s, ALIAS, { from: ALIAS }))).toMatch(/^250 /);
    const mine = (await carolInbox(2)).find((m) => m.body.includes(`From: <${ALIAS}>`));
    expect(mine?.body).toMatch(
      new RegExp(
        `(?:^|\n)Received: from client\\.example\\.org \\(\\[127\\.0\\.0\\.1\\]\\)\r\n\t\\(authenticated as ${ALICE}\\)\r\n\tby \\S+ \\(Strato\\) with ESMTPSA id `,
      ),
    );
    expect(mine?.body).not.toMatch(/^Sender:/m);
  });

  it('accepts a granted address (SendAs set with the CLI) and adds Sender: <account>', async () => {
    const reply = await asAlice((s) =>
      transaction(s, 'team@granted.example', { from: 'team@granted.example' }),
    );
    expect(reply).toMatch(/^250 /);
    const mine = (await carolInbox(3)).find((m) => m.body.includes('team@granted.example'));
    expect(mine?.body).toMatch(new RegExp(`\r\nSender: ${ALICE}\r\n\r\n`));
    expect(mine?.body).toContain(`(authenticated as ${ALICE})`);
    // Bob inherits the domain's grant.
    const bob = await asUser(BOB, 'bob-demo-password', (s) =>
      transaction(s, `noreply@${DEMO}`, { from: `noreply@${DEMO}` }),
    );
    expect(bob).toMatch(/^250 /);
    const fromBob = (await carolInbox(4)).find((m) => m.body.includes(`<noreply@${DEMO}>`));
    expect(fromBob?.body).toMatch(new RegExp(`\r\nSender: ${BOB}\r\n\r\n`));
  });

  it('refuses a bad SendAs value with a clear CLI error (exit 2), storing nothing', async () => {
    const bad = await strato(cluster.dataDir, ['account', 'set', ALICE, 'SendAs', 'sales@x.example,bob']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid value "sales@x.example,bob" for SendAs');
    expect(bad.stderr).toContain('"bob": address must be local@domain');
    const show = JSON.parse((await strato(cluster.dataDir, ['--json', 'account', 'show', ALICE])).stdout);
    expect(JSON.stringify(show)).toContain('@granted.example');
  });
});

describe('unauthenticated MX mail', () => {
  it('is not bound: any From is accepted for local recipients and delivered unchanged', async () => {
    const reply = await send(cluster.ports.mx, { from: BOB, to: [CAROL], subject: 'from outside as bob' });
    expect(reply).toMatch(/^250 /);
    const inbox = await carolInbox(5);
    const mine = inbox.find((m) => m.body.includes('from outside as bob'));
    expect(mine?.body).toContain(`From: <${BOB}>`);
    expect(mine?.body).not.toContain('authenticated as');
    expect(mine?.body).not.toMatch(/^Sender:/m);
  });
});
