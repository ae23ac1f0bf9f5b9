/**
 * Helpers for end-to-end delivery tests against a real local cluster: compressed timers, a
 * streaming SMTP sender that keeps going when a frontend dies (and says which messages were
 * accepted and which are in doubt), mailbox, lease and queue read-back through the real embedded
 * adapters, a starter for a single entry point (e.g. a lone backend), free ports outside the
 * kernel's ephemeral range, and a lookup of a process's TCP connections (Linux /proc) to tell
 * which frontend owns which delivery-channel connection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { Lease } from '../../core/ports/account-leases.ts';
import type { QueueEntry } from '../../core/ports/mail-queue.ts';
import { queuedId } from './cluster.ts';
import { type LogLine, watchProcessLogs } from './process-logs.ts';
import { RawSmtp } from './raw-smtp.ts';

export const DEMO = 'demo.strato.test';
export const ALICE = `alice@${DEMO}`;
export const BOB = `bob@${DEMO}`;
export const ALICE_PASSWORD = 'alice-demo-password';

/**
 * Delivery on, every timer compressed: account leases 3 s, backend registry TTL 1.5 s
 * (3 × heartbeat), queue visibility 3 s, retries after 1 s then 2 s.
 */
export const FAST_DELIVERY_ENV: Readonly<Record<string, string>> = {
  STRATO_QUEUE_PROCESSING: 'true',
  STRATO_LEASE_TTL_MS: '3000',
  STRATO_HEARTBEAT_MS: '500',
  STRATO_QUEUE_VISIBILITY_SECONDS: '3',
  STRATO_QUEUE_POLL_WAIT_MS: '100',
  STRATO_RETRY_FIRST_SECONDS: '1',
  STRATO_RETRY_MAX_SECONDS: '2',
};

export interface OutgoingMessage {
  /** Unique per message; the Subject line carries it, so a stored copy can be traced back. */
  readonly token: string;
  readonly to: readonly string[];
}

export interface SendResult extends OutgoingMessage {
  /**
   * accepted: 250 with a queue id (must be delivered exactly once). in-doubt: the connection
   * broke after the final dot and before the reply (may be delivered, at most once).
   */
  readonly status: 'accepted' | 'in-doubt';
  readonly id?: string;
}

function messageText(m: OutgoingMessage): string {
  return `From: <sender@example.org>\r\nTo: ${m.to.map((a) => `<${a}>`).join(', ')}\r\nSubject: ${m.token}\r\n\r\nbody of ${m.token}\r\n`;
}

/**
 * Send `messages` over `connections` parallel SMTP sessions to the MX port, several transactions
 * per session. A session that breaks is replaced; a message whose transaction broke before its
 * final dot is sent again, one that broke after it is reported in doubt. `onAccepted` sees each
 * 250 as it arrives (tests use it to strike in the middle of the stream).
 */
export async function sendStream(
  port: number,
  messages: readonly OutgoingMessage[],
  opts: { connections?: number; onAccepted?: (count: number) => void | Promise<void> } = {},
): Promise<SendResult[]> {
  const todo = [...messages].reverse();
  const results: SendResult[] = [];
  let accepted = 0;
  const worker = async () => {
    let c: RawSmtp | undefined;
    let greeting = '';
    let failures = 0;
    while (todo.length) {
      const m = todo.pop()!;
      let dotSent = false;
      try {
        if (!c || c.closed) {
          c = await RawSmtp.connect(port);
          greeting = (await c.read()).last;
          if (!greeting.startsWith('220 ')) throw new Error(`greeting: ${greeting}`);
          if ((await c.command('EHLO sender.example.org')).code !== 250) throw new Error('EHLO refused');
        }
        const mail = await c.command('MAIL FROM:<sender@example.org>');
        if (mail.code !== 250) throw new Error(`MAIL FROM: ${mail.last}`);
        for (const rcpt of m.to) {
          const r = await c.command(`RCPT TO:<${rcpt}>`);
          if (r.code !== 250) throw new Error(`RCPT TO: ${r.last}`);
        }
        const data = await c.command('DATA');
        if (data.code !== 354) throw new Error(`DATA: ${data.last}`);
        dotSent = true;
        const done = await c.command(`${messageText(m)}.`);
        const id = queuedId(done.last);
        if (done.code !== 250 || !id) throw new Error(`end of data: ${done.last}`);
        results.push({ ...m, status: 'accepted', id });
        failures = 0;
      } catch (err) {
        c?.close();
        c = undefined;
        if (dotSent) results.push({ ...m, status: 'in-doubt' });
        else todo.push(m);
        // A frontend dying drops its sessions; anything else repeating is a real failure.
        if (++failures > 20)
          throw new Error(`sending ${m.token} keeps failing: ${String(err)} (${greeting})`);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      // Outside the try: a failing callback fails the send, it is not a broken session.
      await opts.onAccepted?.(++accepted);
    }
    c?.close();
  };
  await Promise.all(Array.from({ length: opts.connections ?? 4 }, worker));
  return results;
}

export interface StoredMessage {
  readonly uid: number;
  readonly deliveryKey: string;
  readonly body: string;
  /** The Subject header's value. */
  readonly subject: string;
}

/** An account's INBOX with bodies, read through the real embedded adapters. */
export async function readInbox(dataDir: string, account: string): Promise<StoredMessage[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    const out: StoredMessage[] = [];
    for (const m of await storage.mailboxes.list(account, 'INBOX')) {
      const stream = await storage.mailboxes.read(account, 'INBOX', m.uid);
      if (!stream) throw new Error(`${account} INBOX uid ${m.uid} is listed but has no body`);
      const body = await text(stream);
      const subject = /^Subject: ([^\r\n]*)\r$/m.exec(body)?.[1] ?? '';
      out.push({ uid: m.uid, deliveryKey: m.deliveryKey, body, subject });
    }
    return out;
  } finally {
    await storage.close();
  }
}

