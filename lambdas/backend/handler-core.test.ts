/**
 * The backend Lambda's event validation: a malformed event is refused with every problem named
 * before anything is read or stored; a valid one is delivered.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { createBackendHandler } from './handler-core.ts';

let t: TempStorage;
let handler: ReturnType<typeof createBackendHandler>;

beforeEach(async () => {
  t = await tempStorage();
  const { storage, clock } = t;
  await seedDomain(storage.directory, 'example.com', ['alice']);
  handler = createBackendHandler({
    backendId: 'lambda',
    directory: storage.directory,
    leases: storage.leases,
    mailboxes: storage.mailboxes,
    messages: storage.messages,
    clock,
    logger: silentLogger,
    leaseTtlMs: 60_000,
  });
});
afterEach(async () => t.cleanup());

describe('backend Lambda event validation', () => {
  it('refuses a malformed event, naming each problem, before touching the account', async () => {
    const bad = { deliveryId: '', recipients: 'alice@example.com', source: 'FAX', body: { size: -1 } };
    const refused = handler(bad);
    await expect(refused).rejects.toThrow(/^invalid delivery invocation: /);
    const message = await refused.catch((e: Error) => e.message);
    for (const field of ['deliveryId', 'recipients', 'source', 'body.key', 'body.size']) {
      expect(message).toContain(`${field}: `);
    }
    expect(await t.storage.leases.get('alice@example.com')).toBeUndefined();
    await expect(handler(null)).rejects.toThrow(/^invalid delivery invocation: /);
  });

  it('delivers a valid event, the null sender left out', async () => {
    const id = '01KDVDNA00DDDDDDDDDD';
    const body = await t.storage.messages.put(id, Readable.from([Buffer.from('Subject: x\r\n\r\nhi\r\n')]));
    const result = await handler({ deliveryId: id, recipients: ['alice@example.com'], body });
    expect(result.outcomes).toEqual([
      { recipient: 'alice@example.com', outcome: expect.objectContaining({ kind: 'delivered' }) },
    ]);
    expect(await t.storage.mailboxes.list('alice@example.com', 'INBOX')).toHaveLength(1);
  });
});
