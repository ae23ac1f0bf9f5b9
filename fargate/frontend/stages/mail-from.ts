/**
 * MAIL FROM: refused with 421 once shutdown began; checks the sender (checkSender), reads an
 * authenticated sender's limits and checks MaxMailOutSize against SIZE= and MailOutFlow
 * (checkSenderLimits) and a trusted backend's XGENID (checkGeneratedId); on success opens the transaction the later stages add to. A refusal
 * answers its reply and is logged; a directory or counter fault answers 451 4.3.0 and is logged.
 */
import type { SMTPServerAddress } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { checkSender } from '../../../core/intake/envelope-checks.ts';
import { checkGeneratedId } from '../../../core/intake/generated-id.ts';
import { checkSenderLimits, senderLimits } from '../../../core/intake/sender-limits.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { type Handlers, type SessionContext, sessionFacts, type Transaction } from './session-context.ts';

/** The SIZE= parameter, when it is a number. */
export function sizeArg(args: SMTPServerAddress['args']): number | undefined {
  const size = args ? args.SIZE : undefined;
  return typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : undefined;
}

export function mailFromStage(ctx: SessionContext): Handlers['onMailFrom'] {
  const { deps, role } = ctx;
  return (address, session, callback) => {
    const start = async () => {
      if (deps.stopping()) return callback(smtpError(replies.shuttingDown()));
      const facts = sessionFacts(session, role);
      // smtp-server applies SMTPUTF8 (and the other MAIL parameters) to the envelope before this.
      const check = checkSender(facts, address.address, session.envelope.smtpUtf8 === true);
      if (!check.ok) {
        ctx.rejected(session, 'MAIL', check.reply);
        return callback(smtpError(check.reply));
      }
      // Forward-to-frontends mode: a backend (trusted network) names the generated message's id.
      const genId = checkGeneratedId(facts.ip, address.args, deps.trustedNetworks);
      if (!genId.ok) {
        ctx.rejected(session, 'MAIL', genId.reply);
        return callback(smtpError(genId.reply));
      }
      const sender = facts.authUser ? await senderLimits(deps.storage.directory, facts.authUser) : undefined;
      // smtp-server sets session.envelope.mailFrom only after this callback: read SIZE= here.
      const limit = sender
        ? await checkSenderLimits(deps.storage.counters, sender, sizeArg(address.args))
        : undefined;
      if (limit) {
        ctx.rejected(session, 'MAIL', limit, { user: facts.authUser });
        return callback(smtpError(limit));
      }
      const tx: Transaction = {
        mailFrom: check.address,
        recipients: new Map(),
        ...(sender ? { sender } : {}),
        ...(genId.id ? { generatedId: genId.id } : {}),
      };
      ctx.transactions.set(session.envelope, tx);
      callback();
    };
    start().catch((err) => callback(ctx.fault(session, 'MAIL', err)));
  };
}
