/**
 * The Fargate image's bundle, as the CDK builds it, runs on its own: bundled into a fresh folder
 * with no node_modules anywhere above it, the frontend starts against the emulators and takes one
 * message into the queue (SQS + queue index) with its body in the spool bucket; the admin process
 * starts on the same storage, makes the first administrator with the password from its Secrets
 * Manager secret, and that password signs in. The image is the bundle plus node, so this is what
 * a deploy ships, minus Docker.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { testClient } from '../../adapters/net/admin-http/server-test-support.ts';
import { bundleImageContext } from '../../cdk/image-bundle.ts';
import type { LeasedJob } from '../../core/ports/mail-queue.ts';
import { freePorts, portAccepts, queuedId } from '../support/cluster.ts';
import { watchProcessLogs } from '../support/process-logs.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import { SecretsManagerServer } from '../support/secrets-manager-server.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

let mode: AwsMode;
let out: string;

/** Every folder from `dir` up to the root: none may hold node_modules. */
function ancestors(dir: string): string[] {
  const all = [dir];
  while (dirname(all.at(-1) as string) !== all.at(-1)) all.push(dirname(all.at(-1) as string));
  return all;
}

beforeAll(async () => {
  mode = await createAwsMode();
  await seedDomain(mode.storage.directory, 'bundle.example', ['alice']);
  out = await mkdtemp(join(tmpdir(), 'strato-image-'));
  await bundleImageContext(out);
}, 120_000);
afterAll(async () => {
  await mode?.storage.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the Fargate bundle', () => {
  it('holds the entrypoint, both roles and the scratch dir, and no node_modules', async () => {
    const app = await readdir(join(out, 'app'));
    expect(app).toEqual(
      expect.arrayContaining(['entrypoint.mjs', 'frontend.mjs', 'backend.mjs', 'admin.mjs']),
    );
    expect(existsSync(join(out, 'scratch', 'strato'))).toBe(true);
    expect(ancestors(join(out, 'app')).filter((d) => existsSync(join(d, 'node_modules')))).toEqual([]);
  });

  it('starts as a frontend with no node_modules and takes a message into the emulators', async () => {
    const [mx, submission, smtps] = (await freePorts(3)) as [number, number, number];
    const dataDir = join(out, 'scratch', 'strato');
    const proc = spawn(process.execPath, [join(out, 'app', 'entrypoint.mjs'), 'frontend'], {
      cwd: join(out, 'app'),
      env: {
        PATH: process.env.PATH ?? '',
        ...mode.env,
        NODE_ENV: 'production',
        TMPDIR: dataDir,
        STRATO_DATA_DIR: dataDir,
        STRATO_LISTEN_HOST: '127.0.0.1',
        STRATO_SMTP_PORT: String(mx),
        STRATO_SUBMISSION_PORT: String(submission),
        STRATO_SMTPS_PORT: String(smtps),
        STRATO_QUEUE_PROCESSING: 'false',
        STRATO_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { waitForLog, exited, output } = watchProcessLogs(proc);
    try {
      await Promise.race([
        waitForLog((l) => l.event === 'frontend.started', 60_000),
        exited.then(() => {
          throw new Error(`the bundled frontend exited early:\n${output()}`);
        }),
      ]);
      expect(await portAccepts(mx)).toBe(true);

      const smtp = await RawSmtp.connect(mx);
      expect((await smtp.read()).code).toBe(220);
      expect((await smtp.command('EHLO bundle.test')).code).toBe(250);
      expect((await smtp.command('MAIL FROM:<sender@outside.example>')).code).toBe(250);
      expect((await smtp.command('RCPT TO:<alice@bundle.example>')).code).toBe(250);
      expect((await smtp.command('DATA')).code).toBe(354);
      const done = await smtp.command('Subject: from the bundle\r\n\r\nhello\r\n.');
      expect(done.code).toBe(250);
      await smtp.command('QUIT');

      const id = queuedId(done.last) as string;
      expect(id).toBeTruthy();
      // A new job is in SQS only (the index learns of it at its first receive): receive it.
      const leased: LeasedJob[] = [];
      for (let i = 0; i < 10 && !leased.some((l) => l.job.id === id); i++) {
        leased.push(...(await mode.storage.queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 1000 })));
      }
      const job = leased.find((l) => l.job.id === id)?.job;
      expect(job?.envelope.recipients.map((r) => r.address)).toEqual(['alice@bundle.example']);
      const body = await mode.storage.messages.open(job?.body ?? id);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c));
      expect(Buffer.concat(chunks).toString()).toContain('Subject: from the bundle');
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
  it('starts as the admin process with the first password from its secret, which signs in', async () => {
    const secrets = await new SecretsManagerServer().start();
    const password = 'FromSecretsManager0123456789abcd';
    secrets.put('strato/bundle/admin', password);
    const dataDir = join(out, 'scratch', 'strato');
    const proc = spawn(process.execPath, [join(out, 'app', 'entrypoint.mjs'), 'admin'], {
      cwd: join(out, 'app'),
      env: {
        PATH: process.env.PATH ?? '',
        ...mode.env,
        NODE_ENV: 'production',
        STRATO_DATA_DIR: dataDir,
        STRATO_ADMIN_PORT: '0',
        STRATO_ADMIN_FIRST_PASSWORD_SECRET_ID: 'strato/bundle/admin',
        STRATO_AWS_ENDPOINT_SECRETSMANAGER: secrets.endpoint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { waitForLog, exited, output } = watchProcessLogs(proc);
    try {
      const started = await Promise.race([
        waitForLog((l) => l.event === 'admin.started', 60_000),
        exited.then(() => {
          throw new Error(`the bundled admin process exited early:\n${output()}`);
        }),
      ]);
      const port = Number(new URL(String(started.url)).port);
      const pem = await readFile(join(dataDir, 'tls', 'self-signed.pem'), 'utf8');
      const ca = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
      await testClient(port, ca).login('admin', password);
      expect(output()).not.toContain(password);
    } finally {
      proc.kill('SIGTERM');
      await exited;
      await secrets.close();
    }
  }, 120_000);
});
