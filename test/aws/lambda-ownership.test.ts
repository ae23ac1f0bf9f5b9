/**
 * Lambda ownership on the emulators (DynamoDB leases, S3 + DynamoDB mailboxes, SQS queue): each
 * backend Lambda execution environment is its own lease owner and holds an account's lease only
 * while an invocation delivers to it. Two concurrent deliveries to one account never both hold
 * its lease (the second is answered "open elsewhere", a temporary outcome the queue retries
 * within seconds), the lease is free the moment the first invocation is done, and a stream of
 * concurrent deliveries ends with every message in the mailbox exactly once.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeliveryAnswer } from '../../adapters/aws/lambda-wire.ts';
import type { AwsStorage } from '../../adapters/aws/open.ts';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import type { DeliverDeps } from '../../core/delivery/deliver-to-accounts.ts';
import { accountFactOf, type RecipientOutcome } from '../../core/mail/outcome.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { DeliveryChannel } from '../../core/ports/delivery-channel.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import type { MailboxStore } from '../../core/ports/mailbox-store.ts';
import { fixedBackends } from '../../core/queue/fixed-backends.ts';
import { type ProcessorDeps, processJob } from '../../core/queue/process-job.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { createBackendHandler, lambdaOwnerId } from '../../lambdas/backend/handler-core.ts';
import { createAwsMode } from './aws-mode.ts';

const DAVE = 'dave@example.com';
let storage: AwsStorage;

beforeAll(async () => {
  storage = (await createAwsMode()).storage;
  await seedDomain(storage.directory, 'example.com', ['dave']);
});
afterAll(async () => storage?.close());

/** Who is appending to which account right now, and the most that ever did at once. */
class Holders {
  private readonly now = new Map<string, Set<string>>();
  maxAtOnce = 0;
  /** Appends made by an environment that was not the lease owner at that moment. */
  readonly notOwner: string[] = [];

  /** A mailbox store whose appends by `owner` are recorded and wait for `pause()` first. */
  wrap(inner: MailboxStore, owner: string, pause: () => Promise<void>): MailboxStore {
    return {
      list: (...a) => inner.list(...a),
      read: (...a) => inner.read(...a),
      usage: (...a) => inner.usage(...a),
      append: async (req, body) => {
        const lease = await storage.leases.get(req.account);
        if (lease?.owner !== owner || lease.expiresAt <= Date.now()) this.notOwner.push(owner);
        const set = this.now.get(req.account) ?? new Set<string>();
        set.add(owner);
        this.now.set(req.account, set);
        this.maxAtOnce = Math.max(this.maxAtOnce, set.size);
        try {
          await pause();
          return await inner.append(req, body);
        } finally {
          set.delete(owner);
        }
      },
    } as MailboxStore;
  }
}

/** A backend Lambda execution environment: its own owner id, the real handler core, a wrapped mailbox. */
function environment(holders: Holders, pause: () => Promise<void>) {
  const owner = lambdaOwnerId();
  const deps: DeliverDeps & { messages: AwsStorage['messages'] } = {
    backendId: owner,
    directory: storage.directory,
    leases: storage.leases,
    mailboxes: holders.wrap(storage.mailboxes, owner, pause),
    messages: storage.messages,
    clock: systemClock,
    logger: silentLogger,
    leaseTtlMs: 30_000,
  };
  const handler = createBackendHandler(deps);
  // Like a real execution environment, one invocation at a time: a second waits for the first.
  // (Two at once under one owner id would let the second's lease release cut the first's short,
  // which the Lambda service never does.)
  let busy: Promise<unknown> = Promise.resolve();
  const serial: typeof handler = (event) => {
    const run = busy.then(() => handler(event));
    busy = run.catch(() => undefined);
    return run;
  };
  return { owner, handler: serial };
}

async function spool(token: string): Promise<{ id: string; body: { key: string; size: number } }> {
  const id = newQueueId();
  const text = `From: <s@remote.example>\r\nSubject: ${token}\r\n\r\nbody of ${token}\r\n`;
  return { id, body: await storage.messages.put(id, Readable.from([Buffer.from(text)])) };
}

