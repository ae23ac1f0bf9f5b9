/**
 * A minimal SMTP/LMTP client connection over node:net: reads (multi-line) replies in order,
 * writes commands and dot-stuffed message bodies, with TCP_NODELAY (a line-by-line writer stalls
 * on delayed ACKs without it). Any socket error, timeout or protocol surprise rejects the pending
 * reads and marks the connection broken; the caller discards it.
 */
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Reply } from '../../core/mail/outcome.ts';
import { parseReply } from '../../core/mail/smtp-replies.ts';

export class SmtpLineClient {
  private buffer = '';
  private lines: string[] = [];
  private readonly waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  broken = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('timeout', () => {
      this.fail(new Error('connection timed out'));
      socket.destroy();
    });
  }

  static open(host: string, port: number, timeoutMs: number): Promise<SmtpLineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setTimeout(timeoutMs);
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      });
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new SmtpLineClient(socket));
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.lines.push(line);
      // "250-..." continues a reply; "250 ..." ends it.
      if (/^\d{3}(?: |$)/.test(line)) {
        const text = this.lines.map((l) => l.slice(4)).join('\n');
        const reply = parseReply(`${line.slice(0, 3)} ${text}`);
        this.lines = [];
        const waiter = this.waiters.shift();
        if (!waiter || !reply) {
          this.fail(new Error(`unexpected reply: ${line}`));
          return;
        }
        waiter.resolve(reply);
      }
      nl = this.buffer.indexOf('\n');
    }
  }

  private fail(err: Error): void {
    this.broken = true;
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  /** The next reply from the server. */
  read(): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Send a command line and read its reply. */
  async command(line: string): Promise<Reply> {
    const reply = this.read();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /**
   * Write and wait for the socket to take more. Rejects at once when the connection is already
   * gone: a destroyed socket's write() returns false and its 'close' has fired (or is about to),
   * so waiting for 'drain' or 'close' then would hang the delivery forever.
   */
  private async write(data: Buffer | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.socket.destroyed) throw new Error('connection closed');
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => settle();
      const onClose = () => settle(this.failure ?? new Error('connection closed'));
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
      if (this.socket.destroyed) onClose();
    });
    if (this.failure) throw this.failure;
  }

  /** Stream a CRLF message body with dot-stuffing, then the terminating ".". */
  async sendBody(body: Readable): Promise<void> {
    let atLineStart = true;
    let lastTwo = '';
    for await (const chunk of body) {
      let text = Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      if (text.length === 0) continue;
      // Dot-stuff: a "." at the start of any line gets a second one.
      text = (atLineStart && text.startsWith('.') ? '.' : '') + text.replace(/\n\./g, '\n..');
      atLineStart = text.endsWith('\n');
      lastTwo = (lastTwo + text).slice(-2);
      await this.write(Buffer.from(text, 'latin1'));
    }
    await this.write(lastTwo === '\r\n' ? '.\r\n' : '\r\n.\r\n');
  }

  close(): void {
    if (!this.broken) this.socket.end('QUIT\r\n');
    this.broken = true;
    this.socket.destroySoon();
  }
}
