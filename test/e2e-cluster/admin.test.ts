/**
 * `npm start` with the admin process: the banner prints the WebAdmin URL and, on the first start,
 * the first administrator's name and password; the URL serves the sign-in page over HTTPS with
 * the cluster's certificate, those credentials sign in, and the cluster still stops cleanly.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testClient } from '../../adapters/net/admin-http/server-test-support.ts';
import { type RunningProcess, startProcess } from '../support/cluster.ts';

let cluster: RunningProcess;
beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    admin: true,
    env: { STRATO_FRONTEND_WORKERS: '1', STRATO_BACKENDS: '1' },
  });
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
});

it('prints the WebAdmin URL and the first administrator, and serves the sign-in page', async () => {
  const port = cluster.ports.admin!;
  const out = cluster.output();
  expect(out).toContain(`WebAdmin and admin API (HTTPS)  https://127.0.0.1:${port}/`);
  const creds = /name: (\S+) {2}password: (\S+)/.exec(out);
  expect(creds, out).not.toBeNull();
  const pem = await readFile(join(cluster.dataDir, 'tls', 'self-signed.pem'), 'utf8');
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  const c = testClient(port, cert);
  const login = await c.send('GET', '/login');
  expect(login.status).toBe(200);
  expect(login.text).toContain('<h1>Sign in</h1>');
  expect(login.headers['content-security-policy']).toContain("default-src 'self'");
  await c.login(creds![1]!, creds![2]!);
  const audit = await c.send('GET', '/audit');
  expect([audit.status, audit.text.includes('<h1>Audit</h1>')]).toEqual([200, true]);
  const stopped = await cluster.stop();
  expect(stopped.code).toBe(0);
});
