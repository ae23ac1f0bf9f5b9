/**
 * SMTP sinks for outbound tests: real smtp-server instances listening on loopback addresses
 * (127.0.0.2, 127.0.0.3, …; Linux routes all of 127/8 to lo) on one shared port, so a test DNS
 * server can point MX names at them. Each sink records its connections (and the most open at
 * once), its transactions with their MAIL/RCPT parameters and bodies, and which connection each
 * message came on. Options: refuse the greeting (e.g. 421), hide extensions (DSN, SMTPUTF8,
 * 8BITMIME, STARTTLS), a TLS key/certificate for STARTTLS, hold each DATA a while, refuse recipients.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SinkMessage {
  readonly connection: string;
  readonly mailFrom: string;
  readonly mailParams: Record<string, unknown>;
  readonly rcpts: { address: string; notify?: string[]; orcpt?: string }[];
  readonly dsn?: { ret?: string; envid?: string };
  readonly secure: boolean;
  readonly body: string;
}

export interface SinkOptions {
  readonly greeting?: { code: number; text: string };
  readonly hide?: readonly ('DSN' | 'SMTPUTF8' | '8BITMIME' | 'STARTTLS')[];
  readonly tls?: { key: string; cert: string };
  readonly holdDataMs?: number;
  /** Close a connection idle this long (smtp-server's socketTimeout, with a 421). */
  readonly idleTimeoutMs?: number;
  /** Recipients refused at RCPT, with the reply. */
  readonly refuse?: Readonly<Record<string, { code: number; text: string }>>;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  connections = 0;
  open = 0;
  maxOpen = 0;
  private server?: SMTPServer;

  constructor(
    readonly address: string,
    private readonly opts: SinkOptions = {},
  ) {}

  private options(): SMTPServerOptions {
    const hide = new Set(this.opts.hide ?? []);
    return {
      authOptional: true,
      disableReverseLookup: true,
      hideDSN: hide.has('DSN'),
      hideSMTPUTF8: hide.has('SMTPUTF8'),
      hide8BITMIME: hide.has('8BITMIME'),
      hideSTARTTLS: hide.has('STARTTLS') || !this.opts.tls,
      ...(this.opts.tls ? { key: this.opts.tls.key, cert: this.opts.tls.cert } : {}),
      logger: false,
      closeTimeout: 500,
      ...(this.opts.idleTimeoutMs ? { socketTimeout: this.opts.idleTimeoutMs } : {}),
      onConnect: (_session, cb) => {
        this.connections += 1;
        this.open += 1;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        const g = this.opts.greeting;
        if (!g) return cb();
        return cb(Object.assign(new Error(g.text), { responseCode: g.code }));
      },
      onRcptTo: (address, _session, cb) => {
        const no = this.opts.refuse?.[address.address];
        if (!no) return cb();
        return cb(Object.assign(new Error(no.text), { responseCode: no.code }));
      },
      onClose: () => {
        this.open -= 1;
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const env = session.envelope as typeof session.envelope & {
            dsn?: { ret?: string; envid?: string };
          };
          const from = env.mailFrom || undefined;
          this.messages.push({
            connection: session.id,
            mailFrom: from ? from.address : '',
            mailParams: from ? (from.args as Record<string, unknown>) || {} : {},
            rcpts: env.rcptTo.map((r) => {
              const dsn = (r as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
              return {
                address: r.address,
                ...(dsn?.notify ? { notify: dsn.notify } : {}),
                ...(dsn?.orcpt ? { orcpt: dsn.orcpt } : {}),
              };
            }),
            ...(env.dsn ? { dsn: env.dsn } : {}),
            secure: Boolean(session.secure),
            body: Buffer.concat(chunks).toString('utf8'),
          });
          setTimeout(() => cb(), this.opts.holdDataMs ?? 0);
        });
      },
    };
  }

  listen(port: number): Promise<void> {
    this.server = new SMTPServer(this.options());
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, this.address, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** Start sinks on their addresses, all on one free port (retried when a port is taken on one). */
export async function startSinks(sinks: readonly SmtpSink[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const started: SmtpSink[] = [];
    try {
      for (const s of sinks) {
        await s.listen(port);
        started.push(s);
      }
      return port;
    } catch {
      await Promise.all(started.map((s) => s.close()));
    }
  }
  throw new Error('no free port shared by every sink address');
}
