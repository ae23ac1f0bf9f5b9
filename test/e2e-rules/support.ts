/**
 * Helpers for the rules end-to-end tests: a local cluster with queue processing on and compressed
 * timers, directory and rule set writes through the real embedded adapters while it runs, SMTP
 * sending (plain MX, or STARTTLS + AUTH on submission), and read-back of folders, captured
 * outbound mail and the queue. Every wait polls with a deadline instead of sleeping blindly.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { type EmbeddedStorage, openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { RuleSetRef } from '../../core/ports/rule-store.ts';
import type { Rule } from '../../core/rules/index.ts';
import { eventually, type RunningProcess, startProcess } from '../support/cluster.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';

export const DEMO = 'demo.strato.test';
export const at = (name: string) => `${name}@${DEMO}`;

/** Delivery on, every timer compressed (leases 3 s, visibility 3 s, retries after 1 s then 2 s). */
export const FAST_ENV: Readonly<Record<string, string>> = {
  STRATO_QUEUE_PROCESSING: 'true',
  STRATO_LEASE_TTL_MS: '3000',
  STRATO_HEARTBEAT_MS: '500',
  STRATO_QUEUE_VISIBILITY_SECONDS: '3',
  STRATO_QUEUE_POLL_WAIT_MS: '100',
  STRATO_RETRY_FIRST_SECONDS: '1',
  STRATO_RETRY_MAX_SECONDS: '2',
  STRATO_SRS_SECRET: 'e2e-rules-srs-secret-0123456789',
};

export function startRulesCluster(env: Record<string, string> = {}): Promise<RunningProcess> {
  return startProcess({ entry: 'cluster', env: { ...FAST_ENV, ...env } });
}

export async function withStorage<T>(dataDir: string, fn: (s: EmbeddedStorage) => Promise<T>): Promise<T> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

export async function addAccounts(dataDir: string, names: readonly string[]): Promise<void> {
  await withStorage(dataDir, async (s) => {
    for (const name of names) {
      await s.directory.addAccount({
        address: at(name),
        domain: DEMO,
        name,
        settings: {},
        createdAt: Date.now(),
      });
    }
  });
}

export function setRules(dataDir: string, ref: RuleSetRef, rules: readonly unknown[]): Promise<void> {
  return withStorage(dataDir, (s) => s.rules.set(ref, rules as Rule[]));
}

export const accountRules = (dataDir: string, name: string, rules: readonly unknown[]) =>
  setRules(dataDir, { kind: 'account', address: at(name) }, rules);

export interface Outgoing {
  readonly from?: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** Extra header lines (CRLF-terminated) before Subject. */
  readonly headers?: string;
  /** The To header's value; default the envelope recipients (a different one makes them Bcc). */
  readonly toHeader?: string;
  readonly body?: string;
}

export function messageText(m: Outgoing): string {
  const from = m.from ? `<${m.from}>` : '<sender@example.org>';
  return (
    `From: ${from}\r\nTo: ${m.toHeader ?? m.to.map((a) => `<${a}>`).join(', ')}\r\n${m.headers ?? ''}` +
    `Subject: ${m.subject}\r\nMessage-ID: <${m.subject.replace(/\W+/g, '.')}@example.org>\r\n\r\n${m.body ?? `body of ${m.subject}`}\r\n`
  );
}

/** One transaction over a fresh MX connection; answers the final reply line (or the first refusal). */
export async function send(port: number, m: Outgoing): Promise<string> {
  const c = await RawSmtp.connect(port);
  try {
    await c.read();
    await c.command('EHLO client.example.org');
    const mail = await c.command(`MAIL FROM:<${m.from ?? 'sender@example.org'}>`);
    if (mail.code !== 250) return mail.last;
    for (const rcpt of m.to) {
      const r = await c.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r.last;
    }
    const data = await c.command('DATA');
    if (data.code !== 354) return data.last;
    return (await c.command(`${messageText(m)}.`)).last;
  } finally {
    c.close();
  }
}

