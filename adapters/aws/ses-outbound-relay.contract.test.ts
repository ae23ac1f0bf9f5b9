/**
 * SesOutboundRelay against the OutboundRelay contract on aws-ses-v2-local. The emulator keeps
 * only what it parsed from the headers, so what "the peer received" is each SendEmail input
 * (FromEmailAddress, Destination, the raw bytes) that the emulator accepted and stored under the
 * MessageId it answered. SES answers per call, never per recipient (perRecipientRefusal: false),
 * and cannot send from <> so the relay uses a bounce address (nullSenderRewritten: true). An
 * unreachable peer is an endpoint on a closed loopback port.
 */
import { createServer } from 'node:net';
import type { SendEmailCommandInput, SendEmailCommandOutput } from '@aws-sdk/client-sesv2';
import { inject } from 'vitest';
import { outboundRelayContract, type ReceivedMessage } from '../contract/outbound-relay.contract.ts';
import { awsClients } from './aws-clients.ts';
import { SesOutboundRelay } from './ses-outbound-relay.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

const e = inject('emulators');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

outboundRelayContract('SesOutboundRelay (aws-ses-v2-local)', async () => {
  const clients = awsClients({ region: e.region, endpoints: { ses: e.ses }, credentials: TEST_CREDENTIALS });
  const accepted: { input: SendEmailCommandInput; messageId: string }[] = [];
  clients.ses.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const messageId = (result.output as SendEmailCommandOutput).MessageId;
      if (messageId) accepted.push({ input: args.input as SendEmailCommandInput, messageId });
      return result;
    },
    { step: 'initialize', name: 'recordAcceptedSendEmail' },
  );
  return {
    relay: new SesOutboundRelay({ ses: clients.ses, hostname: 'mx.test', bounceAddress: 'bounces@mx.test' }),
    capabilities: { perRecipientRefusal: false, nullSenderRewritten: true },
    async received(): Promise<ReceivedMessage[]> {
      const store = (await (await fetch(`${e.ses}/store`)).json()) as { emails: { messageId: string }[] };
      const stored = new Set(store.emails.map((m) => m.messageId));
      return accepted
        .filter((a) => stored.has(a.messageId))
        .map(({ input }) => ({
          mailFrom: input.FromEmailAddress ?? '',
          recipients: input.Destination?.ToAddresses ?? [],
          raw: Buffer.from(input.Content?.Raw?.Data ?? new Uint8Array()),
        }));
    },
    async unreachable() {
      const down = awsClients({
        region: e.region,
        endpoints: { ses: `http://127.0.0.1:${await closedPort()}` },
        credentials: TEST_CREDENTIALS,
      });
      return {
        relay: new SesOutboundRelay({ ses: down.ses, hostname: 'mx.test' }),
        close: async () => down.destroy(),
      };
    },
    cleanup: async () => clients.destroy(),
  };
});
