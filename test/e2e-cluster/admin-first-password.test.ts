/**
 * The admin process as it runs on Fargate (standalone, STRATO_ADMIN_FIRST_PASSWORD_SECRET_ID set):
 * the first administrator gets the password from the Secrets Manager secret (the real AWS SDK
 * against a loopback endpoint), the log names the secret but never holds the password, and that
 * password signs in. A second start (an administrator exists) does not read the secret again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testClient } from '../../adapters/net/admin-http/server-test-support.ts';
import { type ProcessLogs, watchProcessLogs } from '../support/process-logs.ts';
import { SecretsManagerServer } from '../support/secrets-manager-server.ts';

const SECRET_ID = 'strato/test/admin-first-password';
const PASSWORD = 'Generated0by0Secrets0Manager0xyz';

let dataDir: string;
const secrets = new SecretsManagerServer();
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strato-admin-secret-'));
  await secrets.start();
  secrets.put(SECRET_ID, PASSWORD);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await secrets.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Start fargate/admin/main.ts without an IPC channel (as on Fargate) and wait until it serves. */
async function startAdmin(): Promise<{ child: ChildProcess; logs: ProcessLogs; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'fargate/admin/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: {
      ...process.env,
      STRATO_DATA_DIR: dataDir,
      STRATO_ADMIN_PORT: '0',
      STRATO_ADMIN_FIRST_PASSWORD_SECRET_ID: SECRET_ID,
      STRATO_AWS_ENDPOINT_SECRETSMANAGER: secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs = watchProcessLogs(child);
  const started = await logs.waitForLog((l) => l.event === 'admin.started', 30_000);
  return { child, logs, port: Number(new URL(String(started.url)).port) };
}

async function stop(a: { child: ChildProcess; logs: ProcessLogs }): Promise<void> {
  a.child.kill('SIGTERM');
  expect((await a.logs.exited).code).toBe(0);
}

it('makes the first administrator with the secret password and never logs it', async () => {
  const first = await startAdmin();
  expect(await first.logs.waitForLog((l) => l.event === 'admin.first_admin_created')).toMatchObject({
    name: 'admin',
    passwordSecret: SECRET_ID,
  });
  expect(first.logs.logs.some((l) => l.event === 'admin.first_admin')).toBe(false);
  expect(first.logs.output()).not.toContain(PASSWORD);
  expect(secrets.reads).toEqual([SECRET_ID]);

  const pem = await readFile(join(dataDir, 'tls', 'self-signed.pem'), 'utf8');
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  await testClient(first.port, cert).login('admin', PASSWORD);
  await stop(first);

  const again = await startAdmin();
  await stop(again);
  expect(again.logs.logs.some((l) => l.event === 'admin.first_admin_created')).toBe(false);
  expect(secrets.reads).toEqual([SECRET_ID]);
}, 90_000);
