/**
 * The frontend's SMTP listeners from one config: MX (STARTTLS offered, no AUTH),
 * submission (STARTTLS, AUTH only after TLS and required before MAIL), implicit TLS (AUTH
 * required) and, when STRATO_INTERNAL_SMTP_PORT is set, an internal MX-like listener for the
 * backends' generated mail. `listen` rejects if any port cannot be bound (and closes the others); `close`
 * stops accepting, answers 421 to sessions that are not in the middle of a message, lets
 * messages in flight finish, and force-closes whatever is left after closeTimeoutMs.
 * While listening, a sweep every second ends guarded sessions older than the session limit
 * (421 4.7.0; one in the middle of our DATA handling is left to finish first), which catches
 * idle and trickling sessions that send no command; and this frontend's open sessions are kept
 * alive in the cluster-wide ClientSessions (open-sessions.ts). Each listener waits its own
 * greeting delay (STRATO_*_GREETING_DELAY_MS; adapters/net/smtp-greeting-delay.ts) before 220;
 * clients in the trusted networks are greeted at once.
 */
import type { AddressInfo } from 'node:net';
import type { pino } from 'pino';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { smtpReply } from '../../adapters/net/smtp-errors.ts';
import { installGreetingDelay, setGreetingDelay } from '../../adapters/net/smtp-greeting-delay.ts';
import type { FrontendConfig } from '../../core/config/frontend-config.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { ClientSessions } from '../../core/ports/client-sessions.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { metrics } from '../../core/util/metrics.ts';
import { smtpProtocolLogger, wantsProtocolLog } from '../../runtime/logger.ts';
import type { TlsMaterial } from '../../runtime/tls.ts';
import { OpenSessions } from './open-sessions.ts';
import { type ListenerName, type ListenerRole, type SessionDeps, sessionHandlers } from './smtp-session.ts';
import { guardOf } from './stages/limits.ts';

export interface Listener {
  readonly role: ListenerRole;
  readonly server: SMTPServer;
  readonly port: number;
}

export interface SmtpListeners {
  readonly listeners: readonly Listener[];
  /** Bind every port; resolves with the bound ports (port 0 becomes the real one). */
  listen(): Promise<Partial<Record<ListenerName, number>>>;
  close(): Promise<void>;
  /** SMTP sessions open now on all listeners (the frontend's heartbeat reports it). */
  sessions(): number;
  /** Serve new TLS handshakes with this certificate; open sessions keep theirs. */
  updateTls(tls: TlsMaterial): void;
}

installGreetingDelay();

/** The wait before each listener's 220 greeting (0 = at once; the internal one serves our backends). */
function greetingDelayMs(config: FrontendConfig, name: ListenerName): number {
  if (name === 'mx') return config.mxGreetingDelayMs;
  if (name === 'submission') return config.submissionGreetingDelayMs;
  if (name === 'smtps') return config.smtpsGreetingDelayMs;
  return 0;
}

const ROLES: Record<ListenerName, ListenerRole> = {
  mx: { name: 'mx', requireAuth: false, offersAuth: false },
  submission: { name: 'submission', requireAuth: true, offersAuth: true },
  smtps: { name: 'smtps', requireAuth: true, offersAuth: true },
  // Like MX, for the backends' generated mail ("forward to frontends"); on AWS only the backends'
  // security group reaches it. XGENID and relay still need a trusted network.
  internal: { name: 'internal', requireAuth: false, offersAuth: false },
};

/** A connection between messages: nothing would be lost by closing it now. */
interface ConnectionState {
  _dataStream: unknown;
  _handlerPending: boolean;
  _closing: boolean;
  session: SMTPServerSession;
  send(code: number, data?: string): void;
}

type ListenerDeps = Omit<SessionDeps, 'openSessions'> & {
  readonly pinoLogger?: pino.Logger;
  /** The cluster-wide store behind the per-address session cap. */
  readonly clientSessions: ClientSessions;
};

/** smtp-server's options for one listener: the role decides TLS mode and AUTH. */
function listenerOptions(
  config: FrontendConfig,
  tls: TlsMaterial,
  deps: SessionDeps,
  role: ListenerRole,
  protocolLog: SMTPServerOptions['logger'],
): SMTPServerOptions {
  return {
    name: config.hostname,
    // The frontend id in the greeting tells operators (and tests) which worker took a session.
    banner: `Strato ready (${deps.frontendId})`,
    key: tls.key,
    cert: tls.cert,
    secure: role.name === 'smtps',
    size: config.maxMessageSize,
    hideSize: false,
    // We decide about oversized messages ourselves (552 5.3.4 vs the per-account 5.2.3).
    rejectOversized: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    // Address syntax and length are ours (core/mail/address.ts: 501 5.1.7 / 5.1.3 naming the
    // reason); smtp-server's strict mode caps local@domain at 253 octets, under RFC 5321's 254.
    lenientAddressParsing: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    hideSTARTTLS: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !role.requireAuth,
    authRequiredMessage: smtpReply(replies.authRequired()).message,
    disabledCommands: role.offersAuth ? [] : ['AUTH'],
    disableReverseLookup: !config.reverseDns,
    maxRecipients: config.maxRecipients,
    // The per-task session cap of the public listeners (the internal one serves our backends).
    ...(config.maxClients > 0 && role.name !== 'internal' ? { maxClients: config.maxClients } : {}),
    socketTimeout: config.socketTimeoutMs,
    closeTimeout: config.closeTimeoutMs,
    logger: protocolLog,
    ...sessionHandlers(deps, role),
  };
}

