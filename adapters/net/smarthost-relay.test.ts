/**
 * SmarthostRelay against the OutboundRelay contract: the peer is a real smtp-server on loopback
 * that records each accepted transaction and refuses the contract's REFUSED_PREFIX addresses
 * with 550; an unreachable peer is a closed loopback port. Known defect: nodemailer lowercases
 * the domain in `info.accepted`, so a mixed-case recipient is answered `temporary` although the
 * peer took it (a retry would deliver it twice).
 */
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
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

outboundRelayContract('SmarthostRelay', async () => {
  const received: ReceivedMessage[] = [];
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 100,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith(REFUSED_PREFIX)) {
        const err = Object.assign(new Error(`5.1.1 <${address.address}>: ${REFUSAL_TEXT}`), {
          responseCode: 550,
        });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
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
    },
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
