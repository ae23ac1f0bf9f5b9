/**
 * Abuse limits end to end, on a real `npm start` cluster with two frontend worker processes and
 * low limits set through the environment. Each case connects from its own loopback address
 * (127.0.0.x; all of 127/8 is loopback on Linux) so the per-address counts of one case cannot
 * touch another. Shown across both workers (greetingPid / the log's pid): the AUTH lockout per
 * account and per address, and the per-address session cap; then the MX message and recipient
 * rates, the tarpit and the invalid-recipient, unknown-command, command-count and session-length
 * limits of one session (unknown, malformed and out-of-sequence commands alike), and the
 * trusted-network exemption.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, greetingPid, type RunningProcess, startProcess } from '../support/cluster.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';

const DEMO = 'demo.strato.test';
const ALICE = `alice@${DEMO}`;
const BOB = `bob@${DEMO}`;
const SESSION_SECONDS = 10;
const TRUSTED = '127.0.0.99';

let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_TRUSTED_NETWORKS: `${TRUSTED}/32`,
      STRATO_AUTH_FAILURES_PER_ACCOUNT: '3',
      STRATO_AUTH_FAILURES_PER_IP: '5',
      STRATO_AUTH_FAILURE_WINDOW_SECONDS: '3600',
      STRATO_SESSIONS_PER_IP: '3',
      STRATO_MESSAGES_PER_IP: '2',
      STRATO_RECIPIENTS_PER_IP: '3',
      STRATO_RATE_WINDOW_SECONDS: '3600',
      STRATO_SESSION_INVALID_RECIPIENTS: '3',
      STRATO_SESSION_BAD_COMMANDS: '3',
      STRATO_SESSION_COMMANDS: '12',
      STRATO_SESSION_SECONDS: String(SESSION_SECONDS),
      STRATO_TARPIT_STEP_MS: '300',
      STRATO_TARPIT_MAX_MS: '600',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

interface Session {
  readonly c: RawSmtp;
  readonly greeting: string;
  readonly pid: number | undefined;
}

async function open(port: number, from: string, opts: { tls?: boolean } = {}): Promise<Session> {
  const c = await RawSmtp.connect(port, { localAddress: from, ...opts });
  const greeting = (await c.read()).last;
  return { c, greeting, pid: greetingPid(greeting) };
}

/** An implicit-TLS session greeted by a worker (other than `not`, when given), after EHLO. */
async function smtpsOn(from: string, not?: number): Promise<Session> {
  for (let i = 0; i < 20; i++) {
    const s = await open(cluster.ports.smtps, from, { tls: true });
    if (s.pid !== undefined && s.pid !== not) {
      await s.c.command('EHLO client.test');
      return s;
    }
    await s.c.command('QUIT');
    s.c.close();
  }
  throw new Error('no session on another frontend worker');
}

const auth = (s: Session, user: string, password: string) =>
  s.c.command(`AUTH PLAIN ${plainAuth(user, password)}`).then((r) => r.last);

const FAILED = '535 5.7.8 Authentication credentials invalid';
const accountLocked =
  '454 4.7.0 Too many failed authentication attempts for this account (limit 3 per 3600 seconds), try again later';

