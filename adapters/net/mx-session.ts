/**
 * One SMTP client session to a mail exchanger, for direct MX delivery: connect (TCP_NODELAY),
 * greeting, EHLO (HELO when EHLO is refused), opportunistic STARTTLS (an untrusted certificate
 * still encrypts; whether it verified is kept for MTA-STS), then any number of transactions
 * (connection reuse). Every wait has its RFC 5321 §4.5.3.2 timeout (configurable). A socket
 * error, timeout or unparseable reply rejects the pending read with a SessionError and marks the
 * session broken; the caller discards it. Replies are values, never exceptions.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { LongLineFolder } from '../../core/mail/line-folding.ts';
import type { Reply } from '../../core/mail/outcome.ts';
import { isBadReplyLine, ReplyAssembler, writeDotStuffed } from './smtp-wire.ts';

export interface SessionTimeouts {
  /** TCP connect. */
  readonly connectMs: number;
  /** The 220 greeting (RFC 5321: 5 minutes). */
  readonly greetingMs: number;
  /** EHLO, STARTTLS, MAIL, RCPT, DATA, RSET replies (RFC 5321: 5 minutes). */
  readonly commandMs: number;
  /** The reply after the final "." (RFC 5321: 10 minutes); also each body write. */
  readonly dataMs: number;
}

export interface SessionTarget {
  /** The exchanger's name (TLS SNI and certificate check, Remote-MTA). */
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly heloName: string;
  readonly timeouts: SessionTimeouts;
  /** Extra trusted CAs (tests); the system store otherwise. */
  readonly ca?: string | Buffer;
}

/** Why a session could not be used; `reply` when the server said so (a refused greeting). */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    message: string,
    readonly reply?: Reply,
  ) {
    super(message);
  }
}

/** RFC 3461 xtext: "+" and "=" and anything outside printable ASCII as +XX. */
export function xtext(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) =>
      b < 33 || b > 126 || b === 43 || b === 61
        ? `+${b.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(b),
    )
    .join('');
}

export class MxSession {
  private socket: Socket | TLSSocket;
  private readonly assembler = new ReplyAssembler();
  private waiter:
    | { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
    | undefined;
  private failure: SessionError | undefined;
  // A UTF-8 character split across two reads is decoded whole.
  private readonly decoder = new StringDecoder('utf8');
  private readonly onData = (chunk: Buffer) => this.take(this.decoder.write(chunk));
  private readonly onError = (err: Error) =>
    this.fail(new SessionError(`${this.target.host}: ${err.message}`));
  private readonly onClose = () => this.fail(new SessionError(`${this.target.host}: connection closed`));
  /** EHLO keywords (upper case) the server offered, with their parameters. */
  extensions = new Map<string, string>();
  /** STARTTLS done; and whether the certificate verified for the host name. */
  tls = false;
  tlsVerified = false;
  tlsError: string | undefined;
  /** Transactions completed on this session (reuse accounting). */
  transactions = 0;
  /** Replies read so far (a reused session that broke before any reply was stale). */
  replies = 0;

  private constructor(
    socket: Socket,
    readonly target: SessionTarget,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket | TLSSocket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  /** Connect and read the greeting; a non-2xx greeting rejects with its reply (try the next MX). */
  static async open(target: SessionTarget): Promise<MxSession> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: target.address, port: target.port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SessionError(`${target.host}[${target.address}]: connect timed out`));
      }, target.timeouts.connectMs);
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new SessionError(`${target.host}[${target.address}]: ${err.message}`));
      });
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
    });
    const session = new MxSession(socket, target);
    try {
      const greeting = await session.read(target.timeouts.greetingMs);
      if (greeting.code !== 220) throw new SessionError(`${target.host}: greeting refused`, greeting);
      await session.hello();
      return session;
    } catch (err) {
      session.close();
      throw err;
    }
  }

  private take(chunk: string): void {
    for (const reply of this.assembler.push(chunk)) {
      const w = this.waiter;
      this.waiter = undefined;
      if (!w || isBadReplyLine(reply)) {
        const line = isBadReplyLine(reply) ? reply.bad : `${reply.code} ${reply.text}`.slice(0, 200);
        this.fail(new SessionError(`${this.target.host}: unexpected reply: ${line}`));
        return;
      }
      clearTimeout(w.timer);
      this.replies += 1;
      w.resolve(reply);
    }
  }

  private fail(err: SessionError): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.socket.destroy();
  }

  private read(timeoutMs: number): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new SessionError(`${this.target.host}: no reply within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Send one command line and read its reply. */
  async command(line: string, timeoutMs = this.target.timeouts.commandMs): Promise<Reply> {
    const reply = this.read(timeoutMs);
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** EHLO (HELO when refused), then STARTTLS and EHLO again when offered. */
  private async hello(): Promise<void> {
    await this.ehlo();
    if (!this.extensions.has('STARTTLS')) return;
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return; // opportunistic: go on in the clear
    await this.startTls();
    await this.ehlo();
  }

  private async ehlo(): Promise<void> {
    const reply = await this.command(`EHLO ${this.target.heloName}`);
    this.extensions = new Map();
    if (reply.code === 250) {
      for (const line of reply.text.split('\n').slice(1)) {
        const [keyword = '', ...rest] = line.trim().split(/\s+/);
        if (keyword) this.extensions.set(keyword.toUpperCase(), rest.join(' '));
      }
      return;
    }
    const helo = await this.command(`HELO ${this.target.heloName}`);
    if (helo.code !== 250) throw new SessionError(`${this.target.host}: HELO refused`, helo);
  }

  private async startTls(): Promise<void> {
    const plain = this.socket as Socket;
    this.detach(plain);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({
        socket: plain,
        servername: this.target.host,
        // Opportunistic: an unverified certificate still encrypts; MTA-STS reads tlsVerified.
        rejectUnauthorized: false,
        ...(this.target.ca ? { ca: this.target.ca } : {}),
      });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SessionError(`${this.target.host}: TLS handshake timed out`));
      }, this.target.timeouts.commandMs);
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new SessionError(`${this.target.host}: TLS handshake failed: ${err.message}`));
      });
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
    }).catch((err: SessionError) => {
      this.failure = err;
      throw err;
    });
    this.socket = secure;
    this.tls = true;
    this.tlsVerified = secure.authorized;
    this.tlsError = secure.authorized ? undefined : String(secure.authorizationError ?? 'unverified');
    this.attach(secure);
  }

  private async write(data: Buffer | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new SessionError(`${this.target.host}: body write timed out`));
      }, this.target.timeouts.dataMs);
      const done = () => {
        clearTimeout(timer);
        this.socket.off('drain', done);
        this.socket.off('close', done);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Stream a CRLF message with lines over 998 octets folded (core/mail/line-folding.ts),
   * dot-stuffing and the final "."; the server's reply to it.
   */
  async sendBody(body: Readable): Promise<Reply> {
    // pipeline carries a body read error into writeDotStuffed's loop.
    const folded = pipeline(body, new LongLineFolder(), () => {});
    let reply: Promise<Reply> | undefined;
    await writeDotStuffed(
      folded,
      (data) => this.write(data),
      () => {
        reply = this.read(this.target.timeouts.dataMs);
      },
    );
    return reply as Promise<Reply>;
  }

  /** QUIT politely when the session is healthy; never waits long. */
  close(): void {
    if (!this.failure) {
      this.failure = new SessionError(`${this.target.host}: session closed`);
      this.socket.end('QUIT\r\n');
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
  }
}
