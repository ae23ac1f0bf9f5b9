/**
 * SmarthostRelay and AUTH against a real smtp-server on the loopback: a smarthost that refuses
 * the credentials (535) defers the recipients (a configuration problem; the mail stays queued,
 * as Postfix's smtp_sasl_auth_soft_bounce does) and says so; accepted credentials deliver.
 */
import { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmarthostRelay } from './smarthost-relay.ts';

let server: SMTPServer;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    // The test server has no certificate; the route layer only allows AUTH over TLS.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      if (auth.username === 'app' && auth.password === 'right') return callback(null, { user: 'app' });
      return callback(
        Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
      );
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const send = async (password: string) => {
  const relay = new SmarthostRelay({ host: '127.0.0.1', port, user: 'app', password, timeoutMs: 5_000 });
  try {
    return await relay.send({
      jobId: 'job-1',
      mailFrom: 'alice@local.example',
      recipients: ['bob@remote.example'],
      openBody: async () => Readable.from(['Subject: auth\r\n\r\nhi\r\n']),
    });
  } finally {
    relay.close();
  }
};

describe('SmarthostRelay AUTH', () => {
  it('defers the recipients when the smarthost refuses the credentials', async () => {
    const out = await send('wrong');
    expect(out.get('bob@remote.example')).toMatchObject({
      kind: 'temporary',
      reply: { code: 451, enhanced: '4.7.8' },
    });
    expect(out.get('bob@remote.example')?.reply?.text).toContain('smarthost refused AUTH');
    expect(out.get('bob@remote.example')?.reply?.text).toContain('535');
    expect(received).toEqual([]);
  });

  it('delivers with the right credentials', async () => {
    expect((await send('right')).get('bob@remote.example')?.kind).toBe('delivered');
    expect(received).toEqual(['bob@remote.example']);
  });
});
