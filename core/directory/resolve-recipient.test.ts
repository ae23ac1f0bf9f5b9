import { describe, expect, it } from 'vitest';
import { checkRecipient, checkSender, type SessionFacts } from '../intake/envelope-checks.ts';
import { parseTrustedNetworks } from '../intake/trusted-networks.ts';
import { srsForward } from '../mail/srs.ts';
import type {
  AccountRecord,
  DirectoryReader,
  DomainRecord,
  MailToUnknown,
  NameEntry,
} from '../ports/directory.ts';
import { silentLogger } from '../ports/logger.ts';
import type { MailboxStore } from '../ports/mailbox-store.ts';
import type { PartialSettings } from '../settings/settings.ts';
import { resolveRecipient } from './resolve-recipient.ts';

/** A small in-memory DirectoryReader, counting domain and cluster-settings reads. */
function fakeDirectory() {
  const domains = new Map<string, DomainRecord>();
  const names = new Map<string, NameEntry>();
  let cluster: PartialSettings = {};
  let failing = false;
  let clusterReads = 0;
  let domainReads = 0;
  const guard = () => {
    if (failing) throw new Error('disk I/O error');
  };
  const dir: DirectoryReader = {
    async getDomain(name: string) {
      guard();
      domainReads++;
      return domains.get(name);
    },
    async lookupName(address: string) {
      guard();
      return names.get(address);
    },
    async getAccount(address: string) {
      guard();
      const e = names.get(address);
      return e?.kind === 'account' ? e.account : undefined;
    },
    async dkimKeys() {
      return [];
    },
    async aliasesOf() {
      guard();
      return [];
    },
    async getClusterSettings() {
      guard();
      clusterReads++;
      return cluster;
    },
  };
  return {
    dir,
    domains,
    names,
    reads: () => ({ domain: domainReads, cluster: clusterReads }),
    domain(
      name: string,
      mailToUnknown: MailToUnknown = { action: 'reject' },
      defaults: PartialSettings = {},
    ) {
      domains.set(name, { name, mailToUnknown, defaults, createdAt: 0 });
    },
    account(address: string, settings: PartialSettings = {}): AccountRecord {
      const [name, domain] = address.split('@') as [string, string];
      const account = { address, name, domain, settings, createdAt: 0 };
      names.set(address, { kind: 'account', account });
      return account;
    },
    alias(address: string, account: string) {
      names.set(address, { kind: 'alias', alias: { address, account } });
    },
    forwarder(address: string, target: string) {
      names.set(address, { kind: 'forwarder', forwarder: { address, target } });
    },
    setCluster(s: PartialSettings) {
      cluster = s;
    },
    fail() {
      failing = true;
    },
  };
}

function world() {
  const d = fakeDirectory();
  d.domain('example.com');
  d.account('alice@example.com');
  d.account('bob@example.com', { Enabled: false });
  d.account('carol@example.com', { MaxAccountSize: 1000, MaxMessageSize: 500 });
  d.alias('ally@example.com', 'alice@example.com');
  d.forwarder('fwd@example.com', 'ally@example.com');
  d.forwarder('out@example.com', 'someone@elsewhere.org');
  d.forwarder('loop1@example.com', 'loop2@example.com');
  d.forwarder('loop2@example.com', 'loop1@example.com');
  d.domain('discard.test', { action: 'discard' });
  d.domain('reroute.test', { action: 'reroute', to: 'Alice@Example.com' });
  d.domain('bounce.test', { action: 'accept-and-bounce' });
  return d;
}

