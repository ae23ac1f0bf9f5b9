/**
 * What every SMTP stage of one listener shares: the listener's role and dependencies, its logger,
 * the open mail transactions (keyed by the envelope smtp-server replaces on RSET, so a reset
 * transaction is simply gone), and the two ways a stage answers badly — `rejected` logs a refusal
 * (the reply is the caller's), `fault` logs a handler failure and gives the 451 4.3.0 to send.
 */

import type { SMTPServerEnvelope, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { type SmtpServerError, smtpError } from '../../../adapters/net/smtp-errors.ts';
import type { AbuseLimits } from '../../../core/config/frontend-config.ts';
import type { ContentScanDeps } from '../../../core/intake/content-scan.ts';
import type { DnsblDeps } from '../../../core/intake/dnsbl.ts';
import type { AcceptedRecipient, SessionFacts } from '../../../core/intake/envelope-checks.ts';
import type { HeaderLimits } from '../../../core/intake/header-limits.ts';
import type { InboundAuthDeps } from '../../../core/intake/inbound-auth.ts';
import type { SenderBinding } from '../../../core/intake/sender-binding.ts';
import type { SenderLimits } from '../../../core/intake/sender-limits.ts';
import type { TrustedNetworks } from '../../../core/intake/trusted-networks.ts';
import type { Reply } from '../../../core/mail/outcome.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { Logger } from '../../../core/ports/logger.ts';
import type { Storage } from '../../../core/ports/storage.ts';
import type { HistoryRecorder } from '../../../core/util/history-recorder.ts';
import type { OpenSessions } from '../open-sessions.ts';
import { countRejection } from './rejection-metrics.ts';

/** The public listeners, and `internal`: plain SMTP for the backends' generated mail (optional). */
export type ListenerName = 'mx' | 'submission' | 'smtps' | 'internal';

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
  > &
    Partial<Pick<Storage, 'suppressions'>>;
  readonly trustedNetworks: TrustedNetworks;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hostname: string;
  readonly frontendId: string;
  readonly maxMessageSize: number;
  /** Header limits (STRATO_MAX_HEADER_*; default DEFAULT_HEADER_LIMITS): 552 5.3.4 at DATA. */
  readonly headerLimits?: HeaderLimits;
  /** Checks SRS bounce addresses at RCPT (the secret the backends sign with). */
  readonly srsSecret?: string;
  /** Accept IP-literal recipients (STRATO_ALLOW_IP_LITERAL_RECIPIENTS; default refused 550 5.7.1). */
  readonly allowIpLiteralRecipients?: boolean;
  /** STRATO_POSTMASTER: where bare `postmaster` and unknown postmaster@<hosted domain> go. */
  readonly postmaster?: string;
  /** Received headers before cluster rules stop generating mail (default: DEFAULT_RULES_HOP_LIMIT). */
  readonly rulesHopLimit?: number;
  /** Abuse limits of the public listeners (README "Security"). */
  readonly limits: AbuseLimits;
  /** This frontend's sessions in the cluster-wide ClientSessions (the per-address cap). */
  readonly openSessions: OpenSessions;
  /** True once shutdown began: new sessions and transactions get 421. */
  readonly stopping: () => boolean;
  /** Message history (best-effort): intake records each accepted message. */
  readonly history?: HistoryRecorder;
  /** Our authserv-id: incoming Authentication-Results claiming it are removed on every port. */
  readonly authservId?: string;
  /** SPF/DKIM/DMARC/ARC on the MX port (STRATO_INBOUND_AUTH); absent = not verified. */
  readonly inboundAuth?: InboundAuthDeps;
  /** The content filter (STRATO_CONTENT_FILTER) with its breaker and fallback; absent = none. */
  readonly contentFilter?: ContentScanDeps;
  /** DNSBL zones asked at connect on the MX port (STRATO_DNSBL_ZONES); absent = no check. */
  readonly dnsbl?: DnsblDeps;
}

/** One mail transaction: its sender and accepted recipients, from MAIL FROM to DATA. */
export interface Transaction {
  readonly mailFrom: string;
  readonly recipients: Map<string, AcceptedRecipient>;
  /** The authenticated sender's limits, read at MAIL FROM. */
  readonly sender?: SenderLimits;
  /** An authenticated (not trusted) sender's binding: checked again on the header From at DATA. */
  readonly binding?: SenderBinding;
  /** XGENID from a trusted backend: the generated message's derived queue id. */
  readonly generatedId?: string;
}

export type Handlers = Required<
  Pick<
    SMTPServerOptions,
    'onConnect' | 'onSecure' | 'onAuth' | 'onMailFrom' | 'onRcptTo' | 'onData' | 'onClose'
  >
>;

export interface SessionContext {
  readonly deps: SessionDeps;
  readonly role: ListenerRole;
  readonly log: Logger;
  readonly transactions: WeakMap<SMTPServerEnvelope, Transaction>;
  /** Log a refusal at `stage` (the stage sends the reply). */
  rejected(session: SMTPServerSession, stage: string, reply: Reply, extra?: Record<string, unknown>): void;
  /** Log a handler failure at `stage`; the error to answer with (451 4.3.0). */
  fault(session: SMTPServerSession, stage: string, err: unknown): SmtpServerError;
}

export function sessionContext(deps: SessionDeps, role: ListenerRole): SessionContext {
  const log = deps.logger.child({ listener: role.name });
  return {
    deps,
    role,
    log,
    transactions: new WeakMap(),
    rejected(session, stage, reply, extra = {}) {
      countRejection(stage, reply);
      log.info({
        event: 'smtp.rejected',
        sid: session.id,
        ip: session.remoteAddress,
        stage,
        code: reply.code,
        enhanced: reply.enhanced,
        ...extra,
      });
    },
    fault(session, stage, err) {
      log.error({ event: 'smtp.handler_failed', sid: session.id, stage, err });
      return smtpError(replies.localError());
    },
  };
}

/** smtp-server's session as core/intake's SessionFacts. */
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