/** A submission session: STARTTLS, AUTH PLAIN; `greeting` names the frontend worker (fe-<pid>@). */
export async function submission(port: number, user: string, password: string) {
  const c = await RawSmtp.connect(port);
  const greeting = (await c.read()).last;
  await c.command('EHLO client.example.org');
  await c.startTls();
  await c.command('EHLO client.example.org');
  const auth = await c.command(`AUTH PLAIN ${plainAuth(user, password)}`);
  if (auth.code !== 235) throw new Error(`AUTH: ${auth.last}`);
  return { c, greeting };
}

export interface Stored {
  readonly flags: readonly string[];
  readonly body: string;
  readonly deliveryKey: string;
}

export function folder(dataDir: string, account: string, name = 'INBOX'): Promise<Stored[]> {
  return withStorage(dataDir, async (s) => {
    const out: Stored[] = [];
    for (const m of await s.mailboxes.list(account, name)) {
      const stream = await s.mailboxes.read(account, name, m.uid);
      out.push({ flags: m.flags, deliveryKey: m.deliveryKey, body: stream ? await text(stream) : '' });
    }
    return out;
  });
}

/** Wait until `account`'s folder holds at least `count` messages; answers them. */
export function waitFolder(dataDir: string, account: string, count: number, name = 'INBOX', ms = 15_000) {
  return eventually(
    async () => {
      const messages = await folder(dataDir, account, name);
      return messages.length >= count ? messages : undefined;
    },
    ms,
    `${count} message(s) in ${account} ${name}`,
  );
}

export interface Captured {
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly body: string;
}

/** Mail the capture relay wrote to <dataDir>/outbound (external recipients). */
export async function captured(dataDir: string): Promise<Captured[]> {
  const dir = join(dataDir, 'outbound');
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Captured[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const envelope = JSON.parse(await readFile(join(dir, name), 'utf8')) as Captured;
    const body = await readFile(join(dir, name.replace(/\.json$/, '.eml')), 'utf8');
    out.push({ mailFrom: envelope.mailFrom, recipients: envelope.recipients, body });
  }
  return out;
}

export function waitCaptured(dataDir: string, match: (c: Captured) => boolean, count = 1, ms = 15_000) {
  return eventually(
    async () => {
      const found = (await captured(dataDir)).filter(match);
      return found.length >= count ? found : undefined;
    },
    ms,
    `${count} captured message(s)`,
  );
}

/** Wait until the shared queue is empty (every job, generated ones included, has been processed). */
export function waitDrained(dataDir: string, ms = 15_000): Promise<true> {
  return eventually(
    async () => ((await withStorage(dataDir, (s) => s.queue.list())).length === 0 ? true : undefined),
    ms,
    'an empty queue',
  );
}

/** The frontend pid a greeting names ("… (fe-<pid>@host)"). */
export function workerOf(greeting: string): number | undefined {
  const m = /\(fe-(\d+)@/.exec(greeting);
  return m ? Number(m[1]) : undefined;
}

/**
 * `open` connections until two land on different frontend workers (the load balancer's choice);
 * answers one per worker. The others are closed.
 */
export async function onTwoWorkers<T extends { c: RawSmtp; greeting: string }>(
  open: () => Promise<T>,
  tries = 30,
): Promise<[T, T]> {
  const byWorker = new Map<number, T>();
  for (let i = 0; i < tries && byWorker.size < 2; i++) {
    const session = await open();
    const pid = workerOf(session.greeting);
    if (pid !== undefined && !byWorker.has(pid)) byWorker.set(pid, session);
    else session.c.close();
  }
  if (byWorker.size < 2) throw new Error(`all ${tries} connections landed on one frontend worker`);
  return [...byWorker.values()] as [T, T];
}

/** A plain MX session (greeting read, EHLO sent). */
export async function mxSession(port: number) {
  const c = await RawSmtp.connect(port);
  const greeting = (await c.read()).last;
  await c.command('EHLO client.example.org');
  return { c, greeting };
}
