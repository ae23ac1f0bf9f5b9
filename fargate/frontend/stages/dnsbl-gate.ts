/**
 * The DNSBL check at connect (core/intake/dnsbl.ts), MX port only and never for trusted networks:
 * a listed client is answered 554 5.7.1 naming the zone and disconnected (smtp-server closes after
 * an onConnect error); a zone that cannot be asked is logged and the session goes on (fails open).
 * Off when no zones are configured (STRATO_DNSBL_ZONES).
 */
import type { SMTPServerSession } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { checkDnsbl } from '../../../core/intake/dnsbl.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import type { SessionContext } from './session-context.ts';

/** True when this session is to be checked at all. */
export function dnsblApplies({ deps, role }: SessionContext, session: SMTPServerSession): boolean {
  return (
    role.name === 'mx' && deps.dnsbl !== undefined && !deps.trustedNetworks.contains(session.remoteAddress)
  );
}

/** Check the client, then answer the connect callback: 554 5.7.1 when listed, else go on. */
export function dnsblGate(
  ctx: SessionContext,
  session: SMTPServerSession,
  callback: (err?: Error) => void,
): void {
  const ip = session.remoteAddress;
  checkDnsbl(ctx.deps.dnsbl!, ip).then(
    ({ listed, failed }) => {
      for (const f of failed)
        ctx.log.warn({ event: 'smtp.dnsbl_failed', sid: session.id, ip, zone: f.zone, reason: f.reason });
      if (!listed) return callback();
      const reply = replies.dnsblListed(ip, listed.zone);
      ctx.rejected(session, 'CONNECT', reply, { zone: listed.zone, answer: listed.answer });
      callback(smtpError(reply));
    },
    (err: unknown) => callback(ctx.fault(session, 'CONNECT', err)),
  );
}
