/**
 * A raw SMTP client for tests that need exact control of the bytes on the wire: send any line
 * or byte sequence (bare LF, pipelined commands, smuggling attempts) and read replies one at a
 * time, with STARTTLS and implicit TLS (self-signed certificates accepted). Each read times out
 * instead of hanging a test; a closed connection rejects pending reads.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

export interface SmtpResponse {
  readonly code: number;
  /** Each line's text after "250-" / "250 ". */
  readonly lines: readonly string[];
  /** The last line in full, e.g. "550 5.1.1 <x@y>: Recipient address rejected: no such user". */
  readonly last: string;
}

export class RawSmtp {
  private buffer = '';
  private readonly pending: string[] = [];
  private readonly replies: SmtpResponse[] = [];
  private waiter: { resolve: (r: SmtpResponse) => void; reject: (e: Error) => void } | undefined;
  private closedError: Error | undefined;
  closed = false;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /** `localAddress` picks the client address (e.g. 127.0.0.7: all of 127/8 is loopback on Linux). */
  static connect(
    port: number,
    opts: { host?: string; tls?: boolean; localAddress?: string } = {},
  ): Promise<RawSmtp> {
    const host = opts.host ?? '127.0.0.1';
    const from = opts.localAddress ? { localAddress: opts.localAddress } : {};
    return new Promise((resolve, reject) => {
      const socket: Socket = opts.tls
        ? tlsConnect({ port, host, rejectUnauthorized: false, ...from }, () => resolve(new RawSmtp(socket)))
        : netConnect({ port, host, ...from }, () => resolve(new RawSmtp(socket)));
      socket.once('error', reject);
    });
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      this.closed = true;
      this.fail(new Error('connection closed'));
    });
  }

  private onData(text: string): void {
    this.buffer += text;
    let i = this.buffer.indexOf('\r\n');
    while (i >= 0) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      this.pending.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        const lines = this.pending.splice(0).map((l) => l.slice(4));
        this.replies.push({ code: Number(line.slice(0, 3)), lines, last: line });
      }
      i = this.buffer.indexOf('\r\n');
    }
    this.deliver();
  }

  private deliver(): void {
    if (this.waiter && this.replies.length > 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(this.replies.shift()!);
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    if (this.waiter && this.replies.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(err);
    }
  }

  /** The next reply from the server. */
  read(timeoutMs = 10_000): Promise<SmtpResponse> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift()!);
    if (this.closedError && this.closed) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no SMTP reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Write bytes exactly as given. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Write bytes and wait until the socket takes more (client-side backpressure). */
  async writeDrained(data: string | Buffer): Promise<void> {
    if (!this.socket.write(data)) await new Promise((resolve) => this.socket.once('drain', resolve));
  }

  /** Send one command line (CRLF added) and read its reply. */
  async command(line: string, timeoutMs?: number): Promise<SmtpResponse> {
    this.write(`${line}\r\n`);
    return this.read(timeoutMs);
  }

  /** STARTTLS and switch this client onto the TLS socket (self-signed certificates accepted). */
  async startTls(): Promise<SmtpResponse> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    this.socket = await new Promise<TLSSocket>((resolve, reject) => {
      const secure = tlsConnect({ socket: plain, rejectUnauthorized: false }, () => resolve(secure));
      secure.once('error', reject);
    });
    this.attach(this.socket);
    return reply;
  }

  /** Resolves when the server has closed the connection. */
  waitClosed(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** AUTH PLAIN's initial response for `user` / `password`. */
export function plainAuth(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64');
}
