/**
 * AUTH: checks the credentials with core/intake's authenticate; success sets the session's user
 * (sessionFacts reads it as authUser), a refusal answers its reply (535 5.7.8) and is logged.
 * A directory fault answers 451 4.3.0 and is logged.
 */
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { authenticate } from '../../../core/intake/authenticate.ts';
import type { Handlers, SessionContext } from './session-context.ts';

export function authStage(ctx: SessionContext): Handlers['onAuth'] {
  const { deps, log } = ctx;
  return (auth, session, callback) => {
    const credentials = {
      username: auth.username ?? '',
      password: auth.password ?? '',
      ...(auth.authzid ? { authzid: auth.authzid } : {}),
    };
    authenticate({ directory: deps.storage.directory, logger: log }, credentials).then(
      (result) => {
        if (result.ok) {
          log.info({ event: 'smtp.authenticated', sid: session.id, user: result.user, method: auth.method });
          return callback(null, { user: result.user });
        }
        ctx.rejected(session, 'AUTH', result.reply, { user: auth.username });
        callback(smtpError(result.reply));
      },
      (err) => callback(ctx.fault(session, 'AUTH', err)),
    );
  };
}