describe('AUTH lockout (cluster-wide)', () => {
  it('locks an account after 3 failures on one worker: the right password gets 454 on the other', async () => {
    const a = await smtpsOn('127.0.0.2');
    const replies = [
      await auth(a, ALICE, 'wrong-1'),
      await auth(a, ALICE, 'wrong-2'),
      await auth(a, ALICE, 'x'),
    ];
    expect(replies).toEqual([FAILED, FAILED, FAILED]);
    // Another client address, the other worker, the right password: still locked.
    const b = await smtpsOn('127.0.0.3', a.pid);
    expect(b.pid).not.toBe(a.pid);
    expect(await auth(b, ALICE, 'alice-demo-password')).toBe(accountLocked);
    const locked = await cluster.waitForLog((l) => l.event === 'smtp.auth_locked' && l.user === ALICE);
    expect(locked).toMatchObject({ scope: 'account', limit: 3, ip: '127.0.0.2', pid: a.pid });
    a.c.close();
    b.c.close();
  });

  it('answers an unknown user exactly like a known one, before and after the lockout', async () => {
    const s = await smtpsOn('127.0.0.4');
    const nobody = `nobody@${DEMO}`;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await auth(s, nobody, `guess-${i}`));
    expect(replies).toEqual([FAILED, FAILED, FAILED, accountLocked]);
    s.c.close();
  });

  it('locks a client address after 5 failures whatever the names, on every worker and on submission', async () => {
    const a = await smtpsOn('127.0.0.5');
    for (const name of ['n1', 'n2', 'n3', 'n4', 'n5'])
      expect(await auth(a, `${name}@${DEMO}`, 'pw')).toBe(FAILED);
    const b = await smtpsOn('127.0.0.5', a.pid);
    expect(await auth(b, BOB, 'bob-demo-password')).toBe(
      '454 4.7.0 Too many failed authentication attempts for this address (limit 5 per 3600 seconds), try again later',
    );
    a.c.close();
    b.c.close();
    // The same on submission (after STARTTLS).
    const sub = await open(cluster.ports.submission, '127.0.0.5');
    await sub.c.command('EHLO client.test');
    expect((await sub.c.startTls()).code).toBe(220);
    await sub.c.command('EHLO client.test');
    expect(await auth(sub, BOB, 'bob-demo-password')).toMatch(/^454 4\.7\.0 .*for this address \(limit 5 /);
    sub.c.close();
    // Bob's account is not locked: from another address the right password works.
    const c = await smtpsOn('127.0.0.6');
    expect(await auth(c, BOB, 'bob-demo-password')).toMatch(/^235 /);
    c.c.close();
  });
});

describe('concurrent sessions per client address (cluster-wide)', () => {
  it('refuses a 4th session from one address with 421 4.7.0 on either worker, and admits one again after a close', async () => {
    const from = '127.0.0.7';
    const held = [
      await open(cluster.ports.mx, from),
      await open(cluster.ports.mx, from),
      await open(cluster.ports.mx, from),
    ];
    expect(held.every((s) => s.greeting.startsWith('220 '))).toBe(true);
    // The three sessions sit on both workers, so each worker's count includes the other's.
    expect(new Set(held.map((s) => s.pid)).size).toBe(2);
    const refused = '421 4.7.0 Too many concurrent sessions from your address (limit 3), try again later';
    const refusingPids = new Set<number>();
    for (let i = 0; i < 10 && refusingPids.size < 2; i++) {
      const before = new Set(cluster.logs);
      const extra = await open(cluster.ports.mx, from);
      expect(extra.greeting).toBe(refused);
      await extra.c.waitClosed();
      const line = await cluster.waitForLog(
        (l) => l.event === 'smtp.session_limit' && l.ip === from && !before.has(l),
      );
      refusingPids.add(line.pid as number);
    }
    expect(refusingPids.size).toBe(2);
    // Another address is not affected; the trusted network is exempt.
    const other = await open(cluster.ports.mx, '127.0.0.8');
    expect(other.greeting).toMatch(/^220 /);
    other.c.close();
    const trusted = [];
    for (let i = 0; i < 5; i++) trusted.push(await open(cluster.ports.mx, TRUSTED));
    expect(trusted.map((s) => s.greeting.slice(0, 4))).toEqual(['220 ', '220 ', '220 ', '220 ', '220 ']);
    for (const s of trusted) s.c.close();
    // A closed session stops counting.
    await held[0]!.c.command('QUIT');
    held[0]!.c.close();
    const again = await eventually(async () => {
      const s = await open(cluster.ports.mx, from);
      if (s.greeting.startsWith('220 ')) return s;
      s.c.close();
      return undefined;
    });
    expect(again.greeting).toMatch(/^220 /);
    for (const s of [...held.slice(1), again]) s.c.close();
  });
});

