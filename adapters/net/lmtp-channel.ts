/**
 * DeliveryChannel over LMTP (RFC 2033): one transaction per delivery request, one reply per
 * accepted recipient after DATA. Connections are pooled per backend address and reused (the
 * backend's smtp-server greets after a fixed 100 ms, too slow to pay per message). Any transport
 * failure answers `temporary` for every recipient not yet answered (a refused, reset or closed
 * connection with the typed fact that the account is moving); nothing throws. A reply's
 * account fact (open elsewhere, disabled, full, moving) comes back as the outcome's typed field.
 * Each new connection authenticates after LHLO with the cluster's channel secret (AUTH PLAIN); a
 * refused AUTH answers `temporary` for every recipient (a misconfigured secret never bounces mail).
 */
import { type RecipientOutcome, type Reply, temporary } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import type { DeliveryChannel, DeliveryRequest } from '../../core/ports/delivery-channel.ts';
import { outcomeFromLmtpReply } from './lmtp-account-facts.ts';
import { authPlainCommand } from './lmtp-channel-auth.ts';
import { SmtpLineClient } from './smtp-line-client.ts';

export interface LmtpChannelOptions {
  /** Name sent in LHLO. */
  readonly clientName: string;
  readonly timeoutMs: number;
  /** Idle connections kept per backend. */
  readonly maxIdlePerBackend: number;
  /** The cluster's channel secret, sent with AUTH PLAIN on each new connection. */
  readonly secret: string;
}

const DEFAULTS: Omit<LmtpChannelOptions, 'secret'> = {
  clientName: 'localhost',
  timeoutMs: 60_000,
  maxIdlePerBackend: 16,
};

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

type Outcomes = Map<string, RecipientOutcome>;

const LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/**
 * The outcome a reply stands for: the backend's account facts (lmtp-account-facts.ts), and a 421
 * (RFC 5321: the service is closing the channel, e.g. a stopping backend's last word to a
 * connection still open) as the account moving, like a connection cut off.
 */
function outcomeOf(reply: Reply): RecipientOutcome {
  if (reply.code === 421) return temporary(reply, { state: 'moving', why: 'backend-unreachable' });
  return outcomeFromLmtpReply(reply);
}

/** A backend that greets or answers LHLO with 421: it is shutting down. */
class BackendClosingError extends Error {}

/** A connection refused, reset or closed by the backend, or a 421 before the first transaction. */
function connectionLost(err: unknown): boolean {
  if (err instanceof BackendClosingError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && LOST.has(code)) || err.message === 'connection closed';
}

/** MAIL FROM and RCPT TO; the recipients the backend accepted (none when it refused MAIL). */
async function sendEnvelope(conn: SmtpLineClient, req: DeliveryRequest, out: Outcomes): Promise<string[]> {
  // XDELIVERY carries the queue id (the backend's mailbox idempotency key), XSOURCE the
  // message source the backend's rules test.
  const source = req.source ? ` XSOURCE=${req.source}` : '';
  const mail = await conn.command(`MAIL FROM:<${req.mailFrom}> XDELIVERY=${req.deliveryId}${source}`);
  if (mail.code !== 250) {
    // A stopping backend refuses MAIL with its moving fact (lmtp-account-facts.ts).
    for (const r of req.recipients) out.set(r, outcomeOf(mail));
    return [];
  }
  const accepted: string[] = [];
  for (const rcpt of req.recipients) {
    const reply = await conn.command(`RCPT TO:<${rcpt}>`);
    if (reply.code === 250) accepted.push(rcpt);
    else out.set(rcpt, outcomeOf(reply));
  }
  return accepted;
}

