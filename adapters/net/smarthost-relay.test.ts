/**
 * SmarthostRelay against the OutboundRelay contract: the peer is a real smtp-server on loopback
 * that records each accepted transaction and refuses the contract's REFUSED_PREFIX addresses
 * with 550; an unreachable peer is a closed loopback port. Known defect: nodemailer lowercases
 * the domain in `info.accepted`, so a mixed-case recipient is answered `temporary` although the
 * peer took it (a retry would deliver it twice).
 */
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import type { RelayRequest } from '../../core/ports/outbound-relay.ts';
import {
  outboundRelayContract,
  REFUSAL_TEXT,
  REFUSED_PREFIX,
  type ReceivedMessage,
} from '../contract/outbound-relay.contract.ts';
import { SmarthostRelay } from './smarthost-relay.ts';

/** A port nothing listens on (bound then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The test peers' smtp-server options: plain SMTP, no AUTH, quick to close. */
const PEER_OPTIONS = {
  disabledCommands: ['AUTH', 'STARTTLS'],
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  closeTimeout: 100,
} satisfies SMTPServerOptions;

/** An smtp-server onData that records each accepted transaction into `received`. */
function recordInto(received: ReceivedMessage[]): NonNullable<SMTPServerOptions['onData']> {
  return (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push({
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        recipients: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks),
      });
      callback();
    });
  };
}

outboundRelayContract('SmarthostRelay', async () => {
  const received: ReceivedMessage[] = [];
  const server = new SMTPServer({
    ...PEER_OPTIONS,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith(REFUSED_PREFIX)) {
        const err = Object.assign(new Error(`5.1.1 <${address.address}>: ${REFUSAL_TEXT}`), {
          responseCode: 550,
        });
        return callback(err);
      }
      callback();
    },
    onData: recordInto(received),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  const relay = new SmarthostRelay({ host: '127.0.0.1', port, heloName: 'relay.test', timeoutMs: 5_000 });
  return {
    relay,
    capabilities: { perRecipientRefusal: true, nullSenderRewritten: false },
    received: async () => [...received],
    async unreachable() {
      const dead = new SmarthostRelay({ host: '127.0.0.1', port: await closedPort(), timeoutMs: 2_000 });
      return { relay: dead, close: async () => dead.close() };
    },
    async cleanup() {
      relay.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
});

/** A sink that records what it took; `utf8` says whether its EHLO offers SMTPUTF8. */
async function sink(utf8: boolean) {
  const received: (ReceivedMessage & { smtputf8: boolean })[] = [];
  const server = new SMTPServer({
    ...PEER_OPTIONS,
    hideSMTPUTF8: !utf8,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          recipients: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          smtputf8: session.envelope.smtpUtf8 === true,
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  const relay = new SmarthostRelay({ host: '127.0.0.1', port, heloName: 'relay.test', timeoutMs: 5_000 });
  return {
    relay,
    received,
    close: async () => {
      relay.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const request = (raw: string, extra: Partial<RelayRequest> = {}): RelayRequest => ({
  jobId: 'J1',
  mailFrom: 'sender@example.org',
  recipients: ['rcpt@example.net'],
  openBody: async () => Readable.from([Buffer.from(raw)]),
  ...extra,
});

describe('SmarthostRelay: SMTPUTF8 and long lines', () => {
  it('fails every recipient of an SMTPUTF8 message with 553 5.6.7 when the next hop does not offer SMTPUTF8, sending nothing', async () => {
    const s = await sink(false);
    try {
      const out = await s.relay.send(
        request('Subject: x\r\n\r\nhi\r\n', {
          smtputf8: true,
          recipients: ['jürgen@example.net', 'b@example.net'],
        }),
      );
      for (const r of ['jürgen@example.net', 'b@example.net']) {
        expect(out.get(r)).toEqual({
          kind: 'permanent',
          reply: expect.objectContaining({ code: 553, enhanced: '5.6.7' }),
        });
      }
      expect(s.received).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('sends an SMTPUTF8 message with SMTPUTF8 to a next hop that offers it', async () => {
    const s = await sink(true);
    try {
      const out = await s.relay.send(
        request('Subject: x\r\n\r\nhi\r\n', { smtputf8: true, recipients: ['jürgen@example.net'] }),
      );
      expect(out.get('jürgen@example.net')?.kind).toBe('delivered');
      expect(s.received).toHaveLength(1);
      expect(s.received[0]!.smtputf8).toBe(true);
      expect(s.received[0]!.recipients).toEqual(['jürgen@example.net']);
    } finally {
      await s.close();
    }
  });

  it('breaks lines over 998 octets with CRLF SPACE on the way out', async () => {
    const s = await sink(true);
    try {
      const long = 'z'.repeat(2500);
      const out = await s.relay.send(request(`Subject: long\r\n\r\n${long}\r\n`));
      expect(out.get('rcpt@example.net')?.kind).toBe('delivered');
      const raw = s.received[0]!.raw.toString();
      expect(raw.split('\r\n').every((l) => l.length <= 998)).toBe(true);
      expect(raw.replaceAll('\r\n ', '')).toContain(`\r\n\r\n${long}\r\n`);
    } finally {
      await s.close();
    }
  });
});

describe('SmarthostRelay: pooled connections', () => {
  it('sends a message again over a fresh connection when the smarthost closes a reused one at MAIL', async () => {
    const received: ReceivedMessage[] = [];
    let mails = 0;
    const server = new SMTPServer({
      ...PEER_OPTIONS,
      onMailFrom(_address, session, callback) {
        mails++;
        // The second transaction of a connection: the server goes away (421 closes it).
        if (session.transaction > 1) {
          return callback(Object.assign(new Error('4.3.2 going away'), { responseCode: 421 }));
        }
        callback();
      },
      onData: recordInto(received),
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as { port: number }).port;
    const relay = new SmarthostRelay({ host: '127.0.0.1', port, timeoutMs: 5_000, maxConnections: 1 });
    try {
      for (const n of [1, 2]) {
        const out = await relay.send(request(`Subject: m${n}\r\n\r\nbody ${n}\r\n`));
        expect(out.get('rcpt@example.net')?.kind).toBe('delivered');
      }
      // The second message was refused once on the reused connection, then sent whole on a new one.
      expect(mails).toBe(3);
      expect(received.map((m) => m.raw.toString())).toEqual([
        'Subject: m1\r\n\r\nbody 1\r\n',
        'Subject: m2\r\n\r\nbody 2\r\n',
      ]);
    } finally {
      relay.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