describe('resolveRecipient', () => {
  it('resolves accounts, aliases and forwarder chains to the account', async () => {
    const { dir } = world();
    for (const input of ['alice@example.com', '<ALICE@Example.COM>', 'ally@example.com', 'fwd@example.com']) {
      const r = await resolveRecipient(dir, input);
      expect(r.ok && r.route.kind === 'local' && r.route.address).toBe('alice@example.com');
    }
  });

  it('sends bare postmaster and unknown postmaster@<hosted domain> to the cluster postmaster', async () => {
    const { dir } = world();
    const opts = { postmaster: 'alice@example.com' };
    for (const input of ['postmaster', '<PostMaster>', 'postmaster@example.com', 'POSTMASTER@example.com']) {
      const r = await resolveRecipient(dir, input, opts);
      expect(r.ok && r.route.kind === 'local' && r.route.address).toBe('alice@example.com');
    }
    expect(await resolveRecipient(dir, 'postmaster', opts)).toMatchObject({ original: 'postmaster' });
    // Without any postmaster configured the refusal names the settings.
    for (const input of ['postmaster@example.com', 'postmaster']) {
      const r = await resolveRecipient(dir, input);
      expect(r).toMatchObject({ ok: false, reply: { code: 550, enhanced: '5.1.1' } });
      expect(!r.ok && r.reply.text).toContain('STRATO_POSTMASTER');
      expect(!r.ok && r.reply.text).toContain('strato domain set');
    }
  });

  it("sends postmaster@<domain> to the domain's own postmaster target before the cluster's", async () => {
    const { dir, domains } = world();
    const record = domains.get('example.com')!;
    domains.set('example.com', { ...record, postmaster: 'fwd@example.com' });
    for (const opts of [{}, { postmaster: 'nobody@elsewhere.org' }]) {
      const r = await resolveRecipient(dir, 'Postmaster@Example.com', opts);
      expect(r.ok && r.route.kind === 'local' && r.route.address).toBe('alice@example.com');
    }
    // A bare postmaster is the cluster's only.
    const bare = await resolveRecipient(dir, 'postmaster', { postmaster: 'nobody@elsewhere.org' });
    expect(bare.ok && bare.route).toEqual({ kind: 'external', address: 'nobody@elsewhere.org' });
  });

  it('lets a non-reject MailToUnknown policy take unconfigured postmaster mail', async () => {
    const { dir, domains } = world();
    domains.set('example.com', { ...domains.get('example.com')!, mailToUnknown: { action: 'discard' } });
    expect(await resolveRecipient(dir, 'postmaster@example.com')).toMatchObject({
      ok: true,
      route: { kind: 'discard' },
    });
  });

  it('finds a domain and its names stored in U-label form from an A-label address and from a U-label one', async () => {
    const { dir, domains, names } = world();
    domains.set('bücher.example', { ...domains.get('example.com')!, name: 'bücher.example' });
    const alice = names.get('alice@example.com')!;
    names.set('leser@bücher.example', alice);
    for (const input of ['leser@xn--bcher-kva.example', 'leser@bücher.example']) {
      const r = await resolveRecipient(dir, input);
      expect(r.ok && r.route.kind === 'local' && r.route.address).toBe('alice@example.com');
    }
  });

  it('keeps the original address and marks forwards to outside as external', async () => {
    const r = await resolveRecipient(world().dir, 'out@example.com');
    expect(r).toMatchObject({
      ok: true,
      original: 'out@example.com',
      localDomain: true,
      route: { kind: 'external', address: 'someone@elsewhere.org' },
    });
  });

  it('treats a non-local domain as external', async () => {
    const r = await resolveRecipient(world().dir, 'x@elsewhere.org');
    expect(r).toMatchObject({
      ok: true,
      localDomain: false,
      route: { kind: 'external', address: 'x@elsewhere.org' },
    });
  });

  it('applies MailToUnknown: reject, discard, reroute, accept-and-bounce', async () => {
    const { dir } = world();
    expect(await resolveRecipient(dir, 'nobody@example.com')).toMatchObject({
      ok: false,
      reply: { code: 550, enhanced: '5.1.1' },
    });
    expect(await resolveRecipient(dir, 'x@discard.test')).toMatchObject({
      ok: true,
      route: { kind: 'discard' },
    });
    expect(await resolveRecipient(dir, 'x@reroute.test')).toMatchObject({
      ok: true,
      original: 'x@reroute.test',
      route: { kind: 'local', address: 'alice@example.com' },
    });
    expect(await resolveRecipient(dir, 'x@bounce.test')).toMatchObject({
      ok: true,
      route: { kind: 'bounce', reply: { code: 550, enhanced: '5.1.1' } },
    });
  });

  it('stops forwarder loops after the depth limit', async () => {
    expect(await resolveRecipient(world().dir, 'loop1@example.com')).toMatchObject({
      ok: false,
      reply: { code: 554, enhanced: '5.4.6' },
    });
  });

  it('rejects bad syntax with 501 5.1.3', async () => {
    expect(await resolveRecipient(world().dir, 'not an address')).toMatchObject({
      ok: false,
      reply: { code: 501, enhanced: '5.1.3' },
    });
  });

  it('resolves settings account → domain → cluster', async () => {
    const d = world();
    d.domain('tiered.test', { action: 'reject' }, { MaxMessageSize: 2000 });
    d.account('t@tiered.test');
    d.setCluster({ MaxAccountSize: 42, MaxMessageSize: 9 });
    const r = await resolveRecipient(d.dir, 't@tiered.test');
    expect(r.ok && r.route.kind === 'local' && r.route.settings).toMatchObject({
      MaxMessageSize: 2000,
      MaxAccountSize: 42,
      Enabled: true,
    });
  });

  it('reads a domain and the cluster settings once per resolution, however long the chain', async () => {
    const d = world();
    d.forwarder('fwd2@example.com', 'fwd@example.com');
    const r = await resolveRecipient(d.dir, 'fwd2@example.com');
    expect(r.ok && r.route.kind === 'local' && r.route.address).toBe('alice@example.com');
    expect(d.reads()).toEqual({ domain: 1, cluster: 1 });
  });
});

