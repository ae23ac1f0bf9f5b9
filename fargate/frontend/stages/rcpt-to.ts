/**
 * RCPT TO: checks the recipient (checkRecipient: aliases, forwarders and SRS resolved, account
 * state, inbound flow, relay rights, the declared SIZE against the account's limit) and adds it
 * to the transaction. Without an open transaction it answers 451 4.3.0. A refusal answers its
 * reply and is logged; a directory or counter fault answers 451 4.3.0 and is logged.
 * In a guarded session an invalid recipient (no such user, relay denied, bad address) waits the
 * session's tarpit delay before its reply, and past the session's limit is answered 421 4.7.0
 * (the session closes); on MX an unauthenticated client's accepted recipients count against its
 * address's recipient rate (450 4.7.1 past it).
 */
import type { SMTPServerAddress, SMTPServerEnvelope } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { consumeAddressRate } from '../../../core/intake/address-rates.ts';
import { checkRecipient, type RecipientCheck } from '../../../core/intake/envelope-checks.ts';
import { isInvalidRecipient } from '../../../core/intake/session-guard.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { guardOf, isGuarded, logSessionLimit, tarpit } from './limits.ts';
import { sizeArg } from './mail-from.ts';
import { type Handlers, type SessionContext, sessionFacts } from './session-context.ts';

function declaredSize(envelope: SMTPServerEnvelope): number | undefined {
  return sizeArg(envelope.mailFrom ? envelope.mailFrom.args : false);
}

/** The recipient as checkRecipient takes it: the address, DSN parameters and the declared size. */
function recipientRequest(address: SMTPServerAddress, envelope: SMTPServerEnvelope) {
  const size = declaredSize(envelope);
  return {
    address: address.address,
    ...(address.dsn?.orcpt !== undefined ? { orcpt: address.dsn.orcpt } : {}),
    ...(address.dsn?.notify ? { notify: address.dsn.notify } : {}),
    ...(size !== undefined ? { declaredSize: size } : {}),
    ...(envelope.smtpUtf8 ? { smtputf8: true } : {}),
  };
}

export function rcptToStage(ctx: SessionContext): Handlers['onRcptTo'] {
  const { deps, log, role } = ctx;
  const checks = {
    directory: deps.storage.directory,
    mailboxes: deps.storage.mailboxes,
    trustedNetworks: deps.trustedNetworks,
    logger: log,
    counters: deps.storage.counters,
    clock: deps.clock,
    ...(deps.storage.suppressions ? { suppressions: deps.storage.suppressions } : {}),
    ...(deps.srsSecret ? { srsSecret: deps.srsSecret } : {}),
    allowIpLiteralRecipients: deps.allowIpLiteralRecipients === true,
    ...(deps.postmaster ? { postmaster: deps.postmaster } : {}),
  };
  return (address, session, callback) => {
    const tx = ctx.transactions.get(session.envelope);
    if (!tx) return callback(smtpError(replies.localError()));
    const request = recipientRequest(address, session.envelope);
    const facts = sessionFacts(session, role);
    const check = async (): Promise<RecipientCheck> => {
      const result = await checkRecipient(checks, facts, request);
      if (!result.ok || role.name !== 'mx' || facts.authUser || !isGuarded(ctx, session)) return result;
      const rate = await consumeAddressRate(deps.storage.counters, deps.limits, 'recipients', facts.ip);
      return rate ? { ok: false, reply: rate } : result;
    };
    check().then(
      (result) => {
        if (result.ok) {
          tx.recipients.set(result.recipient.original, result.recipient);
          return callback();
        }
        ctx.rejected(session, 'RCPT', result.reply, { rcpt: address.address });
        const guard = isInvalidRecipient(result.reply) ? guardOf(session) : undefined;
        if (!guard) return callback(smtpError(result.reply));
        const verdict = guard.invalidRecipient();
        if (verdict.close) logSessionLimit(ctx, session, 'invalid-recipients', verdict.close);
        // A 421 makes smtp-server close the session once it is sent.
        tarpit(verdict.delayMs, () => callback(smtpError(verdict.close ?? result.reply)));
      },
      (err) => callback(ctx.fault(session, 'RCPT', err)),
    );
  };
}
