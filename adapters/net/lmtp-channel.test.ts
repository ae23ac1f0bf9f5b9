/**
 * The LMTP channel against a backend that dies at the worst moments (a fake LMTP server that
 * destroys the connection): every delivery must settle with `temporary` outcomes, never hang.
 * A hang keeps the queue job leased (its lease is extended while delivery runs) until the
 * processor's process dies.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecipientOutcome } from '../../core/mail/outcome.ts';
import { LmtpChannel } from './lmtp-channel.ts';

let server: Server | undefined;
/** The fake backend's side of every connection. */
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

/** The fake backends' reply to a command: 235 to AUTH (the channel authenticates), else 250. */
const okFor = (line: string) => (line.startsWith('AUTH ') ? '235 2.7.0 ok\r\n' : '250 ok\r\n');

/** A fake LMTP backend: 250 to everything, 354 to DATA; `onData` decides what to do next. */
async function fakeBackend(onData: (socket: Socket) => void, onBody?: (socket: Socket) => void) {
  server = createServer((socket) => {
    sockets.push(socket);
    socket.write('220 fake LMTP\r\n');
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      if (inData) return onBody?.(socket);
      for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
        if (line === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
          onData(socket);
          return;
        }
        socket.write(okFor(line));
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function deliverWithin(
  address: string,
  openBody: () => Promise<Readable>,
  ms = 3000,
): Promise<ReadonlyMap<string, RecipientOutcome> | 'hung'> {
  const channel = new LmtpChannel({ clientName: 'test', timeoutMs: 10_000, secret: 'fake-secret' });
  try {
    return await Promise.race([
      channel.deliver(
        { id: 'b1', address, kind: 'lmtp', expiresAt: 0 },
        {
          deliveryId: '01M8K36J9PR80ACEBHDA',
          mailFrom: 'a@example.org',
          recipients: ['x@example.com', 'y@example.com'],
          body: { key: 'k', size: 0 },
          openBody,
        },
      ),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms)),
    ]);
  } finally {
    await channel.close();
  }
}

function expectAllTemporary(out: ReadonlyMap<string, RecipientOutcome> | 'hung') {
  expect(out).not.toBe('hung');
  const outcomes = [...(out as ReadonlyMap<string, RecipientOutcome>).entries()];
  expect(outcomes.map(([rcpt, o]) => [rcpt, o.kind])).toEqual([
    ['x@example.com', 'temporary'],
    ['y@example.com', 'temporary'],
  ]);
  for (const [, o] of outcomes) expect(o.reply?.text).toMatch(/^Backend b1 unreachable: /);
}

describe('LMTP channel when the backend dies mid-transaction', () => {
  it('settles when the connection is gone before the body is written (after 354)', async () => {
    const address = await fakeBackend((socket) => socket.destroy());
    // The body opens slowly (as a file does), so the close arrives before the first write.
    const out = await deliverWithin(address, async () => {
      await new Promise((r) => setTimeout(r, 50));
      return Readable.from([Buffer.from('Subject: x\r\n\r\nhello\r\n')]);
    });
    expectAllTemporary(out);
  });

  it('settles when the connection dies while a large body waits for the socket to drain', async () => {
    const address = await fakeBackend(
      (socket) => socket.pause(), // stop reading: the client's writes back up
      () => {},
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const body = new Readable({
      read() {
        sent += chunk.length;
        this.push(sent > 32 * 1024 * 1024 ? null : chunk);
      },
    });
    const pending = deliverWithin(address, async () => body, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sockets).toHaveLength(1);
    sockets[0]!.destroy();
    expectAllTemporary(await pending);
  });

  it('settles when the connection dies as the body arrives, before the replies', async () => {
    const address = await fakeBackend(
      () => {},
      (socket) => socket.destroy(),
    );
    const out = await deliverWithin(address, async () =>
      Readable.from([Buffer.from('Subject: x\r\n\r\nhi\r\n')]),
    );
    expectAllTemporary(out);
  });
});

describe('LMTP channel when the backend is going away', () => {
  const moving = (out: ReadonlyMap<string, RecipientOutcome> | 'hung') => {
    expect(out).not.toBe('hung');
    return [...(out as ReadonlyMap<string, RecipientOutcome>).values()].map((o) =>
      o.kind === 'temporary' ? o.account : o.kind,
    );
  };

  it('says the account is moving when the connection is refused', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const out = await deliverWithin(`127.0.0.1:${port}`, async () => Readable.from([Buffer.from('x\r\n')]));
    expectAllTemporary(out);
    expect(moving(out)).toEqual([
      { state: 'moving', why: 'backend-unreachable' },
      { state: 'moving', why: 'backend-unreachable' },
    ]);
  });

  it('says the account is moving when the backend answers 421 (closing the channel)', async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.write('220 fake LMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        const line = chunk.toString('latin1');
        if (line.startsWith('MAIL')) socket.end('421 4.3.2 Server shutting down\r\n');
        else socket.write(okFor(line));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const out = await deliverWithin(address, async () => Readable.from([Buffer.from('x\r\n')]));
    expect(moving(out)).toEqual([
      { state: 'moving', why: 'backend-unreachable' },
      { state: 'moving', why: 'backend-unreachable' },
    ]);
  });
});

describe('LMTP channel meeting a backend that is shutting down', () => {
  it('says the account is moving when the greeting is 421', async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.end('421 Server shutting down\r\n');
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const out = await deliverWithin(address, async () => Readable.from([Buffer.from('x\r\n')]));
    expectAllTemporary(out);
    const facts = [...(out as ReadonlyMap<string, RecipientOutcome>).values()].map((o) =>
      o.kind === 'temporary' ? o.account : undefined,
    );
    expect(facts).toEqual([
      { state: 'moving', why: 'backend-unreachable' },
      { state: 'moving', why: 'backend-unreachable' },
    ]);
  });
});
