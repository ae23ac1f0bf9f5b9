/**
 * Connect, STARTTLS and close. A new session is logged and, once shutdown began, refused with 421.
 * A guarded session (public listener, untrusted address; see limits.ts) gets its SessionGuard and
 * is counted in ClientSessions: over the per-address cap it is refused with 421 4.7.0; its entry
 * goes at close.
 * Submission offers AUTH only under TLS: AUTH is hidden (not advertised, answered 5xx) until the
 * session is secure, then the listener's own list applies again; AUTH before that is answered
 * 530 5.7.0 (see AUTH_NEEDS_TLS). On the MX port an optional DNSBL check may refuse the client
 * (dnsbl-gate.ts). Neither stage can fail.
 */
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { AUTH_NEEDS_TLS } from '../../../adapters/net/smtp-replies-shim.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { metrics } from '../../../core/util/metrics.ts';
import { dnsblApplies, dnsblGate } from './dnsbl-gate.ts';
import { closeClientSession, installSessionGuard, isGuarded, openClientSession } from './limits.ts';
import type { Handlers, SessionContext } from './session-context.ts';

export function connectStage(ctx: SessionContext): Handlers['onConnect'] {
  const { deps, role, log } = ctx;
  return (session, callback) => {
    log.info({ event: 'smtp.connect', sid: session.id, ip: session.remoteAddress, port: session.localPort });
    metrics.count('SmtpConnections');
    if (deps.stopping()) return callback(smtpError(replies.shuttingDown()));
    if (role.offersAuth && !session.secure) {
      session.disabledCommands = ['AUTH'];
      (session as { [AUTH_NEEDS_TLS]?: boolean })[AUTH_NEEDS_TLS] = true;
    }
    // DNSBL first (a listed client never takes a session slot), then the per-address cap.
    const guard = () => {
      if (!isGuarded(ctx, session)) return callback();
      installSessionGuard(ctx, session);
      void openClientSession(ctx, session).then((refused) =>
        callback(refused ? smtpError(refused) : undefined),
      );
    };
    if (!dnsblApplies(ctx, session)) return guard();
    dnsblGate(ctx, session, (err) => (err ? callback(err) : guard()));
  };
}

export function closeStage(ctx: SessionContext): Handlers['onClose'] {
  return (session, callback) => {
    closeClientSession(ctx, session);
    callback();
  };
}

export function secureStage({ role }: SessionContext): Handlers['onSecure'] {
  return (_socket, session, callback) => {
    if (role.offersAuth) {
      session.disabledCommands = undefined; // back to the listener's own list
      (session as { [AUTH_NEEDS_TLS]?: boolean })[AUTH_NEEDS_TLS] = false;
    }
    callback();
  };
}