/**
 * Check that every accepted message is in each of its recipients' INBOX exactly once (by
 * delivery key `<queueId>/INBOX` and by the token in its Subject), that a message in doubt is
 * there at most once, and that nothing else is. Returns a list of problems (empty when all good).
 */
export async function exactlyOnceProblems(
  dataDir: string,
  sent: readonly SendResult[],
  accounts: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const account of accounts) {
    const stored = await readInbox(dataDir, account);
    const bySubject = new Map<string, StoredMessage[]>();
    for (const m of stored) bySubject.set(m.subject, [...(bySubject.get(m.subject) ?? []), m]);
    const expected = sent.filter((s) => s.to.includes(account));
    for (const s of expected) {
      const copies = bySubject.get(s.token) ?? [];
      bySubject.delete(s.token);
      if (s.status === 'accepted') {
        if (copies.length !== 1)
          problems.push(`${account}: ${s.token} (${s.id}) stored ${copies.length} times`);
        else if (copies[0]!.deliveryKey !== `${s.id}/INBOX`)
          problems.push(
            `${account}: ${s.token} has delivery key ${copies[0]!.deliveryKey}, not ${s.id}/INBOX`,
          );
      } else if (copies.length > 1) {
        problems.push(`${account}: ${s.token} (in doubt) stored ${copies.length} times`);
      }
    }
    for (const [subject, copies] of bySubject) {
      problems.push(`${account}: unexpected message "${subject}" stored ${copies.length} times`);
    }
  }
  return problems;
}

/** Every queued job (any status), read through the real embedded adapters. */
export async function queueEntries(dataDir: string): Promise<QueueEntry[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return await storage.queue.list({ limit: 100_000 });
  } finally {
    await storage.close();
  }
}

/** Poll until the queue is empty; fails with what is left (state and last replies) after `timeoutMs`. */
export async function waitQueueDrained(dataDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left: QueueEntry[] = [];
  for (;;) {
    left = await queueEntries(dataDir);
    if (left.length === 0) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const sample = left.slice(0, 5).map((e) => ({
    id: e.job.id,
    status: e.status,
    receiveCount: e.receiveCount,
    recipients: e.job.envelope.recipients.map((r) => `${r.address} ${r.state} ${r.lastReply?.text ?? ''}`),
  }));
  throw new Error(
    `queue not drained within ${timeoutMs} ms: ${left.length} left, e.g. ${JSON.stringify(sample)}`,
  );
}

export async function leaseOf(dataDir: string, account: string): Promise<Lease | undefined> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return await storage.leases.get(account);
  } finally {
    await storage.close();
  }
}

/** Resolves once `pid` no longer exists (after a SIGKILL the kernel reaps it quickly). */
export async function waitPidGone(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    // A zombie still answers kill(0); its /proc status says so.
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (status === '' || /^State:\s+Z/m.test(status)) return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Local ports of `pid`'s TCP connections to 127.0.0.1:`remotePort` (Linux: the process's socket
 * inodes from /proc/<pid>/fd matched against /proc/net/tcp). Lets a test tell which process
 * owns a connection a proxy accepted.
 */
export async function connectionPortsOf(pid: number, remotePort: number): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const local = Number.parseInt(f[1]!.split(':')[1]!, 16);
      const remote = Number.parseInt(f[2]!.split(':')[1]!, 16);
      if (remote === remotePort) ports.add(local);
    }
  }
  return ports;
}

export { freeStablePorts } from './cluster.ts';

/** Count of log lines with `event` (and matching `where`, if given). */
export function countEvents(
  logs: readonly { event?: string; [k: string]: unknown }[],
  event: string,
  where: (l: { [k: string]: unknown }) => boolean = () => true,
): number {
  return logs.filter((l) => l.event === event && where(l)).length;
}

export interface LoggedProcess {
  readonly proc: ChildProcess;
  readonly logs: LogLine[];
  output(): string;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it exited. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start one Strato entry point (e.g. fargate/backend/main.ts) as a real process with `env`,
 * collecting its JSON log lines; resolves once a line with event `readyEvent` appears, fails
 * with the output if the process exits first or `timeoutMs` passes.
 */
export async function startLogged(
  entry: string,
  env: Record<string, string>,
  readyEvent: string,
  timeoutMs = 20_000,
): Promise<LoggedProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: new URL('../..', import.meta.url).pathname,
    // STRATO_INBOUND_AUTH off: as in cluster.ts, only the tests about it ask DNS at intake.
    env: { ...process.env, STRATO_LOG_LEVEL: 'info', STRATO_INBOUND_AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { logs, output, waitForLog, exited } = watchProcessLogs(proc);

  const running: LoggedProcess = {
    proc,
    logs,
    output,
    waitForLog,
    exited,
    async stop(ms = 10_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  const failed = exited.then(({ code, signal }) => {
    throw new Error(`${entry} exited early (code ${code}, signal ${signal}); output:\n${output()}`);
  });
  failed.catch(() => {});
  await Promise.race([waitForLog((l) => l.event === readyEvent, timeoutMs), failed]);
  return running;
}
