/**
 * smtp-server protocol callbacks for one listener: thin adapters that turn smtp-server's
 * session into core/intake's SessionFacts, call the use cases and map every Reply through
 * adapters/net/smtp-errors.ts. An authenticated sender's limits (MaxMailOutSize, MailOutFlow)
 * are read at MAIL FROM and carried to DATA; the cluster rules run inside acceptMessage.
 * A handler fault answers 451 4.3.0 and is logged; the DATA
 * stream is always drained (acceptMessage drains it on every path, and so do the guards here).
 */
import type {
  SMTPServerAddress,
  SMTPServerEnvelope,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import { smtpError, smtpReply } from '../../adapters/net/smtp-errors.ts';
import { acceptMessage } from '../../core/intake/accept-message.ts';
import { authenticate } from '../../core/intake/authenticate.ts';
import {
  type AcceptedRecipient,
  checkRecipient,
  checkSender,
  type SessionFacts,
} from '../../core/intake/envelope-checks.ts';
import { checkSenderLimits, type SenderLimits, senderLimits } from '../../core/intake/sender-limits.ts';
import type { TrustedNetworks } from '../../core/intake/trusted-networks.ts';
import type { Reply } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { Storage } from '../../core/ports/storage.ts';

export type ListenerName = 'mx' | 'submission' | 'smtps';

export interface ListenerRole {
  readonly name: ListenerName;
  /** AUTH must succeed before MAIL FROM. */
  readonly requireAuth: boolean;
  /** AUTH is offered at all (never on the MX port). */
  readonly offersAuth: boolean;
}

export interface SessionDeps {
  readonly storage: Pick<
    Storage,
    'directory' | 'mailboxes' | 'messages' | 'queue' | 'counters' | 'rules' | 'autoReplies'
  >;
  readonly trustedNetworks: TrustedNetworks;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hostname: string;
  readonly frontendId: string;
  readonly maxMessageSize: number;
  /** Checks SRS bounce addresses at RCPT (the secret the backends sign with). */
  readonly srsSecret?: string;
  /** Received headers before cluster rules stop generating mail (default 50). */
  readonly rulesHopLimit?: number;
  /** True once shutdown began: new sessions and transactions get 421. */
  readonly stopping: () => boolean;
}

/** One mail transaction's accepted recipients, keyed by the envelope smtp-server replaces on RSET. */
interface Transaction {
  readonly mailFrom: string;
  readonly recipients: Map<string, AcceptedRecipient>;
  /** The authenticated sender's limits, read at MAIL FROM. */
  readonly sender?: SenderLimits;
}

type Handlers = Required<
  Pick<SMTPServerOptions, 'onConnect' | 'onSecure' | 'onAuth' | 'onMailFrom' | 'onRcptTo' | 'onData'>
>;

export function sessionFacts(session: SMTPServerSession, role: ListenerRole): SessionFacts {
  const user = typeof session.user === 'string' ? session.user : undefined;
  return {
    ip: session.remoteAddress,
    helo: session.hostNameAppearsAs || '',
    esmtp: session.openingCommand === 'EHLO',
    tls: session.secure,
    requireAuth: role.requireAuth,
    ...(user !== undefined ? { authUser: user } : {}),
  };
}

function sizeArg(args: SMTPServerAddress['args']): number | undefined {
  const size = args ? args.SIZE : undefined;
  return typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : undefined;
}

function declaredSize(envelope: SMTPServerEnvelope): number | undefined {
  return sizeArg(envelope.mailFrom ? envelope.mailFrom.args : false);
}

export function sessionHandlers(deps: SessionDeps, role: ListenerRole): Handlers {
  const transactions = new WeakMap<SMTPServerEnvelope, Transaction>();
  const log = deps.logger.child({ listener: role.name });
  const rejected = (
    session: SMTPServerSession,
    stage: string,
    reply: Reply,
    extra: Record<string, unknown> = {},
  ) =>
    log.info({
      event: 'smtp.rejected',
      sid: session.id,
      ip: session.remoteAddress,
      stage,
      code: reply.code,
      enhanced: reply.enhanced,
      ...extra,
    });
  const fault = (session: SMTPServerSession, stage: string, err: unknown) => {
    log.error({ event: 'smtp.handler_failed', sid: session.id, stage, err });
    return smtpError(replies.localError());
  };

  return {
    onConnect(session, callback) {
      log.info({
        event: 'smtp.connect',
        sid: session.id,
        ip: session.remoteAddress,
        port: session.localPort,
      });
      if (deps.stopping()) return callback(smtpError(replies.shuttingDown()));
      // Submission offers AUTH only under TLS: hide it (not advertised, answered 5xx) until then.
      if (role.offersAuth && !session.secure) session.disabledCommands = ['AUTH'];
      callback();
    },

    onSecure(_socket, session, callback) {
      if (role.offersAuth) session.disabledCommands = undefined; // back to the listener's own list
      callback();
    },

    onAuth(auth, session, callback) {
      authenticate(
        { directory: deps.storage.directory, logger: log },
        {
          username: auth.username ?? '',
          password: auth.password ?? '',
          ...(auth.authzid ? { authzid: auth.authzid } : {}),
        },
      ).then(
        (result) => {
          if (result.ok) {
            log.info({
              event: 'smtp.authenticated',
              sid: session.id,
              user: result.user,
              method: auth.method,
            });
            return callback(null, { user: result.user });
          }
          rejected(session, 'AUTH', result.reply, { user: auth.username });
          callback(smtpError(result.reply));
        },
        (err) => callback(fault(session, 'AUTH', err)),
      );
    },

    onMailFrom(address, session, callback) {
      const start = async () => {
        if (deps.stopping()) return callback(smtpError(replies.shuttingDown()));
        const facts = sessionFacts(session, role);
        const check = checkSender(facts, address.address);
        if (!check.ok) {
          rejected(session, 'MAIL', check.reply);
          return callback(smtpError(check.reply));
        }
        const sender = facts.authUser
          ? await senderLimits(deps.storage.directory, facts.authUser)
          : undefined;
        // smtp-server sets session.envelope.mailFrom only after this callback: read SIZE= here.
        const size = sizeArg(address.args);
        const limit = sender ? await checkSenderLimits(deps.storage.counters, sender, size) : undefined;
        if (limit) {
          rejected(session, 'MAIL', limit, { user: facts.authUser });
          return callback(smtpError(limit));
        }
        transactions.set(session.envelope, {
          mailFrom: check.address,
          recipients: new Map(),
          ...(sender ? { sender } : {}),
        });
        callback();
      };
      start().catch((err) => callback(fault(session, 'MAIL', err)));
    },

    onRcptTo(address, session, callback) {
      const tx = transactions.get(session.envelope);
      if (!tx) return callback(smtpError(replies.localError()));
      const size = declaredSize(session.envelope);
      checkRecipient(
        {
          directory: deps.storage.directory,
          mailboxes: deps.storage.mailboxes,
          trustedNetworks: deps.trustedNetworks,
          logger: log,
          counters: deps.storage.counters,
          clock: deps.clock,
          ...(deps.srsSecret ? { srsSecret: deps.srsSecret } : {}),
        },
        sessionFacts(session, role),
        {
          address: address.address,
          ...(address.dsn?.orcpt !== undefined ? { orcpt: address.dsn.orcpt } : {}),
          ...(address.dsn?.notify ? { notify: address.dsn.notify } : {}),
          ...(size !== undefined ? { declaredSize: size } : {}),
        },
      ).then(
        (check) => {
          if (!check.ok) {
            rejected(session, 'RCPT', check.reply, { rcpt: address.address });
            return callback(smtpError(check.reply));
          }
          tx.recipients.set(address.address.toLowerCase(), check.recipient);
          callback();
        },
        (err) => callback(fault(session, 'RCPT', err)),
      );
    },

    onData(stream, session, callback) {
      const envelope = session.envelope;
      const tx = transactions.get(envelope);
      if (!tx || tx.recipients.size === 0) {
        stream.resume();
        return callback(smtpError(replies.noValidRecipients()));
      }
      const facts = sessionFacts(session, role);
      const dsn = envelope.dsn;
      acceptMessage(
        {
          messages: deps.storage.messages,
          queue: deps.storage.queue,
          clock: deps.clock,
          logger: log,
          counters: deps.storage.counters,
          clusterRules: {
            store: deps.storage.rules,
            autoReplies: deps.storage.autoReplies,
            directory: deps.storage.directory,
            messages: deps.storage.messages,
            clock: deps.clock,
            logger: log,
            postmaster: `postmaster@${deps.hostname}`,
            ...(deps.rulesHopLimit !== undefined ? { receivedLimit: deps.rulesHopLimit } : {}),
          },
        },
        {
          session: facts,
          hostname: deps.hostname,
          frontendId: deps.frontendId,
          mailFrom: tx.mailFrom,
          recipients: [...tx.recipients.values()],
          maxMessageSize: deps.maxMessageSize,
          ...(tx.sender ? { sender: tx.sender } : {}),
          ...(dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? { ret: dsn.ret } : {}),
          ...(dsn?.envid ? { envid: dsn.envid } : {}),
          ...(envelope.smtpUtf8 ? { smtputf8: true } : {}),
          ...(envelope.bodyType ? { bodyType: envelope.bodyType === '8bitmime' ? '8BITMIME' : '7BIT' } : {}),
        },
        stream,
      ).then(
        (result) => {
          if (result.ok) {
            log.info({
              event: 'smtp.accepted',
              sid: session.id,
              ip: facts.ip,
              user: facts.authUser,
              queueId: result.queueId,
              size: result.size,
              rcpts: result.recipients,
              stored: result.stored,
            });
            return callback(null, smtpReply(replies.accepted(result.queueId)).message);
          }
          const event =
            result.reason === 'storage' || result.reason === 'queue'
              ? 'smtp.storage_failed'
              : 'smtp.rejected';
          log[event === 'smtp.rejected' ? 'info' : 'error']({
            event,
            sid: session.id,
            ip: facts.ip,
            stage: 'DATA',
            reason: result.reason,
            code: result.reply.code,
            enhanced: result.reply.enhanced,
            ...(result.error !== undefined ? { err: result.error } : {}),
          });
          callback(smtpError(result.reply));
        },
        (err) => {
          stream.resume();
          callback(fault(session, 'DATA', err));
        },
      );
    },
  };
}
