/**
 * MAIL FROM: refused with 421 once shutdown began; checks the sender (checkSender), binds an
 * authenticated sender to its own addresses (sender-binding.ts, 553 5.7.1), reads its limits and
 * checks MaxMailOutSize against SIZE= and MailOutFlow (checkSenderLimits) and a trusted backend's
 * XGENID (checkGeneratedId); on MX counts the transaction against an unauthenticated, untrusted
 * client address's message rate (450 4.7.1 past it); on success opens the transaction the later
 * stages add to. A refusal answers its reply and is logged; a directory or counter fault answers 451 4.3.0 and is logged.
 */
import type { SMTPServerAddress } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { consumeAddressRate } from '../../../core/intake/address-rates.ts';
import { checkSender } from '../../../core/intake/envelope-checks.ts';
import { checkGeneratedId } from '../../../core/intake/generated-id.ts';
import { checkMailFromBinding, senderBindingFor } from '../../../core/intake/sender-binding.ts';
import { checkSenderLimits, senderLimits } from '../../../core/intake/sender-limits.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { isGuarded } from './limits.ts';
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
      if (role.name === 'mx' && !facts.authUser && isGuarded(ctx, session)) {
        const rate = await consumeAddressRate(deps.storage.counters, deps.limits, 'messages', facts.ip);
        if (rate) {
          ctx.rejected(session, 'MAIL', rate, { reason: 'messages-per-address' });
          return callback(smtpError(rate));
        }
      }
      const sender = facts.authUser ? await senderLimits(deps.storage.directory, facts.authUser) : undefined;
      // Sender binding: an authenticated user sends as its own addresses (and SendAs) only.
      const binding = senderBindingFor(facts, deps.trustedNetworks, sender);
      const notOwned = binding
        ? await checkMailFromBinding(deps.storage.directory, binding, check.address)
        : undefined;
      if (notOwned) {
        ctx.rejected(session, 'MAIL', notOwned, { user: facts.authUser, from: check.address });
        return callback(smtpError(notOwned));
      }
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
        ...(binding ? { binding } : {}),
        ...(genId.id ? { generatedId: genId.id } : {}),
      };
      ctx.transactions.set(session.envelope, tx);
      callback();
    };
    start().catch((err) => callback(ctx.fault(session, 'MAIL', err)));
  };
}
