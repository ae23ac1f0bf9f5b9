/**
 * The abuse limits as the stages apply them (README "Security"). Guarded sessions are those on a
 * public listener (MX, submission, implicit TLS) from outside the trusted networks; the internal
 * listener and trusted networks are exempt from every limit. Per guarded session: a SessionGuard
 * (commands, length, unknown or bad commands through the shim's COMMAND_GUARD, invalid recipients, the
 * tarpit) and an entry in the cluster-wide ClientSessions (the per-address session cap; an
 * address is counted by clientAddressKey: IPv6 by its /64). The
 * AUTH lockout applies where AUTH is offered, the per-address message and recipient rates on MX
 * to unauthenticated clients. Each limit that closes or refuses is logged with its name.
 * Failure: a ClientSessions fault at connect lets the client in (logged): a storage hiccup must
 * not refuse everyone.
 */
import type { SMTPServerSession } from 'smtp-server';
import { COMMAND_GUARD, type CommandGuard } from '../../../adapters/net/smtp-replies-shim.ts';
import { clientAddressKey } from '../../../core/intake/client-address.ts';
import { SessionGuard, type Verdict } from '../../../core/intake/session-guard.ts';
import type { Reply } from '../../../core/mail/outcome.ts';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { countRejection } from './rejection-metrics.ts';
import type { SessionContext } from './session-context.ts';

/** Set on a guarded session: its SessionGuard (the listeners' sweep reads the deadline). */
export const SESSION_GUARD = Symbol.for('strato.session-guard');
/** Set once the session is recorded in ClientSessions: its key there. */
const SESSION_KEY = Symbol.for('strato.client-session-key');

type GuardedSession = SMTPServerSession & {
  [SESSION_GUARD]?: SessionGuard;
  [SESSION_KEY]?: string;
  [COMMAND_GUARD]?: CommandGuard;
};

/** On a public listener and not from a trusted network. */
export function isGuarded(ctx: SessionContext, session: SMTPServerSession): boolean {
  return ctx.role.name !== 'internal' && !ctx.deps.trustedNetworks.contains(session.remoteAddress);
}

export function guardOf(session: SMTPServerSession): SessionGuard | undefined {
  return (session as GuardedSession)[SESSION_GUARD];
}

/** Log a limit that closes the session (the caller sends the 421). */
export function logSessionLimit(
  ctx: SessionContext,
  session: SMTPServerSession,
  limit: string,
  reply: Reply,
) {
  countRejection('SESSION', reply);
  ctx.log.info({
    event: 'smtp.session_limit',
    sid: session.id,
    ip: session.remoteAddress,
    limit,
    code: reply.code,
    enhanced: reply.enhanced,
  });
}

/** Give a guarded session its SessionGuard and show it every command line (through the shim). */
export function installSessionGuard(ctx: SessionContext, session: SMTPServerSession): SessionGuard {
  const s = session as GuardedSession;
  const guard = new SessionGuard(ctx.deps.limits, ctx.deps.clock.now());
  s[SESSION_GUARD] = guard;
  const seen = (verdict: Verdict, fields: Record<string, unknown>): Verdict => {
    if (verdict.close) logSessionLimit(ctx, session, guard.closedBy ?? 'commands', verdict.close);
    else if (fields.bad) {
      ctx.log.info({
        event: 'smtp.bad_command',
        sid: session.id,
        ip: s.remoteAddress,
        ...fields,
        delayMs: verdict.delayMs,
      });
    }
    return verdict;
  };
  s[COMMAND_GUARD] = {
    command: (command, unknown) =>
      seen(guard.command(ctx.deps.clock.now(), unknown), { bad: unknown, command, code: 500 }),
    badCommand: (code) => seen(guard.badCommand(), { bad: true, code }),
  };
  return guard;
}

/** Record the session cluster-wide; the 421 when its address has more sessions than allowed. */
export async function openClientSession(
  ctx: SessionContext,
  session: SMTPServerSession,
): Promise<Reply | undefined> {
  const limit = ctx.deps.limits.sessionsPerAddress;
  if (limit === 0) return undefined;
  const ip = session.remoteAddress;
  const client = clientAddressKey(ip);
  const key = `${ctx.deps.frontendId}:${session.id}`;
  try {
    (session as GuardedSession)[SESSION_KEY] = key;
    const count = await ctx.deps.openSessions.open(client, key);
    if (count <= limit) return undefined;
    await ctx.deps.openSessions.close(client, key);
    const reply = replies.tooManySessions(limit);
    countRejection('CONNECT', reply);
    ctx.log.info({
      event: 'smtp.session_limit',
      sid: session.id,
      ip,
      limit: 'sessions-per-address',
      sessions: count,
      code: reply.code,
      enhanced: reply.enhanced,
    });
    return reply;
  } catch (err) {
    ctx.log.warn({ event: 'smtp.client_sessions_failed', sid: session.id, ip, err });
    return undefined;
  }
}

/** The session ended: forget it cluster-wide (a fault is logged; the entry then expires). */
export function closeClientSession(ctx: SessionContext, session: SMTPServerSession): void {
  const key = (session as GuardedSession)[SESSION_KEY];
  if (key === undefined) return;
  ctx.deps.openSessions.close(clientAddressKey(session.remoteAddress), key).catch((err) => {
    ctx.log.warn({ event: 'smtp.client_sessions_failed', sid: session.id, ip: session.remoteAddress, err });
  });
}

/** Wait `ms` (the tarpit) before answering. */
export function tarpit(ms: number, then: () => void): void {
  if (ms > 0) setTimeout(then, ms);
  else then();
}