describe('backend Lambda ownership', () => {
  it('lets one environment hold an account at a time, and frees it as soon as its invocation is done', async () => {
    const holders = new Holders();
    let open!: () => void;
    const held = new Promise<void>((r) => {
      open = r;
    });
    const a = environment(holders, () => held);
    const b = environment(holders, async () => {});
    const first = await spool('first');
    const second = await spool('second');

    const inA = a.handler({ deliveryId: first.id, recipients: [DAVE], body: first.body });
    // Wait until A is inside its append, holding Dave's lease.
    for (let i = 0; (await storage.leases.get(DAVE))?.owner !== a.owner; i++) {
      if (i > 200) throw new Error('environment A never took the lease');
      await new Promise((r) => setTimeout(r, 25));
    }
    const refused = await b.handler({ deliveryId: second.id, recipients: [DAVE], body: second.body });
    expect(refused.outcomes[0]?.outcome).toMatchObject({
      kind: 'temporary',
      account: { state: 'open-elsewhere', owner: a.owner },
    });
    open();
    expect((await inA).outcomes[0]?.outcome.kind).toBe('delivered');
    // Released on return: B takes the account at once, with a higher epoch.
    const before = await storage.leases.get(DAVE);
    expect(before!.expiresAt).toBeLessThanOrEqual(Date.now());
    const retried = await b.handler({ deliveryId: second.id, recipients: [DAVE], body: second.body });
    expect(retried.outcomes[0]?.outcome.kind).toBe('delivered');
    expect((await storage.leases.get(DAVE))!.epoch).toBeGreaterThan(before!.epoch);
    expect(holders.maxAtOnce).toBe(1);
    expect(holders.notOwner).toEqual([]);
  });

  it('stores each of a stream of concurrent deliveries once, retried within seconds on contention', async () => {
    const EVE = 'eve@example.com';
    await storage.directory.addAccount({
      address: EVE,
      domain: 'example.com',
      name: 'eve',
      settings: {},
      createdAt: 0,
    });
    const holders = new Holders();
    // A slow append (S3 and DynamoDB under load): concurrent invocations overlap inside it.
    const slow = () => new Promise<void>((r) => setTimeout(r, 150));
    const envs = [environment(holders, slow), environment(holders, slow)];
    let turn = 0;
    let contended = 0;
    // The Lambda service picks an environment per invoke: here, in turn. The answer goes
    // through the wire schema, as the real channel's does.
    const channel: DeliveryChannel = {
      async deliver(_backend, req) {
        const env = envs[turn++ % envs.length]!;
        const answer = await env.handler({
          deliveryId: req.deliveryId,
          mailFrom: req.mailFrom,
          recipients: [...req.recipients],
          body: req.body,
        });
        const parsed = parseDeliveryAnswer(JSON.parse(JSON.stringify(answer)));
        for (const o of parsed.outcomes.values() as Iterable<RecipientOutcome>) {
          if (accountFactOf(o)?.state === 'open-elsewhere') contended++;
        }
        return parsed.outcomes;
      },
    };
    const deps: ProcessorDeps = {
      queue: storage.queue,
      messages: storage.messages,
      directory: storage.directory,
      leases: storage.leases,
      registry: fixedBackends([{ id: 'lambda', address: 'backend-fn', kind: 'lambda' }]),
      channel,
      relay: { send: async () => new Map() },
      clock: systemClock,
      logger: silentLogger,
      schedule: {
        firstRetrySeconds: 300,
        maxRetrySeconds: 3600,
        backoffFactor: 2,
        warnAfterSeconds: 3600,
        lifetimeSeconds: 86_400,
      },
      hostname: 'queue.test',
      backendMode: 'dynamic',
      quickRetry: { delaySeconds: 1, windowSeconds: 60 },
    };
    const jobs: QueueJob[] = [];
    for (let i = 0; i < 8; i++) {
      const { id, body } = await spool(`eve-${i}`);
      jobs.push({
        id,
        source: 'SMTP',
        createdAt: Date.now(),
        body,
        envelope: {
          mailFrom: 's@remote.example',
          recipients: [{ address: EVE, original: EVE, state: 'pending', attempts: 0 }],
        },
        attempts: 0,
      });
    }
    await storage.queue.enqueue(jobs);

    // Queue processing: every received job at once (as parallel queue Lambda invocations would).
    const deadline = Date.now() + 45_000;
    let quick = 0;
    while ((await storage.mailboxes.list(EVE, 'INBOX')).length < jobs.length) {
      if (Date.now() > deadline) throw new Error('not every message was stored within 45 s');
      const leased = await storage.queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 500 });
      const results = await Promise.all(leased.map((l) => processJob(deps, l)));
      quick += results.filter((r) => r === 'rescheduled').length;
    }

    const stored = await storage.mailboxes.list(EVE, 'INBOX');
    expect(stored.map((m) => m.deliveryKey).sort()).toEqual(jobs.map((j) => `${j.id}/INBOX`).sort());
    // The overlap really happened, was refused, and was retried quickly.
    expect(contended).toBeGreaterThan(0);
    expect(quick).toBeGreaterThan(0);
    expect(holders.maxAtOnce).toBe(1);
    expect(holders.notOwner).toEqual([]);
    console.log(
      `lambda ownership: ${jobs.length} messages, ${contended} refusals on contention, ${quick} quick reschedules`,
    );
  }, 60_000);
});
