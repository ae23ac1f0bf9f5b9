/**
 * The load generator: N concurrent SMTP sessions sending test messages until a message count or
 * a deadline is reached, either one new connection per message ("new") or many messages per
 * connection ("reuse"). Records accepted messages (250 after DATA) with their queue ids, the
 * wall-clock time each 250 arrived, recipient and Message-ID (the end-to-end phase matches stored
 * mail by them), DATA→250 latencies, greeting times, and errors by reply code or socket error.
 * Failure: nothing throws out of `runLoad`; every failure is counted in `errors`.
 */
import { performance } from 'node:perf_hooks';
import { dotStuff, SmtpClientError, SmtpConnection, type SmtpReply } from './smtp-client.ts';

export type Mode = 'new' | 'reuse';

/** One accepted message: enough to find it again in a mailbox. */
export interface Acceptance {
  /** Queue id from "250 ... queued as <id>". */
  readonly id: string;
  readonly recipient: string;
  /** The Message-ID header the message carries, without angle brackets. */
  readonly messageId: string;
  /** Date.now() when the 250 was read. */
  readonly acceptedAt: number;
}

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly mode: Mode;
  readonly sessions: number;
  /** Total messages (across sessions); or run until `seconds` have passed. */
  readonly messages?: number;
  readonly seconds?: number;
  readonly size: number;
  readonly sender: string;
  readonly recipient: string;
  /** When given, message n goes to recipients[n % length] instead of `recipient`. */
  readonly recipients?: readonly string[];
  /** Checked before each message; true stops the run (Ctrl-C). */
  readonly stopped: () => boolean;
}

export interface LoadResult {
  readonly mode: Mode;
  readonly sessions: number;
  attempted: number;
  accepted: number;
  connections: number;
  elapsedMs: number;
  readonly latenciesMs: number[];
  readonly greetingMs: number[];
  readonly errors: Record<string, number>;
  /** The first reply or error text seen for each error key. */
  readonly errorSamples: Record<string, string>;
  readonly acceptedIds: string[];
  readonly accepts: Acceptance[];
}

const FILLER = 'The quick brown fox jumps over the lazy dog while Strato measures its queue. 0123456789';

/** A test message of about `size` bytes (exact to a byte or two); some lines start with "." to exercise stuffing. */
export function buildMessage(
  seq: number,
  size: number,
  runId: string,
  opts: { sender: string; recipient: string; date: string },
): string {
  const head =
    `From: Strato bench <${opts.sender}>\r\nTo: <${opts.recipient}>\r\nSubject: strato bench ${seq}\r\n` +
    `Date: ${opts.date}\r\nMessage-ID: <${benchMessageId(runId, seq)}>\r\nMIME-Version: 1.0\r\n` +
    'Content-Type: text/plain; charset=us-ascii\r\n\r\n';
  const lines: string[] = [];
  let remaining = size - head.length;
  for (let i = 0; remaining > 2; i++) {
    const text = (i % 8 === 3 ? `.${FILLER}` : FILLER).slice(0, Math.min(76, remaining - 2));
    lines.push(`${text}\r\n`);
    remaining -= text.length + 2;
  }
  return head + lines.join('');
}

/** The Message-ID (without brackets) of message `seq` of run `runId`. */
export function benchMessageId(runId: string, seq: number): string {
  return `${runId}.${seq}@bench.example.org`;
}

function record(result: LoadResult, key: string, sample: string): void {
  result.errors[key] = (result.errors[key] ?? 0) + 1;
  result.errorSamples[key] ??= sample;
}

function recordReply(result: LoadResult, stage: string, reply: SmtpReply): void {
  record(result, String(reply.code), `${stage}: ${reply.code} ${reply.text.split('\n')[0]}`);
}

function recordFailure(result: LoadResult, stage: string, err: unknown): void {
  const key = err instanceof SmtpClientError ? err.code : ((err as NodeJS.ErrnoException).code ?? 'error');
  record(result, key, `${stage}: ${err instanceof Error ? err.message : String(err)}`);
}