/** After DATA's 354: send the body, then read one reply per accepted recipient. */
async function sendBody(conn: SmtpLineClient, req: DeliveryRequest, accepted: string[], out: Outcomes) {
  // Read the per-recipient replies while the body is still being written (they only come
  // after the final dot, but registering first means none can be missed).
  const finals = accepted.map(() => conn.read());
  // If the body fails half-way these reject too; deliver's catch answers for them.
  for (const f of finals) f.catch(() => {});
  await conn.sendBody(await req.openBody());
  // The per-recipient replies carry the backend's account facts (lmtp-account-facts.ts).
  for (const [i, rcpt] of accepted.entries()) out.set(rcpt, outcomeOf(await finals[i]!));
}

/**
 * One LMTP transaction, answering into `out`; a refused MAIL or DATA, or no accepted recipient,
 * ends it with RSET so the connection can be reused. Transport faults reject.
 */
async function transact(conn: SmtpLineClient, req: DeliveryRequest, out: Outcomes): Promise<void> {
  const accepted = await sendEnvelope(conn, req, out);
  if (accepted.length === 0) {
    await conn.command('RSET');
    return;
  }
  const data = await conn.command('DATA');
  if (data.code !== 354) {
    for (const r of accepted) out.set(r, outcomeOf(data));
    await conn.command('RSET');
    return;
  }
  await sendBody(conn, req, accepted, out);
}

/** The error for a refused greeting or LHLO (the connection is closed): 421 means "closing". */
function refusal(conn: SmtpLineClient, message: string, reply: Reply): Error {
  conn.close();
  return reply.code === 421 ? new BackendClosingError(message) : new Error(message);
}

export class LmtpChannel implements DeliveryChannel {
  private readonly idle = new Map<string, SmtpLineClient[]>();
  private readonly opts: LmtpChannelOptions;
  private closed = false;

  constructor(opts: Partial<LmtpChannelOptions> & Pick<LmtpChannelOptions, 'secret'>) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  private async checkout(address: string): Promise<SmtpLineClient> {
    const pool = this.idle.get(address) ?? [];
    while (pool.length) {
      const conn = pool.pop()!;
      if (!conn.broken) return conn;
    }
    const { host, port } = splitAddress(address);
    const conn = await SmtpLineClient.open(host, port, this.opts.timeoutMs);
    const greeting = await conn.read();
    if (greeting.code !== 220)
      throw refusal(conn, `LMTP greeting ${greeting.code} ${greeting.text}`, greeting);
    const lhlo = await conn.command(`LHLO ${this.opts.clientName}`);
    if (lhlo.code !== 250) throw refusal(conn, `LHLO refused: ${lhlo.code} ${lhlo.text}`, lhlo);
    const auth = await conn.command(authPlainCommand(this.opts.secret));
    if (auth.code !== 235) throw refusal(conn, `LMTP AUTH refused: ${auth.code} ${auth.text}`, auth);
    return conn;
  }

  private checkin(address: string, conn: SmtpLineClient): void {
    const pool = this.idle.get(address) ?? [];
    if (this.closed || conn.broken || pool.length >= this.opts.maxIdlePerBackend) {
      conn.close();
      return;
    }
    pool.push(conn);
    this.idle.set(address, pool);
  }

  async deliver(backend: BackendInfo, req: DeliveryRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const out = new Map<string, RecipientOutcome>();
    let conn: SmtpLineClient | undefined;
    try {
      conn = await this.checkout(backend.address);
      await transact(conn, req, out);
      return out;
    } catch (err) {
      conn?.close();
      conn = undefined;
      const reply = replies.backendUnreachable(backend.id, err instanceof Error ? err.message : String(err));
      // Refused or cut off: the backend is gone or going, so its accounts are moving.
      const fact = connectionLost(err)
        ? ({ state: 'moving', why: 'backend-unreachable' } as const)
        : undefined;
      for (const rcpt of req.recipients) if (!out.has(rcpt)) out.set(rcpt, temporary(reply, fact));
      return out;
    } finally {
      if (conn) this.checkin(backend.address, conn);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.idle.values()) for (const conn of pool.splice(0)) conn.close();
  }
}