/** The configured port of each listener (0 binds any free port); internal only when set. */
function configuredPorts(config: FrontendConfig): Partial<Record<ListenerName, number>> {
  return {
    mx: config.mxPort,
    submission: config.submissionPort,
    smtps: config.tlsPort,
    ...(config.internalPort !== undefined ? { internal: config.internalPort } : {}),
  };
}

/** SMTP sessions open now on all listeners. */
const openCount = (listeners: readonly Listener[]) =>
  listeners.reduce((n, l) => n + (l.server.connections as Set<unknown>).size, 0);

/** Answer 421 to every session between messages (smtp-server then closes it). */
function sweepIdle(listeners: readonly Listener[]): void {
  for (const { server } of listeners) {
    for (const conn of server.connections as Set<unknown> as Set<ConnectionState>) {
      if (!conn._dataStream && !conn._handlerPending && !conn._closing) {
        // 421 makes smtp-server close the connection after sending it.
        conn.send(421, smtpReply(replies.shuttingDown()).message);
      }
    }
  }
}

/** End guarded sessions past their length limit (not while our DATA handler is working). */
function sweepExpired(listeners: readonly Listener[], now: number, logger: Logger): void {
  for (const { server, role } of listeners) {
    for (const conn of server.connections as Set<unknown> as Set<ConnectionState>) {
      if (conn._closing || conn._handlerPending) continue;
      const reply = guardOf(conn.session)?.expired(now);
      if (!reply) continue;
      logger.info({
        event: 'smtp.session_limit',
        listener: role.name,
        sid: conn.session.id,
        ip: conn.session.remoteAddress,
        limit: 'duration',
        code: reply.code,
        enhanced: reply.enhanced,
      });
      conn.send(reply.code, smtpReply(reply).message);
    }
  }
}

/** Bind one listener; resolves with its bound port, rejects if the port cannot be bound. */
async function bind(l: Listener, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    l.server.server.once('error', onError);
    l.server.listen(l.port, host, () => {
      l.server.server.off('error', onError);
      resolve();
    });
  });
  return (l.server.server.address() as AddressInfo).port;
}

/** Bind every listener in turn; if one fails, close those already listening and reject. */
async function listenAll(
  listeners: readonly Listener[],
  host: string,
): Promise<Partial<Record<ListenerName, number>>> {
  const bound: Partial<Record<ListenerName, number>> = {};
  try {
    for (const l of listeners) bound[l.role.name] = await bind(l, host);
  } catch (err) {
    await Promise.all(
      listeners.map((l) => new Promise<void>((r) => (l.server.server.listening ? l.server.close(r) : r()))),
    );
    throw err;
  }
  return bound;
}

/** Stop accepting, send idle sessions 421 until every session has ended. */
async function closeAll(listeners: readonly Listener[]): Promise<void> {
  const closed = Promise.all(
    listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))),
  );
  sweepIdle(listeners);
  // Sessions that finish a message in flight become idle later: keep sweeping until all are gone.
  const sweeper = setInterval(() => sweepIdle(listeners), 100);
  try {
    await closed;
  } finally {
    clearInterval(sweeper);
  }
}

export function createSmtpListeners(
  config: FrontendConfig,
  tls: TlsMaterial,
  deps: ListenerDeps,
): SmtpListeners {
  const ports = configuredPorts(config);
  const protocolLog =
    deps.pinoLogger && wantsProtocolLog(config.logLevel) ? smtpProtocolLogger(deps.pinoLogger) : false;

  const openSessions = new OpenSessions(deps.clientSessions, deps.logger);
  const sessionDeps: SessionDeps = { ...deps, openSessions };
  const names = (Object.keys(ROLES) as ListenerName[]).filter((name) => ports[name] !== undefined);
  const listeners: Listener[] = names.map((name) => {
    const role = ROLES[name];
    const server = new SMTPServer(listenerOptions(config, tls, sessionDeps, role, protocolLog));
    // Trusted networks skip the wait, as they skip every abuse limit (limits.ts).
    setGreetingDelay(server, greetingDelayMs(config, name), (ip) => deps.trustedNetworks.contains(ip));
    // Client socket errors (resets, TLS failures) are routine; an 'error' without a listener would crash.
    server.on('error', (err: Error & { code?: string }) =>
      deps.logger.debug({ event: 'smtp.socket_error', listener: name, code: err.code, err: err.message }),
    );
    return { role, server, port: ports[name]! };
  });

  let sweeper: NodeJS.Timeout | undefined;
  return {
    listeners,
    async listen() {
      const bound = await listenAll(listeners, config.listenHost);
      openSessions.start();
      sweeper = setInterval(() => {
        sweepExpired(listeners, deps.clock.now(), deps.logger);
        metrics.gauge('SmtpSessionsOpen', openCount(listeners));
      }, 1000);
      sweeper.unref();
      metrics.gauge('SmtpSessionsOpen', 0);
      return bound;
    },
    async close() {
      clearInterval(sweeper);
      await closeAll(listeners);
      openSessions.stop();
    },
    sessions: () => openCount(listeners),
    updateTls: (tls) => {
      for (const { server } of listeners) server.updateSecureContext({ key: tls.key, cert: tls.cert });
    },
  };
}