let runCounter = 0;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = {
    mode: opts.mode,
    sessions: opts.sessions,
    attempted: 0,
    accepted: 0,
    connections: 0,
    elapsedMs: 0,
    latenciesMs: [],
    greetingMs: [],
    errors: {},
    errorSamples: {},
    acceptedIds: [],
    accepts: [],
  };
  // Unique per call, so two runs against one mailbox never share Message-IDs.
  const runId = `${Date.now().toString(36)}${process.pid}${(runCounter++).toString(36)}`;
  const rcptOf = (seq: number): string =>
    opts.recipients?.length ? opts.recipients[seq % opts.recipients.length]! : opts.recipient;
  const date = new Date().toUTCString().replace('GMT', '+0000');
  const start = performance.now();
  const deadline = opts.seconds !== undefined ? start + opts.seconds * 1000 : Number.POSITIVE_INFINITY;
  let issued = 0;
  /** The next message's sequence number, or undefined when the run is over. */
  const claim = (): number | undefined => {
    if (opts.stopped() || performance.now() >= deadline) return undefined;
    if (opts.messages !== undefined && issued >= opts.messages) return undefined;
    result.attempted++;
    return issued++;
  };
  const body = (seq: number) =>
    dotStuff(buildMessage(seq, opts.size, runId, { sender: opts.sender, recipient: rcptOf(seq), date }));

  /** Connect, greeting, EHLO; undefined (error counted) when any step fails. */
  const open = async (): Promise<SmtpConnection | undefined> => {
    const t0 = performance.now();
    let conn: SmtpConnection | undefined;
    try {
      const opened = await SmtpConnection.open(opts.host, opts.port);
      conn = opened.conn;
      result.connections++;
      if (opened.greeting.code !== 220) {
        recordReply(result, 'greeting', opened.greeting);
        conn.destroy();
        return undefined;
      }
      result.greetingMs.push(performance.now() - t0);
      const ehlo = await conn.command('EHLO bench.example.org');
      if (ehlo.code !== 250) {
        recordReply(result, 'EHLO', ehlo);
        await conn.quit();
        return undefined;
      }
      return conn;
    } catch (err) {
      recordFailure(result, 'connect', err);
      conn?.destroy();
      await new Promise((r) => setTimeout(r, 20)); // do not spin on a refused port
      return undefined;
    }
  };

  /** One MAIL/RCPT/DATA transaction; true when the message was accepted. */
  const send = async (conn: SmtpConnection, seq: number): Promise<boolean> => {
    let stage = 'MAIL';
    try {
      const mail = await conn.command(`MAIL FROM:<${opts.sender}>`);
      if (mail.code !== 250) {
        recordReply(result, stage, mail);
        return false;
      }
      stage = 'RCPT';
      const rcpt = await conn.command(`RCPT TO:<${rcptOf(seq)}>`);
      if (rcpt.code !== 250) {
        recordReply(result, stage, rcpt);
        return false;
      }
      stage = 'DATA';
      const { reply, latencyMs } = await conn.sendData(body(seq));
      if (reply.code !== 250) {
        recordReply(result, stage, reply);
        return false;
      }
      const acceptedAt = Date.now();
      result.accepted++;
      if (latencyMs !== undefined) result.latenciesMs.push(latencyMs);
      const id = /queued as (\S+)/i.exec(reply.text)?.[1];
      if (id) {
        result.acceptedIds.push(id);
        result.accepts.push({
          id,
          recipient: rcptOf(seq),
          messageId: benchMessageId(runId, seq),
          acceptedAt,
        });
      }
      return true;
    } catch (err) {
      recordFailure(result, stage, err);
      return false;
    }
  };

  const newConnectionSession = async () => {
    for (let seq = claim(); seq !== undefined; seq = claim()) {
      const conn = await open();
      if (!conn) continue;
      await send(conn, seq);
      await conn.quit();
    }
  };

  const reuseSession = async () => {
    let conn: SmtpConnection | undefined;
    for (let seq = claim(); seq !== undefined; seq = claim()) {
      if (!conn || conn.broken) {
        conn?.destroy();
        conn = await open();
        if (!conn) continue; // the claimed message counts as failed
      }
      const ok = await send(conn, seq);
      // A completed transaction resets the state by itself; after a refusal, RSET explicitly.
      if (!ok && !conn.broken) await conn.command('RSET').catch(() => undefined);
    }
    await conn?.quit();
  };

  const session = opts.mode === 'new' ? newConnectionSession : reuseSession;
  await Promise.all(Array.from({ length: opts.sessions }, () => session()));
  result.elapsedMs = performance.now() - start;
  return result;
}

/** Nearest-rank percentile of unsorted samples; undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
