import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
import type { AccountLeases } from '../../core/ports/account-leases.ts';
import type { DeliveryChannel } from '../../core/ports/delivery-channel.ts';
import type { OutboundRelay } from '../../core/ports/outbound-relay.ts';
import { rendezvous } from '../../core/queue/choose-backend.ts';
import { processJob } from '../../core/queue/process-job.ts';
import { derivedQueueId } from '../../core/util/ids.ts';
import { type Harness, SCHEDULE, startHarness } from './harness.ts';

let h: Harness;

/** The leases as a processor with a stale routing cache sees them: nobody holds any account. */
function staleLeaseReads(leases: AccountLeases): AccountLeases {
  return {
    acquire: (...args) => leases.acquire(...args),
    renew: (...args) => leases.renew(...args),
    release: (...args) => leases.release(...args),
    get: async () => undefined,
  };
}
afterEach(async () => h?.close());

async function inbox(account: string) {
  return h.storage.mailboxes.list(account, 'INBOX');
}

async function queued() {
  return h.storage.queue.list({ limit: 100 });
}

describe('queue processing through the LMTP delivery channel', () => {
  it('delivers a local recipient into its INBOX through a backend, then acks and drops the body', async () => {
    h = await startHarness();
    const job = await h.enqueue({ from: 'sender@remote.example', to: ['alice@example.com'] });
    expect((await h.runOnce())?.result).toBe('done');
    const msgs = await inbox('alice@example.com');
    expect(msgs).toHaveLength(1);
    const body = await text((await h.storage.mailboxes.read('alice@example.com', 'INBOX', msgs[0]!.uid))!);
    expect(body).toContain(`Hello ${job.id}`);
    expect(await queued()).toEqual([]);
    expect(await h.storage.messages.exists(job.body.key)).toBe(false);
    // The backend that stored it holds the account's lease.
    const lease = await h.storage.leases.get('alice@example.com');
    expect(h.backends.map((b) => b.id)).toContain(lease?.owner);
  });

  it('goes to the lease owner when it is live, whatever the hash says', async () => {
    h = await startHarness();
    const live = await h.storage.backends.listLive();
    const hashed = rendezvous('bob@example.com', live)!.id;
    const other = hashed === 'b1' ? 'b2' : 'b1';
    await h.storage.leases.acquire('bob@example.com', other, 60_000);
    await h.enqueue({ from: 's@remote.example', to: ['bob@example.com'] });
    expect((await h.runOnce())?.result).toBe('done');
    expect((await h.storage.leases.get('bob@example.com'))?.owner).toBe(other);
    expect(await inbox('bob@example.com')).toHaveLength(1);
  });

  it('goes to the owner the backend names (typed fact) when its own lease read was stale', async () => {
    h = await startHarness();
    const hashed = rendezvous('bob@example.com', await h.storage.backends.listLive())!.id;
    const owner = hashed === 'b1' ? 'b2' : 'b1';
    await h.storage.leases.acquire('bob@example.com', owner, 60_000);
    await h.enqueue({ from: 's@remote.example', to: ['bob@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    // A processor that read no lease (a stale routing cache) sends bob to the hashed backend.
    expect(await processJob({ ...h.deps, leases: staleLeaseReads(h.deps.leases) }, leased!)).toBe('done');
    expect(await inbox('bob@example.com')).toHaveLength(1);
    expect((await h.storage.leases.get('bob@example.com'))?.owner).toBe(owner);
  });

  it('does not redirect on reply text alone: the owner must come as the typed fact', async () => {
    h = await startHarness();
    const hashed = rendezvous('bob@example.com', await h.storage.backends.listLive())!.id;
    const owner = hashed === 'b1' ? 'b2' : 'b1';
    await h.storage.leases.acquire('bob@example.com', owner, 60_000);
    const job = await h.enqueue({ from: 's@remote.example', to: ['bob@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    const factless: DeliveryChannel = {
      async deliver(backend, req) {
        const out = await h.deps.channel.deliver(backend, req);
        return new Map([...out].map(([r, o]) => [r, o.kind === 'temporary' ? temporary(o.reply) : o]));
      },
    };
    const deps = { ...h.deps, leases: staleLeaseReads(h.deps.leases), channel: factless };
    expect(await processJob(deps, leased!)).toBe('rescheduled');
    const last = (await h.storage.queue.get(job.id))?.job.envelope.recipients[0]?.lastReply;
    expect(last?.text).toContain(`backend=${owner}`);
    expect(await inbox('bob@example.com')).toEqual([]);
  });

  it('never duplicates a message when the same job is delivered twice', async () => {
    h = await startHarness();
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com', 'bob@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 1 });
    // Simulate a processor that delivered but died before acking (so before it deleted the
    // body too): the lease runs out and the job is received and processed again.
    const crashed = {
      ...h.deps,
      queue: { ...h.deps.queue, ack: async () => {} } as never,
      messages: {
        ...h.deps.messages,
        open: h.deps.messages.open.bind(h.deps.messages),
        delete: async () => {},
      } as never,
    };
    expect(await processJob(crashed, leased!)).toBe('done');
    expect(await inbox('alice@example.com')).toHaveLength(1);
    h.clock.advance(2000);
    await h.heartbeatAll();
    const again = await h.runOnce();
    expect(again?.result, JSON.stringify(await h.storage.queue.get(job.id))).toBe('done');
    expect(again?.job.id).toBe(job.id);
    expect(await inbox('alice@example.com')).toHaveLength(1);
    expect(await inbox('bob@example.com')).toHaveLength(1);
  });

  it('keeps the body when its lease may be lost, so a processor that holds the job now can still deliver', async () => {
    h = await startHarness();
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(h.deps, leased!, { leaseHeld: () => false })).toBe('done');
    expect(await h.storage.messages.exists(job.body.key)).toBe(true);
    const other = await h.enqueue({ from: 's@remote.example', to: ['bob@example.com'] });
    const [leased2] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(h.deps, leased2!, { leaseHeld: () => true })).toBe('done');
    expect(await h.storage.messages.exists(other.body.key)).toBe(false);
  });

  it('leaves a delivered body to a store that expires bodies itself (the AWS spool lifecycle rule)', async () => {
    h = await startHarness();
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    const messages = h.deps.messages;
    const expiring = {
      put: messages.put.bind(messages),
      open: messages.open.bind(messages),
      exists: messages.exists.bind(messages),
      delete: messages.delete.bind(messages),
      expiresBodies: true,
    };
    expect(await processJob({ ...h.deps, messages: expiring }, leased!)).toBe('done');
    expect(await inbox('alice@example.com')).toHaveLength(1);
    expect(await queued()).toEqual([]);
    expect(await h.storage.messages.exists(job.body.key)).toBe(true);
  });

  it('fails an unknown local recipient permanently with one DSN to the sender, and none for <>', async () => {
    h = await startHarness();
    await h.enqueue({ from: '', to: ['ghost@example.com'] });
    expect((await h.runOnce())?.result).toBe('done');
    expect(await queued()).toEqual([]);
    await h.enqueue({ from: 'sender@remote.example', to: ['nobody@example.com', 'alice@example.com'] });
    expect((await h.runOnce())?.result).toBe('done');
    const left = await queued();
    expect(left).toHaveLength(1);
    const dsn = left[0]!.job;
    expect(dsn.source).toBe('DSN');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(dsn.envelope.recipients.map((r) => r.address)).toEqual(['sender@remote.example']);
    const report = await text(await h.storage.messages.open(dsn.body));
    expect(report).toContain('Final-Recipient: rfc822; nobody@example.com');
    expect(report).toContain('Status: 5.1.1');
    expect(report).not.toContain('alice@example.com\r\nAction');
    // The DSN itself is delivered like any other mail (here: relayed, since the domain is remote).
    expect((await h.runOnce())?.result).toBe('done');
    expect(await h.captured()).toHaveLength(1);
    expect(await queued()).toEqual([]);
  });

  it('relays external recipients and keeps per-recipient state on partial success', async () => {
    h = await startHarness();
    const job = await h.enqueue({
      from: 'alice@example.com',
      to: ['x@elsewhere.example', 'bob@example.com'],
    });
    expect((await h.runOnce())?.result).toBe('done');
    const files = await h.captured();
    expect(files).toHaveLength(1);
    const envelope = JSON.parse(
      await readFile(join(h.captureDir, files[0]!.replace('.eml', '.json')), 'utf8'),
    );
    expect(envelope).toEqual({
      jobId: job.id,
      mailFrom: 'alice@example.com',
      recipients: ['x@elsewhere.example'],
    });
    expect(await inbox('bob@example.com')).toHaveLength(1);
  });

  it('reports success as relayed where the next hop had no DSN, and not at all where it took NOTIFY', async () => {
    const ok = { code: 250, enhanced: '2.0.0', text: 'queued as R1' };
    const relay: OutboundRelay = {
      async send(req) {
        return new Map(
          req.recipients.map((r): [string, RecipientOutcome] => [
            r,
            r.startsWith('relayed@')
              ? { kind: 'delivered', reply: ok, remoteMta: 'mx.elsewhere.example', relayed: true }
              : r.startsWith('passed@')
                ? { kind: 'delivered', reply: ok, remoteMta: 'mx.elsewhere.example', dsnPassedOn: true }
                : { kind: 'delivered', reply: ok },
          ]),
        );
      },
    };
    h = await startHarness({ relay });
    const job = await h.enqueue({
      from: 'sender@remote.example',
      to: ['relayed@elsewhere.example', 'passed@elsewhere.example', 'final@elsewhere.example'],
      notify: ['SUCCESS'],
    });
    expect((await h.runOnce())?.result).toBe('done');
    const reports = (await queued()).map((q) => q.job);
    expect(reports.map((j) => j.id).sort()).toEqual(
      [
        derivedQueueId(job.id, 'relayed:relayed@elsewhere.example'),
        derivedQueueId(job.id, 'delivered:final@elsewhere.example'),
      ].sort(),
    );
    const relayed = reports.find(
      (j) => j.id === derivedQueueId(job.id, 'relayed:relayed@elsewhere.example'),
    )!;
    const report = await text(await h.storage.messages.open(relayed.body));
    expect(report).toContain('Subject: Mail Relayed Report');
    expect(report).toContain('Action: relayed\r\nStatus: 2.0.0\r\nRemote-MTA: dns; mx.elsewhere.example\r\n');
  });

  it('retries a temporary failure with backoff, warns once, and fails with one DSN at the end of the lifetime', async () => {
    // No live backend is quick-retried for a while (quick-retry.test.ts); here it never ends.
    h = await startHarness({ quickRetry: { delaySeconds: 5, windowSeconds: 0 } });
    for (const b of h.backends) await h.stopBackend(b.id);
    await h.storage.backends.deregister('b1');
    await h.storage.backends.deregister('b2');
    const job = await h.enqueue({ from: 'sender@remote.example', to: ['alice@example.com'] });
    expect((await h.runOnce())?.result).toBe('rescheduled');
    const entry = await h.storage.queue.get(job.id);
    expect(entry?.job.envelope.recipients[0]).toMatchObject({ state: 'pending', attempts: 1 });
    expect(entry?.job.envelope.recipients[0]?.lastReply?.code).toBe(451);
    expect(entry?.job.notBefore).toBe(job.createdAt + SCHEDULE.firstRetrySeconds * 1000);
    expect(await h.runOnce()).toBeUndefined();

    // Walk the clock through the lifetime; the job comes back each time it is due.
    let attempts = 1;
    while ((await h.storage.queue.get(job.id)) !== undefined) {
      h.clock.advance(15 * 60 * 1000);
      while (await h.runOnce()) attempts++;
    }
    // The DSNs went out through the relay (the sender is remote).
    const files = await h.captured();
    const kinds = await Promise.all(files.map((f) => readFile(join(h.captureDir, f), 'utf8')));
    expect(kinds).toHaveLength(2);
    expect(kinds.filter((t) => t.includes('Action: delayed'))).toHaveLength(1);
    const until = new Date(job.createdAt + SCHEDULE.lifetimeSeconds * 1000)
      .toUTCString()
      .replace('GMT', '+0000');
    expect(kinds.find((t) => t.includes('Action: delayed'))).toContain(`Will-Retry-Until: ${until}`);
    expect(kinds.filter((t) => t.includes('Action: failed'))).toHaveLength(1);
    expect(kinds.find((t) => t.includes('Action: failed'))).toContain('Status: 5.4.7');
    expect(attempts).toBeGreaterThan(3);
    expect(h.clock.now() - job.createdAt).toBeGreaterThanOrEqual(SCHEDULE.lifetimeSeconds * 1000);
  });

  it('honours NOTIFY=NEVER and NOTIFY=SUCCESS', async () => {
    h = await startHarness();
    await h.enqueue({ from: 's@remote.example', to: ['nobody@example.com'], notify: ['NEVER'] });
    await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'], notify: ['SUCCESS'] });
    while (await h.runOnce()) {}
    expect(await queued()).toEqual([]);
    // Only the SUCCESS report exists, and it went out through the relay (the sender is remote).
    const files = await h.captured();
    expect(files).toHaveLength(1);
    const report = await readFile(join(h.captureDir, files[0]!), 'utf8');
    expect(report).toContain('Action: delivered');
    expect(report).toContain('Final-Recipient: rfc822; alice@example.com');
    expect(report).not.toContain('Final-Recipient: rfc822; nobody@example.com');
  });

  it('defers a job whose next attempt is beyond the queue delay limit without attempting it', async () => {
    h = await startHarness();
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    const far = { ...leased!, job: { ...leased!.job, notBefore: h.clock.now() + 3600_000 } };
    expect(await processJob(h.deps, far)).toBe('deferred');
    const entry = await h.storage.queue.get(job.id);
    expect(entry?.job.attempts).toBe(0);
    expect(entry?.visibleAt).toBe(h.clock.now() + 900_000);
    expect(await inbox('alice@example.com')).toHaveLength(0);
  });
});
