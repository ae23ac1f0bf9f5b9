/**
 * One mail transaction on an open MxSession (direct MX delivery): MAIL FROM with BODY=8BITMIME,
 * SMTPUTF8 and RET/ENVID, RCPT TO with each recipient's NOTIFY/ORCPT (the DSN parameters only
 * when the server offers DSN), DATA, the body, and one outcome per recipient carrying the
 * server's reply and its name (Remote-MTA). Before any command: SMTPUTF8 mail to a server
 * without SMTPUTF8 fails permanently (553 5.6.7, RFC 6531 §3.4); BODY=8BITMIME mail to a server
 * without 8BITMIME goes as 7-bit when no octet is over 127, else fails permanently (554 5.6.3;
 * RFC 6152 §3 lets a relay bounce instead of converting, which would change signed content).
 * A session lost mid-transaction is temporary for every recipient not yet answered, and the
 * caller discards the session.
 */
import {
  outcomeFromReply,
  permanent,
  type RecipientOutcome,
  type Reply,
  temporary,
} from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { RelayRequest } from '../../core/ports/outbound-relay.ts';
import { type MxSession, SessionError, xtext } from './mx-session.ts';

export type Outcomes = Map<string, RecipientOutcome>;

/** True when the message has an octet above 127 (it really is 8-bit, not only declared so). */
async function has8bit(req: RelayRequest): Promise<boolean> {
  for await (const chunk of await req.openBody()) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
    if (b.some((x) => x > 127)) return true;
  }
  return false;
}

function mailParams(req: RelayRequest, dsn: boolean, eightBit: boolean): string {
  const p: string[] = [];
  if (eightBit) p.push('BODY=8BITMIME');
  if (req.smtputf8) p.push('SMTPUTF8');
  if (dsn && req.ret) p.push(`RET=${req.ret}`);
  if (dsn && req.envid) p.push(`ENVID=${xtext(req.envid)}`);
  return p.length ? ` ${p.join(' ')}` : '';
}

function rcptParams(req: RelayRequest, rcpt: string, dsn: boolean): string {
  const params = dsn ? req.dsn?.get(rcpt) : undefined;
  if (!params) return '';
  const p: string[] = [];
  if (params.notify?.length) p.push(`NOTIFY=${params.notify.join(',')}`);
  if (params.orcpt) p.push(`ORCPT=${xtext(params.orcpt)}`);
  return p.length ? ` ${p.join(' ')}` : '';
}

/** Outcomes for a refusal that covers every recipient (unsupported extension, MAIL refused). */
function all(recipients: readonly string[], outcome: RecipientOutcome): Outcomes {
  return new Map(recipients.map((r) => [r, outcome]));
}

/** Run one transaction for `recipients` (all of one destination); rejects only for a lost session. */
async function transact(
  session: MxSession,
  req: RelayRequest,
  recipients: readonly string[],
): Promise<Outcomes> {
  const host = session.target.host;
  const remote = (o: RecipientOutcome): RecipientOutcome => ({ ...o, remoteMta: host });
  const fromReply = (reply: Reply) => remote(outcomeFromReply(reply));
  if (req.smtputf8 && !session.extensions.has('SMTPUTF8'))
    return all(recipients, remote(permanent(replies.smtputf8Unsupported(host))));
  // Declared 8BITMIME but all 7-bit (common): sent as 7-bit; really 8-bit: bounced (RFC 6152).
  let eightBit = req.bodyType === '8BITMIME';
  if (eightBit && !session.extensions.has('8BITMIME')) {
    if (await has8bit(req)) return all(recipients, remote(permanent(replies.eightBitUnsupported(host))));
    eightBit = false;
  }
  const dsn = session.extensions.has('DSN');
  const mail = await session.command(`MAIL FROM:<${req.mailFrom}>${mailParams(req, dsn, eightBit)}`);
  if (mail.code !== 250) {
    await session.command('RSET');
    return all(recipients, fromReply(mail));
  }
  const out: Outcomes = new Map();
  const accepted: string[] = [];
  for (const rcpt of recipients) {
    const reply = await session.command(`RCPT TO:<${rcpt}>${rcptParams(req, rcpt, dsn)}`);
    if (reply.code === 250 || reply.code === 251) accepted.push(rcpt);
    else out.set(rcpt, fromReply(reply));
  }
  if (accepted.length === 0) {
    await session.command('RSET');
    return out;
  }
  const data = await session.command('DATA');
  if (data.code !== 354) {
    await session.command('RSET');
    for (const rcpt of accepted) out.set(rcpt, fromReply(data));
    return out;
  }
  const final = await session.sendBody(await req.openBody());
  const outcome = fromReply(final);
  for (const rcpt of accepted) {
    // With DSN at the next hop it reports success; without, the request ends here: `relayed`.
    out.set(
      rcpt,
      outcome.kind === 'delivered'
        ? { ...outcome, ...(dsn ? { dsnPassedOn: true } : { relayed: true }) }
        : outcome,
    );
  }
  session.transactions += 1;
  return out;
}

/**
 * The transaction's outcomes; a lost session (timeout, reset, garbage) answers temporary for every
 * recipient (the session is broken: the caller discards it).
 */
export async function deliverOnSession(
  session: MxSession,
  req: RelayRequest,
  recipients: readonly string[],
): Promise<Outcomes> {
  try {
    return await transact(session, req, recipients);
  } catch (err) {
    const why = err instanceof SessionError ? err.message : String(err);
    session.close();
    return all(recipients, {
      ...temporary(replies.mxSessionLost(session.target.host, why)),
      remoteMta: session.target.host,
    });
  }
}
