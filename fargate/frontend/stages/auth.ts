/**
 * AUTH: checks the credentials with core/intake's authenticate; success sets the session's user
 * (sessionFacts reads it as authUser), a refusal answers its reply (535 5.7.8) and is logged.
 * From an untrusted address the cluster-wide lockout applies first (auth-lockout.ts): while the
 * address or the name is locked every attempt, right password included, is answered 454 4.7.0
 * without checking it; each 535 is counted, and the failure that reaches a limit logs
 * smtp.auth_locked. A directory or counter fault answers 451 4.3.0 and is logged.
 */
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { smtpError } from '../../../adapters/net/smtp-errors.ts';
import { authLockout, recordAuthFailure } from '../../../core/intake/auth-lockout.ts';
import { type AuthResult, authenticate } from '../../../core/intake/authenticate.ts';
import { isGuarded } from './limits.ts';
import type { Handlers, SessionContext } from './session-context.ts';

/** Check the lockout, then the credentials; count a failure. */
async function guardedAuthenticate(
  ctx: SessionContext,
  session: SMTPServerSession,
  auth: SMTPServerAuthentication,
): Promise<AuthResult> {
  const { deps, log } = ctx;
  const username = auth.username ?? '';
  const ip = session.remoteAddress;
  const lockable = isGuarded(ctx, session);
  if (lockable) {
    const locked = await authLockout(deps.storage.counters, deps.limits, ip, username);
    if (locked) {
      ctx.rejected(session, 'AUTH', locked.reply, {
        user: username,
        reason: 'auth-locked',
        scope: locked.scope,
      });
      return { ok: false, reply: locked.reply };
    }
  }
  const credentials = {
    username,
    password: auth.password ?? '',
    ...(auth.authzid ? { authzid: auth.authzid } : {}),
  };
  const result = await authenticate({ directory: deps.storage.directory, logger: log }, credentials);
  if (!result.ok && result.reply.code === 535) {
    ctx.rejected(session, 'AUTH', result.reply, { user: username });
    if (lockable) {
      for (const scope of await recordAuthFailure(deps.storage.counters, deps.limits, ip, username)) {
        const limit =
          scope === 'address' ? deps.limits.authFailuresPerAddress : deps.limits.authFailuresPerAccount;
        log.warn({
          event: 'smtp.auth_locked',
          sid: session.id,
          ip,
          user: username,
          scope,
          limit,
          windowSeconds: deps.limits.authFailureWindowSeconds,
        });
      }
    }
  } else if (!result.ok) {
    ctx.rejected(session, 'AUTH', result.reply, { user: username });
  }
  return result;
}

export function authStage(ctx: SessionContext): Handlers['onAuth'] {
  const { log } = ctx;
  return (auth, session, callback) => {
    guardedAuthenticate(ctx, session, auth).then(
      (result) => {
        if (result.ok) {
          log.info({ event: 'smtp.authenticated', sid: session.id, user: result.user, method: auth.method });
          return callback(null, { user: result.user });
        }
        callback(smtpError(result.reply));
      },
      (err) => callback(ctx.fault(session, 'AUTH', err)),
    );
  };
}
