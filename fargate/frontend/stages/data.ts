/**
 * DATA: without an accepted recipient answers 554 (no valid recipients) and drains the stream;
 * else hands the stream to core/intake's acceptMessage (store the body durably, checking an
 * authenticated sender's header From/Sender on the way (sender binding, 550 5.7.1) → on the MX port
 * SPF/DKIM/DMARC/ARC, verifiesAuth → the content filter, scansContent → cluster rules → enqueue) and answers 250 with the queue id
 * only once it resolved ok. A refusal answers its reply
 * and is logged as smtp.rejected, a storage or queue failure as smtp.storage_failed; a handler
 * fault drains the stream, answers 451 4.3.0 and is logged. acceptMessage drains on every path.
 */
import type { SMTPServerSession } from 'smtp-server';
import { smtpError, smtpReply } from '../../../adapters/net/smtp-errors.ts';
import {
  type AcceptDeps,
  type AcceptRequest,
  type AcceptResult,
  acceptMessage,
} from '../../../core/intake/accept-message.ts';
import type { SessionFacts } from '../../../core/intake/envelope-checks.ts';
import { senderHeaderHook } from '../../../core/intake/sender-binding.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { metrics } from '../../../core/util/metrics.ts';
import { countRejection } from './rejection-metrics.ts';
import type { Handlers, SessionContext, Transaction } from './session-context.ts';
import { sessionFacts } from './session-context.ts';

/** The frontend's acceptance dependencies, cluster rules included (owner postmaster@<hostname>). */
function acceptDeps({ deps, log }: SessionContext): AcceptDeps {
  const { storage } = deps;
  return {
    messages: storage.messages,
    queue: storage.queue,
    clock: deps.clock,
    logger: log,
    counters: storage.counters,
    ...(deps.history ? { history: deps.history } : {}),
    ...(deps.inboundAuth ? { inboundAuth: deps.inboundAuth } : {}),
    ...(deps.contentFilter ? { contentFilter: deps.contentFilter } : {}),
    clusterRules: {
      store: storage.rules,
      autoReplies: storage.autoReplies,
      directory: storage.directory,
      messages: storage.messages,
      clock: deps.clock,
      logger: log,
      postmaster: `postmaster@${deps.hostname}`,
      ...(deps.rulesHopLimit !== undefined ? { receivedLimit: deps.rulesHopLimit } : {}),
    },
  };
}

/** The transaction and smtp-server's envelope (DSN, SMTPUTF8, BODY=) as an AcceptRequest. */
function acceptRequest(
  ctx: SessionContext,
  session: SMTPServerSession,
  facts: SessionFacts,
  tx: Transaction,
): AcceptRequest {
  const { envelope } = session;
  const dsn = envelope.dsn;
  return {
    session: facts,
    hostname: ctx.deps.hostname,
    frontendId: ctx.deps.frontendId,
    mailFrom: tx.mailFrom,
    recipients: [...tx.recipients.values()],
    maxMessageSize: ctx.deps.maxMessageSize,
    ...(ctx.deps.headerLimits ? { headerLimits: ctx.deps.headerLimits } : {}),
    ...(tx.sender ? { sender: tx.sender } : {}),
    // Sender binding: the header From/Sender are checked as the header section streams past.
    ...(tx.binding ? { headerHook: senderHeaderHook(ctx.deps.storage.directory, tx.binding) } : {}),
    ...(tx.generatedId ? { generatedId: tx.generatedId } : {}),
    ...(dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? { ret: dsn.ret } : {}),
    ...(dsn?.envid ? { envid: dsn.envid } : {}),
    ...(envelope.smtpUtf8 ? { smtputf8: true } : {}),
    ...(envelope.bodyType ? { bodyType: envelope.bodyType === '8bitmime' ? '8BITMIME' : '7BIT' } : {}),
    ...(ctx.deps.authservId ? { authservId: ctx.deps.authservId } : {}),
    ...(verifiesAuth(ctx, facts, tx) ? { verifyAuth: true } : {}),
    ...(scansContent(ctx, tx) ? { scanContent: true } : {}),
  };
}

/**
 * The content filter scans every message once, on every port (trusted networks and AUTH
 * submissions included: rspamd is told the user and the client IP and judges them itself), except
 * mail the cluster made itself: XGENID from a trusted backend (rule output in the "*" forward
 * mode) is built from a message that was scanned when it first came in, so it is not scanned
 * again. DSNs and, in queue mode, rule output never pass intake at all.
 */
function scansContent({ deps }: SessionContext, tx: Transaction): boolean {
  return deps.contentFilter !== undefined && tx.generatedId === undefined;
}

/** SPF/DKIM/DMARC/ARC run on the MX port for mail from outside: not AUTH, not trusted, not generated. */
function verifiesAuth({ deps, role }: SessionContext, facts: SessionFacts, tx: Transaction): boolean {
  if (role.name !== 'mx' || !deps.inboundAuth) return false;
  return (
    facts.authUser === undefined && tx.generatedId === undefined && !deps.trustedNetworks.contains(facts.ip)
  );
}

/** Log the result; the reply to send (250 with the queue id only when accepted). */
function answer(ctx: SessionContext, session: SMTPServerSession, facts: SessionFacts, result: AcceptResult) {
  const base = { sid: session.id, ip: facts.ip };
  if (result.ok) {
    const { queueId, size, recipients: rcpts, stored } = result;
    ctx.log.info({ event: 'smtp.accepted', ...base, user: facts.authUser, queueId, size, rcpts, stored });
    metrics.count('SmtpMessagesAccepted');
    metrics.count('SmtpBytesAccepted', {}, size);
    return { ok: true as const, message: smtpReply(replies.accepted(queueId)).message };
  }
  const failed = result.reason === 'storage' || result.reason === 'queue';
  countRejection('DATA', result.reply, result.reason);
  ctx.log[failed ? 'error' : 'info']({
    event: failed ? 'smtp.storage_failed' : 'smtp.rejected',
    ...base,
    stage: 'DATA',
    ...(facts.authUser !== undefined ? { user: facts.authUser } : {}),
    reason: result.reason,
    code: result.reply.code,
    enhanced: result.reply.enhanced,
    ...(result.error !== undefined ? { err: result.error } : {}),
  });
  return { ok: false as const, error: smtpError(result.reply) };
}

export function dataStage(ctx: SessionContext): Handlers['onData'] {
  const deps = acceptDeps(ctx);
  return (stream, session, callback) => {
    const tx = ctx.transactions.get(session.envelope);
    if (!tx || tx.recipients.size === 0) {
      stream.resume();
      return callback(smtpError(replies.noValidRecipients()));
    }
    const facts = sessionFacts(session, ctx.role);
    acceptMessage(deps, acceptRequest(ctx, session, facts, tx), stream).then(
      (result) => {
        const reply = answer(ctx, session, facts, result);
        if (reply.ok) callback(null, reply.message);
        else callback(reply.error);
      },
      (err) => {
        stream.resume();
        callback(ctx.fault(session, 'DATA', err));
      },
    );
  };
}
