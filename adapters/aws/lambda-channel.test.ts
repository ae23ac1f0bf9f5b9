import { Readable } from 'node:stream';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/ports/logger.ts';
import { createBackendHandler } from '../../lambdas/backend/handler-core.ts';
import { seedDomain } from '../contract/helpers.ts';
import { type TempStorage, tempStorage } from '../embedded/test-support.ts';
import { LambdaChannel } from './lambda-channel.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';
import { type InvokeServer, startInvokeServer } from './testing/lambda-invoke-server.ts';

describe('Lambda delivery channel → backend handler', () => {
  let invoke: InvokeServer;
  let t: TempStorage;
  let channel: LambdaChannel;
  const backend = {
    id: 'lambda-backend',
    address: 'strato-backend',
    kind: 'lambda' as const,
    expiresAt: Infinity,
  };

  beforeAll(async () => {
    invoke = await startInvokeServer();
    t = await tempStorage();
    const { storage, clock } = t;
    await seedDomain(storage.directory, 'example.com', ['alice']);
    invoke.register(
      'strato-backend',
      createBackendHandler({
        backendId: 'lambda-backend',
        directory: storage.directory,
        leases: storage.leases,
        mailboxes: storage.mailboxes,
        messages: storage.messages,
        clock,
        logger: silentLogger,
        leaseTtlMs: 60_000,
      }),
    );
    invoke.register('broken', async () => {
      throw new Error('boom');
    });
    channel = new LambdaChannel(
      new LambdaClient({
        region: 'us-east-1',
        endpoint: invoke.endpoint,
        credentials: TEST_CREDENTIALS,
        maxAttempts: 1,
      }),
    );
  });
  afterAll(async () => {
    await invoke.close();
    await t.cleanup();
  });

  it('delivers through Invoke with per-recipient outcomes, idempotently', async () => {
    const body = await t.storage.messages.put(
      '01KDVDNA00AAAAAAAAAA',
      Readable.from([Buffer.from('Subject: x\r\n\r\nhi\r\n')]),
    );
    const req = {
      deliveryId: '01KDVDNA00AAAAAAAAAA',
      mailFrom: 'someone@remote.example',
      recipients: ['alice@example.com', 'ghost@example.com'],
      body,
      openBody: () => t.storage.messages.open(body),
    };
    const first = await channel.deliver(backend, req);
    expect(first.get('alice@example.com')?.kind).toBe('delivered');
    expect(first.get('ghost@example.com')).toMatchObject({
      kind: 'permanent',
      reply: { code: 550, enhanced: '5.1.1' },
    });
    await channel.deliver(backend, req);
    expect(await t.storage.mailboxes.list('alice@example.com', 'INBOX')).toHaveLength(1);
  });

  it('turns a function error or an unknown function into temporary outcomes', async () => {
    const body = { key: '01KDVDNA00BBBBBBBBBB', size: 1 };
    const req = {
      deliveryId: body.key,
      mailFrom: '',
      recipients: ['alice@example.com'],
      body,
      openBody: async () => Readable.from([]),
    };
    const broken = await channel.deliver({ ...backend, address: 'broken' }, req);
    expect(broken.get('alice@example.com')).toMatchObject({ kind: 'temporary', reply: { code: 451 } });
    expect(broken.get('alice@example.com')?.reply?.text).toContain('boom');
    const missing = await channel.deliver({ ...backend, address: 'nope' }, req);
    expect(missing.get('alice@example.com')?.kind).toBe('temporary');
  });

  it('answers temporary for the recipients whose outcome is malformed, keeping the readable ones', async () => {
    invoke.register('malformed', async () => ({
      outcomes: [
        { recipient: 'alice@example.com', outcome: { kind: 'delivered' } },
        {
          recipient: 'bob@example.com',
          outcome: {
            kind: 'temporary',
            reply: { code: 451, enhanced: '4.2.0', text: 'open elsewhere' },
            account: { state: 'open-elsewhere', owner: 'not a backend id' },
          },
        },
      ],
    }));
    invoke.register('shapeless', async () => ({ result: 'ok' }));
    const body = { key: '01KDVDNA00CCCCCCCCCC', size: 1 };
    const req = {
      deliveryId: body.key,
      mailFrom: '',
      recipients: ['alice@example.com', 'bob@example.com'],
      body,
      openBody: async () => Readable.from([]),
    };
    const partly = await channel.deliver({ ...backend, address: 'malformed' }, req);
    expect(partly.get('alice@example.com')).toEqual({ kind: 'delivered' });
    const bob = partly.get('bob@example.com');
    expect(bob).toMatchObject({ kind: 'temporary', reply: { code: 451, enhanced: '4.4.1' } });
    expect(bob?.reply?.text).toContain('malformed outcome');
    expect(bob).not.toHaveProperty('account');
    const shapeless = await channel.deliver({ ...backend, address: 'shapeless' }, req);
    for (const o of shapeless.values()) {
      expect(o).toMatchObject({ kind: 'temporary', reply: { code: 451 } });
      expect(o.reply?.text).toContain('malformed answer');
    }
  });
});
