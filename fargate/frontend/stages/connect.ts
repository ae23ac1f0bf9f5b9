/**
 * Connect and STARTTLS. A new session is logged and, once shutdown began, refused with 421.
 * Submission offers AUTH only under TLS: AUTH is hidden (not advertised, answered 5xx) until the
 * session is secure, then the listener's own list applies again. Neither stage can fail.
 */
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import type { Handlers, SessionContext } from './session-context.ts';

export function connectStage({ deps, role, log }: SessionContext): Handlers['onConnect'] {
  return (session, callback) => {
    log.info({ event: 'smtp.connect', sid: session.id, ip: session.remoteAddress, port: session.localPort });
    if (deps.stopping()) return callback(smtpError(replies.shuttingDown()));
    if (role.offersAuth && !session.secure) session.disabledCommands = ['AUTH'];
    callback();
  };
}

export function secureStage({ role }: SessionContext): Handlers['onSecure'] {
  return (_socket, session, callback) => {
    if (role.offersAuth) session.disabledCommands = undefined; // back to the listener's own list
    callback();
  };
}
