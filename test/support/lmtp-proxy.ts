/**
 * A TCP proxy between queue processors and one LMTP backend (the backend advertises the proxy's
 * address), for fault tests that need a delivery to be stored by the backend but never
 * confirmed to the processor. It reads the client's side of each connection just enough to know
 * the transaction's delivery id (MAIL FROM ... XDELIVERY=<id>) and where DATA ends; while
 * holding is on, the backend's replies that follow the end of DATA (the per-recipient LMTP
 * replies, sent only after the backend stored the message) are kept back until `release()`.
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface HeldDelivery {
  /** The processor side's local port (which process owns it: connectionPortsOf). */
  readonly clientPort: number;
  readonly deliveryId: string | undefined;
  /** Reply bytes kept back so far. */
  readonly bytes: number;
}

interface Conn {
  readonly client: Socket;
  readonly server: Socket;
  readonly clientPort: number;
  mode: 'command' | 'data';
  line: string;
  tail: string;
  deliveryId: string | undefined;
  /** Set at the end of DATA while holding: the replies that follow are kept back. */
  held: Buffer[] | undefined;
}

export class LmtpProxy extends EventEmitter {
  private readonly conns = new Set<Conn>();
  private holding = false;
  /** Number of transactions whose end of DATA passed the proxy. */
  transactions = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    super();
  }

  static async start(targetPort: number): Promise<LmtpProxy> {
    let proxy: LmtpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new LmtpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    const server = connect({ host: '127.0.0.1', port: targetPort });
    const conn: Conn = {
      client,
      server,
      clientPort: client.remotePort ?? 0,
      mode: 'command',
      line: '',
      tail: '',
      deliveryId: undefined,
      held: undefined,
    };
    this.conns.add(conn);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const drop = () => {
      this.conns.delete(conn);
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      this.inspect(conn, chunk.toString('latin1'));
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (conn.held) conn.held.push(chunk);
      else client.write(chunk);
    });
  }

  /** Follow the client's commands and body just enough to see MAIL FROM and the end of DATA. */
  private inspect(conn: Conn, text: string): void {
    let rest = text;
    while (rest.length) {
      if (conn.mode === 'command') {
        const nl = rest.indexOf('\n');
        if (nl < 0) {
          conn.line += rest;
          return;
        }
        const line = (conn.line + rest.slice(0, nl)).replace(/\r$/, '');
        conn.line = '';
        rest = rest.slice(nl + 1);
        const verb = line.toUpperCase();
        if (verb.startsWith('MAIL FROM:')) {
          conn.deliveryId = /\sXDELIVERY=([^\s]+)/i.exec(line)?.[1];
        } else if (verb === 'DATA') {
          // The channel writes the body only after 354, so what follows is the body.
          conn.mode = 'data';
          conn.tail = '\r\n';
        }
      } else {
        const seen = conn.tail + rest;
        const end = seen.indexOf('\r\n.\r\n');
        if (end < 0) {
          conn.tail = seen.slice(-4);
          return;
        }
        rest = seen.slice(end + 5);
        conn.mode = 'command';
        this.transactions++;
        if (this.holding) {
          conn.held = [];
          this.emit('held', this.describe(conn));
        }
      }
    }
  }

  private describe(conn: Conn): HeldDelivery {
    return {
      clientPort: conn.clientPort,
      deliveryId: conn.deliveryId,
      bytes: (conn.held ?? []).reduce((n, b) => n + b.length, 0),
    };
  }

  /** From now on keep back the replies to every DATA that ends. */
  hold(): void {
    this.holding = true;
  }

  /** Deliveries whose replies are being kept back, on connections still open. */
  held(): HeldDelivery[] {
    return [...this.conns].filter((c) => c.held).map((c) => this.describe(c));
  }

  /** Stop holding and pass on every reply kept back (to connections still open). */
  release(): void {
    this.holding = false;
    for (const conn of this.conns) {
      const held = conn.held;
      conn.held = undefined;
      for (const chunk of held ?? []) conn.client.write(chunk);
    }
  }

  async close(): Promise<void> {
    for (const conn of this.conns) {
      conn.client.destroy();
      conn.server.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }
}
