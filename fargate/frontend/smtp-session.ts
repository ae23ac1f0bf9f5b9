/**
 * smtp-server protocol callbacks for one listener, wired in SMTP order: one module per stage in
 * stages/ — connect and STARTTLS (connect.ts), AUTH (auth.ts), MAIL FROM (mail-from.ts), RCPT TO
 * (rcpt-to.ts), DATA (data.ts), and the abuse limits they share (limits.ts). Each is a thin adapter that turns smtp-server's session into
 * core/intake's SessionFacts, calls the use case and maps every Reply through
 * adapters/net/smtp-errors.ts. An authenticated sender's limits (MaxMailOutSize, MailOutFlow) are
 * read at MAIL FROM and carried to DATA in the transaction; the cluster rules run inside
 * acceptMessage. A handler fault answers 451 4.3.0 and is logged; the DATA stream is always
 * drained (acceptMessage drains it on every path, and so do the DATA stage's guards).
 */
import { authStage } from './stages/auth.ts';
import { closeStage, connectStage, secureStage } from './stages/connect.ts';
import { dataStage } from './stages/data.ts';
import { mailFromStage } from './stages/mail-from.ts';
import { rcptToStage } from './stages/rcpt-to.ts';
import {
  type Handlers,
  type ListenerRole,
  type SessionDeps,
  sessionContext,
} from './stages/session-context.ts';

export type { ListenerName, ListenerRole, SessionDeps } from './stages/session-context.ts';

export function sessionHandlers(deps: SessionDeps, role: ListenerRole): Handlers {
  const ctx = sessionContext(deps, role);
  return {
    onConnect: connectStage(ctx),
    onSecure: secureStage(ctx),
    onAuth: authStage(ctx),
    onMailFrom: mailFromStage(ctx),
    onRcptTo: rcptToStage(ctx),
    onData: dataStage(ctx),
    onClose: closeStage(ctx),
  };
}