describe('MX rates per client address', () => {
  it('refuses a 3rd transaction and a 4th recipient in the window with 450 4.7.1 naming the limit', async () => {
    const s = await open(cluster.ports.mx, '127.0.0.9');
    await s.c.command('EHLO client.test');
    expect((await s.c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await s.c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await s.c.command(`RCPT TO:<${BOB}>`)).code).toBe(250);
    expect((await s.c.command('RSET')).code).toBe(250);
    expect((await s.c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await s.c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await s.c.command(`RCPT TO:<${BOB}>`)).last).toBe(
      '450 4.7.1 Too many recipients from your address (limit 3 per 3600 seconds), try again later',
    );
    expect((await s.c.command('RSET')).code).toBe(250);
    expect((await s.c.command('MAIL FROM:<sender@example.org>')).last).toBe(
      '450 4.7.1 Too many messages from your address (limit 2 per 3600 seconds), try again later',
    );
    s.c.close();
  });
});

describe('per-session limits', () => {
  it('delays each invalid recipient longer (the tarpit), then answers 421 4.7.0 and closes', async () => {
    const s = await open(cluster.ports.mx, '127.0.0.10');
    await s.c.command('EHLO client.test');
    await s.c.command('MAIL FROM:<sender@example.org>');
    const timed = async (line: string) => {
      const started = performance.now();
      const reply = await s.c.command(line);
      return { last: reply.last, ms: performance.now() - started };
    };
    const answers = [];
    for (const name of ['x1', 'x2', 'x3', 'x4']) answers.push(await timed(`RCPT TO:<${name}@${DEMO}>`));
    expect(answers.slice(0, 3).map((a) => a.last)).toEqual([
      `550 5.1.1 <x1@${DEMO}>: Recipient address rejected: no such user`,
      `550 5.1.1 <x2@${DEMO}>: Recipient address rejected: no such user`,
      `550 5.1.1 <x3@${DEMO}>: Recipient address rejected: no such user`,
    ]);
    expect(answers[3]!.last).toBe(
      '421 4.7.0 Too many invalid recipients in this session (limit 3), closing connection',
    );
    // Tarpit 0, 300, 600, 600 ms: timers never fire early, so only lower bounds are asserted.
    expect(answers[1]!.ms).toBeGreaterThanOrEqual(290);
    expect(answers[2]!.ms).toBeGreaterThanOrEqual(590);
    expect(answers[3]!.ms).toBeGreaterThanOrEqual(590);
    await s.c.waitClosed();
  });

  it('answers 421 4.7.0 after too many unknown or bad commands, keeping pipelined replies in order', async () => {
    const s = await open(cluster.ports.mx, '127.0.0.11');
    // FOO: unknown (no wait); RCPT before MAIL: 503 (300 ms); BAZ: unknown (600 ms); QUX: the 4th.
    s.c.write('EHLO client.test\r\nFOO\r\nNOOP\r\nRCPT TO:<x@example.org>\r\nNOOP\r\nBAZ\r\nQUX\r\n');
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await s.c.read());
    expect(replies.map((r) => r.code)).toEqual([250, 500, 250, 503, 250, 500, 421]);
    expect(replies[6]!.last).toBe(
      '421 4.7.0 Too many unknown or bad commands in this session (limit 3), closing connection',
    );
    await s.c.waitClosed();
  });

  it('answers 421 4.7.0 after too many commands (an endless NOOP session ends)', async () => {
    const s = await open(cluster.ports.mx, '127.0.0.12');
    expect((await s.c.command('EHLO client.test')).code).toBe(250);
    for (let i = 0; i < 11; i++) expect((await s.c.command('NOOP')).code).toBe(250);
    expect((await s.c.command('NOOP')).last).toBe(
      '421 4.7.0 Too many commands in this session (limit 12), closing connection',
    );
    await s.c.waitClosed();
  });

  it('ends a session older than the limit with 421 4.7.0, even one that sends nothing', async () => {
    const s = await open(cluster.ports.mx, '127.0.0.13');
    expect((await s.c.command('EHLO client.test')).code).toBe(250);
    const reply = await s.c.read((SESSION_SECONDS + 5) * 1000);
    expect(reply.last).toBe(
      `421 4.7.0 Session longer than ${SESSION_SECONDS} seconds (the limit), closing connection`,
    );
    await s.c.waitClosed();
  });
});
