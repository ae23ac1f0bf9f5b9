/**
 * The Domains, Accounts and Rules pages over real HTTPS, the real access layer and embedded
 * storage: what each shows (scoped to the administrator's domains), the forms (POST-redirect-GET
 * with a flash; a refusal beside its field with nothing saved), paging and search of accounts,
 * the settings table with sources, the rules editor and its dry run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, getAccount } from '../../../../core/admin/accounts.ts';
import { addDomain } from '../../../../core/admin/domains.ts';
import { getRuleSet } from '../../../../core/admin/rules.ts';
import {
  realRoutes,
  startTestServer,
  type TestClient,
  type TestServer,
  testCertificate,
} from '../server-test-support.ts';

let srv: TestServer;
let real: Awaited<ReturnType<typeof realRoutes>>;

beforeAll(async () => {
  real = await realRoutes();
  srv = await startTestServer(await testCertificate(), real.routes, { storage: real.deps.storage });
  const s = real.deps.storage;
  await addDomain(s, { name: 'a.example' });
  await addDomain(s, { name: 'b.example' });
  await addAccount(s, { address: 'alice@a.example' });
  for (let i = 0; i < 55; i++)
    await addAccount(s, { address: `user${String(i).padStart(2, '0')}@b.example` });
});
afterAll(async () => {
  await srv?.close();
  await real?.close();
});

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)![1]!;

async function signIn(name: 'root' | 'dora'): Promise<{ c: TestClient; csrf: string }> {
  const c = srv.client();
  const reply = await c.send('POST', '/login', { form: { name, password: `${name}-password` } });
  expect(reply.status).toBe(303);
  return { c, csrf: csrfOf((await c.send('GET', '/domains')).text) };
}

describe('domains', () => {
  it('lists the domains an administrator may see, and refuses the others', async () => {
    const { c } = await signIn('dora');
    const list = await c.send('GET', '/domains');
    expect(list.text).toContain('<a href="/domains/a.example">a.example</a>');
    expect(list.text).not.toContain('b.example');
    expect(list.text).not.toContain('Add a domain');
    expect((await c.send('GET', '/domains/b.example')).status).toBe(403);
    expect((await c.send('GET', '/domains/b.example/accounts')).status).toBe(403);
    expect((await c.send('GET', '/accounts/user01@b.example')).status).toBe(403);
    const root = await signIn('root');
    expect((await root.c.send('GET', '/domains')).text).toContain('b.example');
  });

  it('adds a domain, or shows why not beside the name', async () => {
    const { c, csrf } = await signIn('root');
    const bad = await c.send('POST', '/domains', { form: { _csrf: csrf, name: 'not a domain' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-name-error">invalid domain/);
    expect(bad.text).toContain('value="not a domain"');
    const dup = await c.send('POST', '/domains', { form: { _csrf: csrf, name: 'a.example' } });
    expect([dup.status, /id="f-name-error"/.test(dup.text)]).toEqual([400, true]);
    const ok = await c.send('POST', '/domains', { form: { _csrf: csrf, name: 'new.example' } });
    expect([ok.status, ok.headers.location]).toEqual([303, '/domains/new.example']);
    expect((await c.send('GET', '/domains/new.example')).text).toContain('Domain new.example added.');
  });

  it("shows a domain's settings and saves them; a bad value comes back beside its field", async () => {
    const { c, csrf } = await signIn('dora');
    const pageText = (await c.send('GET', '/domains/a.example')).text;
    expect(pageText).toContain('<h1>Domain a.example</h1>');
    expect(pageText).toContain('<th scope="col">Comes from</th>');
    const bad = await c.send('POST', '/domains/a.example', {
      form: { _csrf: csrf, mailToUnknown: 'discard', postmaster: '', MaxMessageSize: 'huge' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-MaxMessageSize-error">/);
    expect(bad.text).toContain('value="huge"');
    const stillReject = await c.send('GET', '/domains/a.example');
    expect(stillReject.text).toContain('value="reject"');
    const ok = await c.send('POST', '/domains/a.example', {
      form: { _csrf: csrf, mailToUnknown: 'discard', postmaster: '', MaxMessageSize: '20M' },
    });
    expect([ok.status, ok.headers.location]).toEqual([303, '/domains/a.example#settings']);
    const after = (await c.send('GET', '/domains/a.example')).text;
    expect(after).toContain('value="discard"');
    expect(after).toContain('value="20971520"');
  });

  it('adds and removes aliases and forwarders, with refusals beside the field', async () => {
    const { c, csrf } = await signIn('dora');
    const bad = await c.send('POST', '/domains/a.example/aliases', {
      form: { _csrf: csrf, aliasAddress: 'al@a.example', aliasAccount: 'nobody@a.example' },
    });
    expect([bad.status, /id="f-aliasAccount-error"/.test(bad.text)]).toEqual([400, true]);
    const other = await c.send('POST', '/domains/a.example/aliases', {
      form: { _csrf: csrf, aliasAddress: 'al@b.example', aliasAccount: 'alice@a.example' },
    });
    expect([other.status, /id="f-aliasAddress-error"/.test(other.text)]).toEqual([400, true]);
    const ok = await c.send('POST', '/domains/a.example/aliases', {
      form: { _csrf: csrf, aliasAddress: 'al@a.example', aliasAccount: 'alice@a.example' },
    });
    expect(ok.status).toBe(303);
    expect((await c.send('GET', '/domains/a.example')).text).toContain('<th scope="row">al@a.example</th>');
    const removed = await c.send('POST', '/domains/a.example/aliases/remove', {
      form: { _csrf: csrf, address: 'al@a.example' },
    });
    expect(removed.status).toBe(303);
    const fwd = await c.send('POST', '/domains/a.example/forwarders', {
      form: { _csrf: csrf, forwarderAddress: 'fw@a.example', forwarderTarget: 'fw@a.example' },
    });
    expect([fwd.status, /id="f-forwarderTarget-error"/.test(fwd.text)]).toEqual([400, true]);
    const stray = await c.send('POST', '/domains/a.example/forwarders/remove', {
      form: { _csrf: csrf, address: 'x@b.example' },
    });
    expect(stray.status).toBe(400);
  });

  it('generates then rotates a DKIM key and shows the DNS record', async () => {
    const { c, csrf } = await signIn('dora');
    const bad = await c.send('POST', '/domains/a.example/dkim', {
      form: { _csrf: csrf, dkimAlgorithm: 'dsa', dkimSelector: '' },
    });
    expect([bad.status, /id="f-dkimAlgorithm-error"/.test(bad.text)]).toEqual([400, true]);
    const first = await c.send('POST', '/domains/a.example/dkim', {
      form: { _csrf: csrf, dkimAlgorithm: 'ed25519', dkimSelector: 'k1' },
    });
    expect(first.status).toBe(303);
    await c.send('POST', '/domains/a.example/dkim', {
      form: { _csrf: csrf, dkimAlgorithm: '', dkimSelector: 'k2' },
    });
    const text = (await c.send('GET', '/domains/a.example')).text;
    expect(text).toContain('<code>k1._domainkey.a.example</code>');
    expect(text).toMatch(/<th scope="row">k1<\/th><td>ed25519<\/td><td>retired<\/td>/);
    expect(text).toMatch(/<th scope="row">k2<\/th><td>ed25519<\/td><td>active<\/td>/);
  });
});

describe('accounts', () => {
  it('pages through a domain and searches by prefix', async () => {
    const { c } = await signIn('root');
    const first = (await c.send('GET', '/domains/b.example/accounts')).text;
    expect(first).toContain('user00@b.example');
    expect(first).toContain('user49@b.example');
    expect(first).not.toContain('user50@b.example');
    const next = /href="(\/domains\/b\.example\/accounts\?cursor=[^"]+)" rel="next"/.exec(first)![1]!;
    const second = (await c.send('GET', next.replace(/&amp;/g, '&'))).text;
    expect(second).toContain('user54@b.example');
    expect(second).not.toContain('user00@b.example');
    expect(second).not.toContain('rel="next"');
    const found = (await c.send('GET', '/domains/b.example/accounts?search=user3')).text;
    expect(found.match(/<th scope="row"><a href="\/accounts\//g)).toHaveLength(10);
    expect((await c.send('GET', '/accounts')).text).toContain('<a href="/domains/b.example/accounts">');
    const dora = await signIn('dora');
    const only = await dora.c.send('GET', '/accounts');
    expect([only.status, only.headers.location]).toEqual([303, '/domains/a.example/accounts']);
  });

  it('adds an account, refusing one of another domain beside the address', async () => {
    const { c, csrf } = await signIn('dora');
    const other = await c.send('POST', '/domains/a.example/accounts', {
      form: { _csrf: csrf, address: 'bob@b.example', realName: '', password: '' },
    });
    expect([other.status, /id="f-address-error"/.test(other.text)]).toEqual([400, true]);
    const ok = await c.send('POST', '/domains/a.example/accounts', {
      form: { _csrf: csrf, address: 'bob@a.example', realName: 'Bob', password: 'bob-password' },
    });
    expect([ok.status, ok.headers.location]).toEqual([303, '/accounts/bob%40a.example']);
    expect((await getAccount(real.deps.storage, { address: 'bob@a.example' })).hasPassword).toBe(true);
  });

  it('shows stored, effective and source of each setting; saves, refuses and sets the password', async () => {
    const { c, csrf } = await signIn('dora');
    const view = (await c.send('GET', '/accounts/alice%40a.example')).text;
    expect(view).toMatch(
      /<th scope="row"><code>MaxMessageSize<\/code><\/th><td><span class="muted">inherited<\/span><\/td><td>20971520<\/td><td>domain<\/td>/,
    );
    const bad = await c.send('POST', '/accounts/alice%40a.example/settings', {
      form: { _csrf: csrf, MaxAccountSize: '1G', MailOutFlow: 'lots' },
    });
    expect([bad.status, /id="f-MailOutFlow-error"/.test(bad.text)]).toEqual([400, true]);
    expect((await getAccount(real.deps.storage, { address: 'alice@a.example' })).settings).toEqual({});
    const ok = await c.send('POST', '/accounts/alice%40a.example/settings', {
      form: { _csrf: csrf, MaxAccountSize: '1G' },
    });
    expect(ok.status).toBe(303);
    expect((await c.send('GET', '/accounts/alice%40a.example')).text).toMatch(
      /<code>MaxAccountSize<\/code><\/th><td>1073741824<\/td><td>1073741824<\/td><td>account<\/td>/,
    );
    const cleared = await c.send('POST', '/accounts/alice%40a.example/settings', {
      form: { _csrf: csrf, MaxAccountSize: '' },
    });
    expect(cleared.status).toBe(303);
    expect((await getAccount(real.deps.storage, { address: 'alice@a.example' })).settings).toEqual({});
    const empty = await c.send('POST', '/accounts/alice%40a.example/password', {
      form: { _csrf: csrf, password: '' },
    });
    expect([empty.status, /id="f-password-error"/.test(empty.text)]).toEqual([400, true]);
    const pw = await c.send('POST', '/accounts/alice%40a.example/password', {
      form: { _csrf: csrf, password: 'alice-new-pass' },
    });
    expect(pw.status).toBe(303);
    expect((await c.send('GET', '/accounts/alice%40a.example')).text).toContain('Password set.');
  });
});

describe('rules', () => {
  const RULE = [
    {
      name: 'spam',
      priority: 'highest',
      conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
      actions: [{ action: 'discard' }],
    },
  ];

  it('edits a rule set: problems beside the field and nothing stored, then saved', async () => {
    const { c, csrf } = await signIn('dora');
    const editor = (await c.send('GET', '/accounts/alice%40a.example/rules')).text;
    expect(editor).toContain('<textarea id="f-rules" name="rules"');
    const bad = await c.send('POST', '/accounts/alice%40a.example/rules', {
      form: { _csrf: csrf, rules: '[{"name": "x"}]' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-rules-error">invalid rule set/);
    expect(bad.text).toContain('[{&quot;name&quot;: &quot;x&quot;}]');
    const ruleSet = { scope: 'account', name: 'alice@a.example' };
    expect((await getRuleSet(real.deps.storage, ruleSet)).rules).toEqual([]);
    const ok = await c.send('POST', '/accounts/alice%40a.example/rules', {
      form: { _csrf: csrf, rules: JSON.stringify(RULE) },
    });
    expect([ok.status, ok.headers.location]).toEqual([303, '/accounts/alice%40a.example/rules']);
    expect((await getRuleSet(real.deps.storage, ruleSet)).rules).toHaveLength(1);
  });

  it('dry-runs the rules on a pasted message and shows the plan', async () => {
    const { c, csrf } = await signIn('dora');
    await c.send('POST', '/accounts/alice%40a.example/rules', {
      form: { _csrf: csrf, rules: JSON.stringify(RULE) },
    });
    const message = 'From: bob@example.org\r\nSubject: hi\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n';
    const run = await c.send('POST', '/accounts/alice%40a.example/rules/dry-run', {
      form: { _csrf: csrf, message, from: '' },
    });
    expect(run.status).toBe(200);
    expect(run.text).toContain('<h3 id="plan">Plan: drop</h3>');
    const empty = await c.send('POST', '/accounts/alice%40a.example/rules/dry-run', {
      form: { _csrf: csrf, message: '', from: '' },
    });
    expect([empty.status, /id="f-message-error"/.test(empty.text)]).toEqual([400, true]);
  });

  it("keeps the cluster's rules to cluster administrators", async () => {
    const dora = await signIn('dora');
    const list = await dora.c.send('GET', '/rules');
    expect(list.text).toContain('<a href="/domains/a.example/rules">a.example</a>');
    expect((await dora.c.send('POST', '/rules', { form: { _csrf: dora.csrf, rules: '[]' } })).status).toBe(
      403,
    );
    const root = await signIn('root');
    expect((await root.c.send('GET', '/rules')).text).toContain('<h1>Cluster rules</h1>');
    const saved = await root.c.send('POST', '/rules', { form: { _csrf: root.csrf, rules: '[]' } });
    expect([saved.status, saved.headers.location]).toEqual([303, '/rules']);
  });
});
