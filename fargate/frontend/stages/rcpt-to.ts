/**
 * RCPT TO: checks the recipient (checkRecipient: aliases, forwarders and SRS resolved, account
 * state, inbound flow, relay rights, the declared SIZE against the account's limit) and adds it
 * to the transaction. Without an open transaction it answers 451 4.3.0. A refusal answers its
 * reply and is logged; a directory or counter fault answers 451 4.3.0 and is logged.
 */
import type { SMTPServerAddress, SMTPServerEnvelope } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { checkRecipient } from '../../../core/intake/envelope-checks.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
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
    ...(deps.srsSecret ? { srsSecret: deps.srsSecret } : {}),
    allowIpLiteralRecipients: deps.allowIpLiteralRecipients === true,
    ...(deps.postmaster ? { postmaster: deps.postmaster } : {}),
  };
  return (address, session, callback) => {
    const tx = ctx.transactions.get(session.envelope);
    if (!tx) return callback(smtpError(replies.localError()));
    const request = recipientRequest(address, session.envelope);
    checkRecipient(checks, sessionFacts(session, role), request).then(
      (check) => {
        if (!check.ok) {
          ctx.rejected(session, 'RCPT', check.reply, { rcpt: address.address });
          return callback(smtpError(check.reply));
        }
        tx.recipients.set(check.recipient.original, check.recipient);
        callback();
      },
      (err) => callback(ctx.fault(session, 'RCPT', err)),
    );
  };
}
