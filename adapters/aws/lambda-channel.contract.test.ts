/**
 * LambdaChannel against the DeliveryChannel contract: the live backend is createBackendHandler
 * over fresh embedded storage, invoked by the real Lambda client through startInvokeServer; the
 * dead backend is a function name nobody registered (Invoke answers ResourceNotFound).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { silentLogger } from '../../core/ports/logger.ts';
import { createBackendHandler } from '../../lambdas/backend/handler-core.ts';
import { deliveryChannelContract } from '../contract/delivery-channel.contract.ts';
import { readAll } from '../contract/helpers.ts';
import { tempStorage } from '../embedded/test-support.ts';
import { LambdaChannel } from './lambda-channel.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';
import { startInvokeServer } from './testing/lambda-invoke-server.ts';

deliveryChannelContract('LambdaChannel → createBackendHandler', async () => {
  const t = await tempStorage();
  const { storage, clock } = t;
  const invoke = await startInvokeServer();
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
  const lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: invoke.endpoint,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    channel: new LambdaChannel(lambda),
    backend: { id: 'lambda-backend', address: 'strato-backend', kind: 'lambda', expiresAt: Infinity },
    deadBackend: { id: 'lambda-dead', address: 'strato-backend-gone', kind: 'lambda', expiresAt: Infinity },
    messages: storage.messages,
    async seedAccounts(addresses) {
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
    },
    updateAccountSettings: (address, settings) => storage.directory.updateAccountSettings(address, settings),
    async leaseTo(address, owner) {
      await storage.leases.acquire(address, owner, 60_000);
    },
    async inbox(address) {
      const list = await storage.mailboxes.list(address, 'INBOX');
      return Promise.all(
        list.map(async (m) => readAll((await storage.mailboxes.read(address, 'INBOX', m.uid))!)),
      );
    },
    async cleanup() {
      lambda.destroy();
      await invoke.close();
      await t.cleanup();
    },
  };
});
