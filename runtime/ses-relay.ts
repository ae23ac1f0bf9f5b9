/**
 * Builds the SES relay for a process (STRATO_RELAY=ses, or an `ses` route): the SES client of the
 * process's AWS storage, the configured bounce address and configuration set, and the directory's
 * hosted domains as the sending domains (every hosted domain is expected to have an SES identity,
 * README "Sending to the Internet"), so a foreign header From is rewritten before SES sees it.
 * Failure: without AWS clients (STRATO_STORAGE is not aws) it throws; callers say so.
 */
import type { QueueConfig } from '../core/config/queue-config.ts';
import type { Logger } from '../core/ports/logger.ts';
import type { OutboundRelay } from '../core/ports/outbound-relay.ts';
import type { ProcessStorage } from './open-storage.ts';

export async function createSesRelay(
  config: QueueConfig,
  storage: ProcessStorage,
  hostname: string,
  logger: Logger,
): Promise<OutboundRelay> {
  const clients = storage.clients;
  if (!clients) throw new Error('STRATO_RELAY=ses needs STRATO_STORAGE=aws');
  const { SesOutboundRelay } = await import('../adapters/aws/ses-outbound-relay.ts');
  const directory = storage.directory;
  return new SesOutboundRelay({
    ses: clients.ses,
    hostname,
    logger,
    isSendingDomain: async (domain) => (await directory.getDomain(domain)) !== undefined,
    ...(config.bounceAddress ? { bounceAddress: config.bounceAddress } : {}),
    ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}),
  });
}
