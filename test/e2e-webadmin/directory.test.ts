/**
 * The WebAdmin in headless Chromium against a running local cluster (`startProcess({ admin: true
 * })`): the first administrator signs in and walks Domains, an account's settings and the Rules
 * editor (screenshots for the README with STRATO_SCREENSHOTS=1); a domain administrator (made with
 * `strato admin add`) sees only its domain, and another domain's pages answer 403; failed sign-ins
 * are throttled (after 5 for one name the right password is refused with the throttled message).
 * Each test uses its own browser context and names; waits are for elements, never fixed sleeps.
 * Skipped (CHROMIUM_MISSING) where no Chromium is installed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient } from '../../adapters/net/admin-http/server-test-support.ts';
import { strato } from '../e2e-cli/run-cli.ts';
import { CHROMIUM_MISSING, chromiumPath, launchBrowser, newPage, screenshot } from '../support/browser.ts';
import { PROCESS_TEST_TIMEOUT_MS, type RunningProcess, startProcess } from '../support/cluster.ts';

const hasChromium = chromiumPath() !== undefined;
if (!hasChromium) console.warn(CHROMIUM_MISSING);

const RULES = [
  {
    name: 'spam to junk',
    priority: 'highest',
    conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
    actions: [{ action: 'discard' }],
  },
];

let cluster: RunningProcess;
let browser: Browser;
let base: string;
let first: { name: string; password: string };

beforeAll(async () => {
  if (!hasChromium) return;
  cluster = await startProcess({
    entry: 'cluster',
    admin: true,
    env: { STRATO_FRONTEND_WORKERS: '1', STRATO_BACKENDS: '1' },
  });
  base = `https://127.0.0.1:${cluster.ports.admin}`;
  const creds = /name: (\S+) {2}password: (\S+)/.exec(cluster.output());
  if (!creds) throw new Error(`no first administrator in the output:\n${cluster.output()}`);
  first = { name: creds[1]!, password: creds[2]! };
  // The directory the pages show, made over the API as the first administrator.
  const pem = await readFile(join(cluster.dataDir, 'tls', 'self-signed.pem'), 'utf8');
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  const api = testClient(cluster.ports.admin!, cert);
  const h = { 'x-csrf-token': await api.login(first.name, first.password) };
  const ok = async (method: string, path: string, json: unknown) => {
    const reply = await api.send(method, path, { json, headers: h });
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  };
  for (const name of ['shop.example', 'other.example']) await ok('POST', '/api/v1/domains', { name });
  for (const n of ['alice', 'bob', 'carol']) {
    await ok('POST', '/api/v1/domains/shop.example/accounts', {
      address: `${n}@shop.example`,
      realName: n[0]!.toUpperCase() + n.slice(1),
      password: `${n}-password-1`,
    });
  }
  await ok('POST', '/api/v1/domains/other.example/accounts', { address: 'zed@other.example' });
  await ok('PATCH', '/api/v1/domains/shop.example', { defaults: { MaxMessageSize: '25M' } });
  await ok('PATCH', '/api/v1/accounts/alice@shop.example', { settings: { MaxAccountSize: '2G' } });
  await ok('POST', '/api/v1/domains/shop.example/aliases', {
    address: 'sales@shop.example',
    account: 'alice@shop.example',
  });
  await ok('POST', '/api/v1/domains/shop.example/forwarders', {
    address: 'info@shop.example',
    target: 'team@partner.example',
  });
  await ok('POST', '/api/v1/domains/shop.example/dkim', { algorithm: 'ed25519' });
  await ok('PUT', '/api/v1/accounts/alice@shop.example/rules', { rules: RULES });
  // A domain administrator, as an operator adds one.
  const added = await strato(
    cluster.dataDir,
    ['admin', 'add', 'dana', '--role', 'domain', '--domains', 'shop.example', '--password-stdin'],
    { input: 'dana-password-1\n' },
  );
  if (added.code !== 0) throw new Error(`strato admin add: ${added.stderr}`);
  browser = await launchBrowser();
}, PROCESS_TEST_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe.skipIf(!hasChromium)('WebAdmin directory in Chromium', () => {
  it('signs in and shows domains, an account and the rules editor', async () => {
    const page = await newPage(browser);
    await signIn(page, first.name, first.password);
    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await page.getByRole('heading', { name: 'Domains', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'shop.example' }).first().click();
    await page.getByRole('heading', { name: 'Domain shop.example' }).waitFor();
    await page.getByRole('rowheader', { name: 'sales@shop.example' }).waitFor();
    await page.getByRole('rowheader', { name: 'info@shop.example' }).waitFor();
    await page
      .getByText(/\._domainkey\.shop\.example/)
      .first()
      .waitFor();
    await screenshot(page, 'domains');

    await page.goto(`${base}/domains/shop.example/accounts?search=al`);
    await page.getByRole('link', { name: 'alice@shop.example' }).click();
    await page.getByRole('heading', { name: 'Account alice@shop.example' }).waitFor();
    const row = page.getByRole('row', { name: /MaxMessageSize/ });
    await expect(row.getByRole('cell').last().textContent()).resolves.toBe('domain');
    await page.getByLabel('MaxAccountSize').fill('3G');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await expect(
      page
        .getByRole('row', { name: /MaxAccountSize/ })
        .getByRole('cell')
        .nth(1)
        .textContent(),
    ).resolves.toBe(String(3 * 1024 ** 3));
    await screenshot(page, 'account');

    await page.getByRole('link', { name: 'Rules' }).last().click();
    await page.getByRole('heading', { name: 'Rules of alice@shop.example' }).waitFor();
    await page.getByLabel(/^Rule set/).fill('[{"name": "broken"}]');
    await page.getByRole('button', { name: 'Validate and save' }).click();
    await page.locator('#f-rules-error').waitFor();
    await expect(page.locator('#f-rules-error').textContent()).resolves.toMatch(/invalid rule set/);
    await page
      .getByLabel('Raw message')
      .fill('From: x@spam.example\nSubject: win\nX-Spam-Flag: YES\n\nbuy\n');
    await page.getByRole('button', { name: 'Run the rules' }).click();
    await page.getByRole('heading', { name: 'Plan: drop' }).waitFor();
    await screenshot(page, 'rules');
    await page.context().close();
  });

  it('keeps a domain administrator to its domain: another domain is neither listed nor reachable', async () => {
    const page = await newPage(browser);
    await signIn(page, 'dana', 'dana-password-1');
    await page.goto(`${base}/domains`);
    await page.getByRole('link', { name: 'shop.example' }).first().waitFor();
    await expect(page.locator('main').textContent()).resolves.not.toContain('other.example');
    for (const path of [
      '/domains/other.example',
      '/domains/other.example/accounts',
      '/accounts/zed@other.example',
      '/domains/other.example/rules',
    ]) {
      const reply = await page.goto(`${base}${path}`);
      expect([path, reply?.status()]).toEqual([path, 403]);
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    }
    // Cluster-wide pages are not offered to a domain administrator (its queue view is scoped).
    await expect(page.getByRole('link', { name: 'Routing' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'General' }).count()).resolves.toBe(0);
    await page.context().close();
  });

  it('throttles failed sign-ins: after 5 the right password is refused', async () => {
    const added = await strato(cluster.dataDir, ['admin', 'add', 'tom', '--password-stdin'], {
      input: 'tom-password-1\n',
    });
    expect(added.code, added.stderr).toBe(0);
    const page = await newPage(browser);
    for (let i = 0; i < 5; i++) {
      await signIn(page, 'tom', `wrong-${i}`);
      await page.getByRole('alert').filter({ hasText: 'Wrong name or password.' }).waitFor();
    }
    await signIn(page, 'tom', 'tom-password-1');
    await page
      .getByRole('alert')
      .filter({ hasText: /Too many failed sign-ins\. Try again in \d+ seconds\./ })
      .waitFor();
    expect(page.url()).toContain('/login');
    await page.context().close();
  });
});
