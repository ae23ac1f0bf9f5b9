/**
 * LmtpChannel, and RoutingChannel routing kind 'lmtp' to it, against the DeliveryChannel
 * contract: the live backend is the real LMTP server (createLmtpServer) on loopback over fresh
 * embedded storage; the dead backend is a closed loopback port.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/ports/logger.ts';
import { newQueueId } from '../../core/util/ids.ts';
import {
  type DeliveryChannelFixture,
  deliveryChannelContract,
} from '../contract/delivery-channel.contract.ts';
import { readAll } from '../contract/helpers.ts';
import type { EmbeddedStorage } from '../embedded/open.ts';
import { tempStorage } from '../embedded/test-support.ts';
import { LmtpChannel } from './lmtp-channel.ts';
import { createLmtpServer, SPOOL_MEMORY_BYTES } from './lmtp-server.ts';
import { RoutingChannel } from './routing-channel.ts';

const SECRET = 'contract-test-channel-secret';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function seedAccounts(storage: EmbeddedStorage, addresses: readonly string[]): Promise<void> {
  for (const address of addresses) {
    const domain = address.slice(address.indexOf('@') + 1);
    if (!(await storage.directory.getDomain(domain)))
      await storage.directory.addDomain({
        name: domain,
        mailToUnknown: { action: 'reject' },
        defaults: {},
        createdAt: 0,
      });
    await storage.directory.addAccount({
      address,
      domain,
      name: address.slice(0, address.indexOf('@')),
      settings: {},
      createdAt: 0,
    });
  }
}

async function inbox(storage: EmbeddedStorage, address: string): Promise<Buffer[]> {
  const list = await storage.mailboxes.list(address, 'INBOX');
  return Promise.all(
    list.map(async (m) => readAll((await storage.mailboxes.read(address, 'INBOX', m.uid))!)),
  );
}

async function lmtpFixture(
  wrap: (lmtp: LmtpChannel) => DeliveryChannelFixture['channel'],
): Promise<DeliveryChannelFixture & { spoolDir: string }> {
  const t = await tempStorage();
  const { storage, clock } = t;
  const spoolDir = join(t.dir, 'spool');
  await mkdir(spoolDir, { recursive: true });
  const server = createLmtpServer(
    {
      backendId: 'b1',
      directory: storage.directory,
      leases: storage.leases,
      mailboxes: storage.mailboxes,
      clock,
      logger: silentLogger,
      leaseTtlMs: 60_000,
    },
    {
      spoolDir,
      hostname: 'backend.test',
      maxMessageSize: 10 * 1024 * 1024,
      closeTimeoutMs: 100,
      secret: SECRET,
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  const fixture: DeliveryChannelFixture & { spoolDir: string } = {
    spoolDir,
    channel: wrap(new LmtpChannel({ clientName: 'contract.test', timeoutMs: 5_000, secret: SECRET })),
    backend: { id: 'b1', address: `127.0.0.1:${port}`, kind: 'lmtp', expiresAt: Infinity },
    deadBackend: {
      id: 'b-dead',
      address: `127.0.0.1:${await closedPort()}`,
      kind: 'lmtp',
      expiresAt: Infinity,
    },
    messages: storage.messages,
    seedAccounts: (addresses) => seedAccounts(storage, addresses),
    updateAccountSettings: (address, settings) => storage.directory.updateAccountSettings(address, settings),
    async leaseTo(address, owner) {
      await storage.leases.acquire(address, owner, 60_000);
    },
    inbox: (address) => inbox(storage, address),
    async cleanup() {
      await new Promise<void>((r) => server.close(() => r()));
      await t.cleanup();
    },
  };
  return fixture;
}

deliveryChannelContract('LmtpChannel → createLmtpServer', () => lmtpFixture((lmtp) => lmtp));
deliveryChannelContract('RoutingChannel (lmtp) → createLmtpServer', () =>
  lmtpFixture((lmtp) => new RoutingChannel({ lmtp })),
);

describe('LmtpChannel with a wrong channel secret → createLmtpServer', () => {
  it('answers temporary for every recipient (never a bounce) and the backend stores nothing', async () => {
    const wrong = new LmtpChannel({
      clientName: 'contract.test',
      timeoutMs: 5_000,
      secret: 'not-the-secret',
    });
    const fx = await lmtpFixture(() => wrong);
    try {
      await fx.seedAccounts(['alice@example.com']);
      await fx.leaseTo('alice@example.com', 'b1');
      const deliveryId = newQueueId();
      const ref = await fx.messages.put(deliveryId, Readable.from([Buffer.from('Subject: x\r\n\r\nhi\r\n')]));
      const out = await fx.channel.deliver(fx.backend, {
        deliveryId,
        mailFrom: 'sender@remote.example',
        recipients: ['alice@example.com'],
        body: ref,
        openBody: () => fx.messages.open(ref),
      });
      const outcome = out.get('alice@example.com');
      expect(outcome?.kind).toBe('temporary');
      expect(outcome?.reply?.text).toContain('LMTP AUTH refused: 535');
      expect(await fx.inbox('alice@example.com')).toEqual([]);
    } finally {
      await wrong.close();
      await fx.cleanup();
    }
  });
});

describe('the LMTP server spool → createLmtpServer', () => {
  it('stores small messages (held in memory) and large ones (spooled to a file) byte for byte, leaving no file', async () => {
    const fx = await lmtpFixture((lmtp) => lmtp);
    try {
      await fx.seedAccounts(['alice@example.com', 'bob@example.com']);
      await fx.leaseTo('alice@example.com', 'b1');
      await fx.leaseTo('bob@example.com', 'b1');
      const line = `${'x'.repeat(76)}\r\n`;
      const bodies = [
        Buffer.from('Subject: small\r\n\r\nhi\r\n'),
        Buffer.from(
          `Subject: large\r\n\r\n${line.repeat(Math.ceil((2 * SPOOL_MEMORY_BYTES) / line.length))}`,
        ),
      ];
      expect(bodies[1]!.length).toBeGreaterThan(SPOOL_MEMORY_BYTES);
      for (const body of bodies) {
        const deliveryId = newQueueId();
        const ref = await fx.messages.put(deliveryId, Readable.from([body]));
        const out = await fx.channel.deliver(fx.backend, {
          deliveryId,
          mailFrom: 'sender@remote.example',
          recipients: ['alice@example.com', 'bob@example.com'],
          body: ref,
          openBody: () => fx.messages.open(ref),
        });
        expect([...out.values()].map((o) => o.kind)).toEqual(['delivered', 'delivered']);
      }
      for (const address of ['alice@example.com', 'bob@example.com']) {
        const stored = await fx.inbox(address);
        expect(stored.map((b) => b.length)).toEqual(bodies.map((b) => b.length));
        expect(stored.every((b, i) => b.equals(bodies[i]!))).toBe(true);
      }
      expect(await readdir(fx.spoolDir)).toEqual([]);
    } finally {
      await fx.cleanup();
    }
  });
});
