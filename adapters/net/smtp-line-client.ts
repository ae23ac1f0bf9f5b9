/**
 * A minimal SMTP/LMTP client connection over node:net: reads (multi-line) replies in order,
 * writes commands and dot-stuffed message bodies, with TCP_NODELAY (a line-by-line writer stalls
 * on delayed ACKs without it). Any socket error, timeout or protocol surprise rejects the pending
 * reads and marks the connection broken; the caller discards it.
 */
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Reply } from '../../core/mail/outcome.ts';
import { formatReply } from '../../core/mail/smtp-replies.ts';
import { isBadReplyLine, ReplyAssembler, writeDotStuffed } from './smtp-wire.ts';

export class SmtpLineClient {
  private readonly replies = new ReplyAssembler();
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
    for (const reply of this.replies.push(chunk)) {
      const waiter = this.waiters.shift();
      if (!waiter || isBadReplyLine(reply)) {
        this.fail(new Error(`unexpected reply: ${isBadReplyLine(reply) ? reply.bad : formatReply(reply)}`));
        return;
      }
      waiter.resolve(reply);
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
  sendBody(body: Readable): Promise<void> {
    return writeDotStuffed(body, (data) => this.write(data));
  }

  close(): void {
    if (!this.broken) this.socket.end('QUIT\r\n');
    this.broken = true;
    this.socket.destroySoon();
  }
}
