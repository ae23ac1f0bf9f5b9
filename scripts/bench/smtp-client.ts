/**
 * A minimal SMTP client on node:net for the benchmark: no pipelining, no TLS, no AUTH; one
 * command, one reply. TCP_NODELAY is set so each command leaves at once and the DATA→250 time
 * is the server's, not Nagle's. `sendMessage` times from writing the final "." to the reply.
 * Failure: a socket error, an early close or a reply timeout rejects the pending call with an
 * SmtpClientError whose `code` is the errno or "timeout"/"closed"; replies are values, not errors.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SmtpReply {
  readonly code: number;
  /** All lines, without the codes and separators. */
  readonly text: string;
}

export class SmtpClientError extends Error {
  override readonly name = 'SmtpClientError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A body with CRLF line ends, dot-stuffed, ending in CRLF; without the final ".". */
export function dotStuff(message: string): Buffer {
  let text = message.replace(/\r?\n/g, '\r\n');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text.replace(/(^|\r\n)\./g, '$1..'), 'utf8');
}

export class SmtpConnection {
  private buffer = '';
  private lines: string[] = [];
  private waiter:
    | { resolve: (r: SmtpReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
    | undefined;
  private failure: SmtpClientError | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(new SmtpClientError(err.code ?? 'error', err.message)),
    );
    socket.on('close', () => this.fail(new SmtpClientError('closed', 'connection closed by the server')));
  }

  /** Connect and read the greeting (after the listener's greeting delay). */
  static async open(
    host: string,
    port: number,
    timeoutMs = 30_000,
  ): Promise<{ conn: SmtpConnection; greeting: SmtpReply }> {
    const socket = connect({ host, port, noDelay: true });
    const conn = new SmtpConnection(socket, timeoutMs);
    const greeting = await conn.read();
    return { conn, greeting };
  }

  /** Send one command line and wait for its (possibly multi-line) reply. */
  command(line: string): Promise<SmtpReply> {
    const reply = this.read();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /**
   * DATA, then the body, then the final "." on its own write; resolves with the final reply and
   * the milliseconds from writing "." to receiving that reply. A non-354 answer to DATA is
   * returned as the reply with no latency.
   */
  async sendData(stuffedBody: Buffer): Promise<{ reply: SmtpReply; latencyMs?: number }> {
    const go = await this.command('DATA');
    if (go.code !== 354) return { reply: go };
    this.socket.write(stuffedBody);
    const reply = this.read();
    const start = performance.now();
    this.socket.write('.\r\n');
    const final = await reply;
    return { reply: final, latencyMs: performance.now() - start };
  }

  /** QUIT politely (best effort), then close. */
  async quit(): Promise<void> {
    if (!this.failure) await this.command('QUIT').catch(() => undefined);
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  private read(): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter)
      return Promise.reject(new SmtpClientError('busy', 'a reply is already awaited (no pipelining)'));
    return new Promise<SmtpReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new SmtpClientError('timeout', `no reply within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiter = { resolve, reject, timer };
      this.deliver();
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
    this.deliver();
  }

  /** Hand a complete reply ("NNN-..." lines then "NNN ...") to the waiting call. */
  private deliver(): void {
    if (!this.waiter) return;
    const end = this.lines.findIndex((l) => /^\d{3}(?: |$)/.test(l));
    if (end < 0) return;
    const lines = this.lines.splice(0, end + 1);
    const { resolve, timer } = this.waiter;
    this.waiter = undefined;
    clearTimeout(timer);
    resolve({ code: Number(lines[end]!.slice(0, 3)), text: lines.map((l) => l.slice(4)).join('\n') });
  }

  private fail(err: SmtpClientError): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
  }
}
