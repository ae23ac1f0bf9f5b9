/**
 * The frontend's three SMTP listeners from one config: MX (STARTTLS offered, no AUTH),
 * submission (STARTTLS, AUTH only after TLS and required before MAIL) and implicit TLS (AUTH
 * required). `listen` rejects if any port cannot be bound (and closes the others); `close`
 * stops accepting, answers 421 to sessions that are not in the middle of a message, lets
 * messages in flight finish, and force-closes whatever is left after closeTimeoutMs.
 */
import type { AddressInfo } from 'node:net';
import type { pino } from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { smtpReply } from '../../adapters/net/smtp-errors.ts';
import type { FrontendConfig } from '../../core/config/frontend-config.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import { smtpProtocolLogger, wantsProtocolLog } from '../../runtime/logger.ts';
import type { TlsMaterial } from '../../runtime/tls.ts';
import { type ListenerName, type ListenerRole, type SessionDeps, sessionHandlers } from './smtp-session.ts';

export interface Listener {
  readonly role: ListenerRole;
  readonly server: SMTPServer;
  readonly port: number;
}

export interface SmtpListeners {
  readonly listeners: readonly Listener[];
  /** Bind every port; resolves with the bound ports (port 0 becomes the real one). */
  listen(): Promise<Record<ListenerName, number>>;
  close(): Promise<void>;
}

const ROLES: Record<ListenerName, ListenerRole> = {
  mx: { name: 'mx', requireAuth: false, offersAuth: false },
  submission: { name: 'submission', requireAuth: true, offersAuth: true },
  smtps: { name: 'smtps', requireAuth: true, offersAuth: true },
};

/** A connection between messages: nothing would be lost by closing it now. */
interface ConnectionState {
  _dataStream: unknown;
  _handlerPending: boolean;
  _closing: boolean;
  send(code: number, data?: string): void;
}

export function createSmtpListeners(
  config: FrontendConfig,
  tls: TlsMaterial,
  deps: SessionDeps & { readonly pinoLogger?: pino.Logger },
): SmtpListeners {
  const ports: Record<ListenerName, number> = {
    mx: config.mxPort,
    submission: config.submissionPort,
    smtps: config.tlsPort,
  };
  const protocolLog =
    deps.pinoLogger && wantsProtocolLog(config.logLevel) ? smtpProtocolLogger(deps.pinoLogger) : false;

  const listeners: Listener[] = (Object.keys(ROLES) as ListenerName[]).map((name) => {
    const role = ROLES[name];
    const options: SMTPServerOptions = {
      name: config.hostname,
      // The frontend id in the greeting tells operators (and tests) which worker took a session.
      banner: `Strato ready (${deps.frontendId})`,
      key: tls.key,
      cert: tls.cert,
      secure: name === 'smtps',
      size: config.maxMessageSize,
      hideSize: false,
      // We decide about oversized messages ourselves (552 5.3.4 vs the per-account 5.2.3).
      rejectOversized: false,
      hidePIPELINING: false,
      hide8BITMIME: false,
      hideSMTPUTF8: false,
      hideENHANCEDSTATUSCODES: false,
      hideDSN: false,
      hideSTARTTLS: false,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !role.requireAuth,
      authRequiredMessage: smtpReply(replies.authRequired()).message,
      disabledCommands: role.offersAuth ? [] : ['AUTH'],
      disableReverseLookup: !config.reverseDns,
      maxRecipients: config.maxRecipients,
      socketTimeout: config.socketTimeoutMs,
      closeTimeout: config.closeTimeoutMs,
      logger: protocolLog,
      ...sessionHandlers(deps, role),
    };
    const server = new SMTPServer(options);
    // Client socket errors (resets, TLS failures) are routine; an 'error' without a listener would crash.
    server.on('error', (err: Error & { code?: string }) =>
      deps.logger.debug({ event: 'smtp.socket_error', listener: name, code: err.code, err: err.message }),
    );
    return { role, server, port: ports[name] };
  });

  let sweeper: NodeJS.Timeout | undefined;
  const sweepIdle = () => {
    for (const { server } of listeners) {
      for (const conn of server.connections as Set<unknown> as Set<ConnectionState>) {
        if (!conn._dataStream && !conn._handlerPending && !conn._closing) {
          // 421 makes smtp-server close the connection after sending it.
          conn.send(421, smtpReply(replies.shuttingDown()).message);
        }
      }
    }
  };

  return {
    listeners,
    async listen() {
      const bound = {} as Record<ListenerName, number>;
      try {
        for (const l of listeners) {
          await new Promise<void>((resolve, reject) => {
            const onError = (err: Error) => reject(err);
            l.server.server.once('error', onError);
            l.server.listen(l.port, config.listenHost, () => {
              l.server.server.off('error', onError);
              resolve();
            });
          });
          bound[l.role.name] = (l.server.server.address() as AddressInfo).port;
        }
      } catch (err) {
        await Promise.all(
          listeners.map(
            (l) => new Promise<void>((r) => (l.server.server.listening ? l.server.close(r) : r())),
          ),
        );
        throw err;
      }
      return bound;
    },
    async close() {
      const closed = Promise.all(
        listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))),
      );
      sweepIdle();
      // Sessions that finish a message in flight become idle later: keep sweeping until all are gone.
      sweeper = setInterval(sweepIdle, 100);
      try {
        await closed;
      } finally {
        clearInterval(sweeper);
      }
    },
  };
}