describe('checkRecipient / checkSender', () => {
  const mx: SessionFacts = { ip: '203.0.113.5', helo: 'c', esmtp: true, tls: false, requireAuth: false };
  const trusted = parseTrustedNetworks(['10.0.0.0/8']);
  if (!trusted.ok) throw new Error('bad test networks');
  function deps(d = world(), usage = 0) {
    const mailboxes = { usage: async () => usage } as unknown as MailboxStore;
    return {
      directory: d.dir,
      mailboxes,
      trustedNetworks: trusted.ok ? trusted.value : undefined!,
      logger: silentLogger,
    };
  }

  it('denies relay to strangers and allows it for authenticated and trusted clients', async () => {
    expect(await checkRecipient(deps(), mx, { address: 'x@elsewhere.org' })).toMatchObject({
      ok: false,
      reply: { code: 554, enhanced: '5.7.1' },
    });
    expect(
      (await checkRecipient(deps(), { ...mx, authUser: 'alice@example.com' }, { address: 'x@elsewhere.org' }))
        .ok,
    ).toBe(true);
    expect(
      (await checkRecipient(deps(), { ...mx, ip: '::ffff:10.1.2.3' }, { address: 'x@elsewhere.org' })).ok,
    ).toBe(true);
    // A local forwarder to the outside is not relaying.
    expect((await checkRecipient(deps(), mx, { address: 'out@example.com' })).ok).toBe(true);
  });

  it('refuses disabled, full and too-small mailboxes', async () => {
    expect(await checkRecipient(deps(), mx, { address: 'bob@example.com' })).toMatchObject({
      ok: false,
      reply: { code: 550, enhanced: '5.2.1' },
    });
    expect(await checkRecipient(deps(world(), 1000), mx, { address: 'carol@example.com' })).toMatchObject({
      ok: false,
      reply: { code: 452, enhanced: '4.2.2' },
    });
    expect((await checkRecipient(deps(world(), 999), mx, { address: 'carol@example.com' })).ok).toBe(true);
    expect(
      await checkRecipient(deps(), mx, { address: 'carol@example.com', declaredSize: 501 }),
    ).toMatchObject({ ok: false, reply: { code: 552, enhanced: '5.2.3' } });
    expect((await checkRecipient(deps(), mx, { address: 'carol@example.com', declaredSize: 500 })).ok).toBe(
      true,
    );
  });

  it('carries DSN parameters', async () => {
    const r = await checkRecipient(deps(), mx, {
      address: 'alice@example.com',
      notify: ['success', 'FAILURE', 'bogus'],
      orcpt: 'rfc822;a@b.c',
    });
    expect(r).toMatchObject({
      ok: true,
      recipient: { original: 'alice@example.com', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a@b.c' },
    });
  });

  it('answers 451 4.3.0 when the directory fails', async () => {
    const d = world();
    d.fail();
    expect(await checkRecipient(deps(d), mx, { address: 'alice@example.com' })).toMatchObject({
      ok: false,
      reply: { code: 451, enhanced: '4.3.0' },
    });
  });

  it('checks senders and the submission AUTH rule', () => {
    expect(checkSender(mx, '')).toEqual({ ok: true, address: '' });
    expect(checkSender(mx, 'A@B.example')).toEqual({ ok: true, address: 'a@b.example' });
    expect(checkSender(mx, 'nope')).toMatchObject({ ok: false, reply: { code: 501, enhanced: '5.1.7' } });
    const submission = { ...mx, requireAuth: true };
    expect(checkSender(submission, 'a@b.example')).toMatchObject({
      ok: false,
      reply: { code: 530, text: 'Must issue a STARTTLS command first' },
    });
    expect(checkSender({ ...submission, tls: true }, 'a@b.example')).toMatchObject({
      ok: false,
      reply: { code: 530, text: 'Authentication required' },
    });
    expect(checkSender({ ...submission, tls: true, authUser: 'a@b.example' }, 'a@b.example').ok).toBe(true);
  });
});

describe('SRS bounce addresses at RCPT', () => {
  const secret = 'unit-test-srs-secret';
  const now = Date.UTC(2026, 0, 10);

  it('resolves a valid one to the forwarding account and refuses a forged or old one', async () => {
    const { dir } = world();
    const srs = srsForward('orig@elsewhere.org', 'alice@example.com', secret, now)!;
    expect(await resolveRecipient(dir, srs, { srs: { secret, now } })).toMatchObject({
      ok: true,
      original: srs,
      route: { kind: 'local', address: 'alice@example.com' },
    });
    const forged = srs.replace(/srs0=[a-z2-7]{8}/, 'srs0=bbbbbbbb');
    expect(await resolveRecipient(dir, forged, { srs: { secret, now } })).toMatchObject({
      ok: false,
      reply: { code: 550, enhanced: '5.7.1', text: `<${forged}>: not a valid bounce address (bad SRS hash)` },
    });
    expect(await resolveRecipient(dir, srs, { srs: { secret, now: now + 30 * 86_400_000 } })).toMatchObject({
      ok: false,
      reply: { text: `<${srs}>: not a valid bounce address (SRS address expired)` },
    });
    // Without the secret it is just an unknown name.
    expect(await resolveRecipient(dir, srs)).toMatchObject({ ok: false, reply: { enhanced: '5.1.1' } });
  });
});
