/**
 * Where the frontends' certificate comes from and how a rotation reaches them, on real processes:
 * operator files re-read while sessions stay open (an open session finishes its message on the old
 * certificate, new sessions get the new one, a mismatched pair is refused and the old one stays);
 * a Secrets Manager secret read through the AWS SDK and rotated by a new version; and a frontend
 * told not to fall back to a self-signed certificate refusing to start without one.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY, PROCESS_TEST_TIMEOUT_MS, type RunningProcess, startProcess } from '../support/cluster.ts';
import { ALICE, ALICE_PASSWORD } from '../support/delivery.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import { SecretsManagerServer } from '../support/secrets-manager-server.ts';

interface Pair {
  key: string;
  cert: string;
  fingerprint: string;
}

async function makePair(commonName: string): Promise<Pair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
  });
  return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
}

/** The fingerprint of the certificate a fresh implicit-TLS session is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

/** Write a file so a reader sees the old or the new content, never half of it. */
async function replace(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

const countEvents = (p: RunningProcess, event: string) => p.logs.filter((l) => l.event === event).length;

describe('a certificate from files, rotated while sessions are open', () => {
  let dir: string;
  let cluster: RunningProcess;
  let first: Pair;
  let second: Pair;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strato-certs-'));
    [first, second] = await Promise.all([makePair('first.strato.test'), makePair('second.strato.test')]);
    await writeFile(join(dir, 'cert.pem'), first.cert);
    await writeFile(join(dir, 'key.pem'), first.key);
    cluster = await startProcess({
      entry: 'cluster',
      env: {
        STRATO_FRONTEND_WORKERS: '1',
        STRATO_TLS_CERT: join(dir, 'cert.pem'),
        STRATO_TLS_KEY: join(dir, 'key.pem'),
        STRATO_TLS_RELOAD_SECONDS: '1',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'serves the new certificate to new sessions and lets an open one finish on the old',
    async () => {
      const port = cluster.ports.smtps;
      expect(await servedFingerprint(port)).toBe(first.fingerprint);
      const open = await RawSmtp.connect(port, { tls: true });
      expect((await open.read()).code).toBe(220);
      expect((await open.command('EHLO old.session.test')).code).toBe(250);
      const plain = Buffer.from(`\0${ALICE}\0${ALICE_PASSWORD}`).toString('base64');
      expect((await open.command(`AUTH PLAIN ${plain}`)).code).toBe(235);
      expect((await open.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);

      // A half-written rotation (new key, old certificate) is refused; the old pair stays.
      await replace(join(dir, 'key.pem'), second.key);
      await cluster.waitForLog((l) => l.event === 'tls.reload_failed', 20_000);
      expect(await servedFingerprint(port)).toBe(first.fingerprint);

      await replace(join(dir, 'cert.pem'), second.cert);
      await cluster.waitForLog((l) => l.event === 'tls.reloaded', 20_000);
      expect(await servedFingerprint(port)).toBe(second.fingerprint);

      expect((await open.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
      expect((await open.command('DATA')).code).toBe(354);
      expect((await open.command('Subject: across a rotation\r\n\r\nstill here\r\n.')).code).toBe(250);
      await open.command('QUIT');
      expect(countEvents(cluster, 'tls.reloaded')).toBe(1);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('a certificate from Secrets Manager', () => {
  let secrets: SecretsManagerServer;
  let frontend: RunningProcess;
  let first: Pair;
  let second: Pair;
  const secretJson = (p: Pair) => JSON.stringify({ certificate: p.cert, privateKey: p.key });

  beforeAll(async () => {
    [first, second] = await Promise.all([
      makePair('sm-first.strato.test'),
      makePair('sm-second.strato.test'),
    ]);
    secrets = await new SecretsManagerServer().start();
    secrets.put('strato/test/tls', secretJson(first));
    frontend = await startProcess({
      entry: 'frontend',
      env: {
        STRATO_TLS_SECRET: 'strato/test/tls',
        STRATO_AWS_ENDPOINT_SECRETSMANAGER: secrets.endpoint,
        STRATO_TLS_RELOAD_SECONDS: '1',
        STRATO_TLS_SELF_SIGNED_ALLOWED: 'false',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await frontend?.stop();
    await secrets?.close();
  });

  it('serves the secret and picks up a new version', async () => {
    expect(frontend.logs.find((l) => l.event === 'frontend.started')?.tls).toBe('secret');
    expect(await servedFingerprint(frontend.ports.smtps)).toBe(first.fingerprint);
    secrets.put('strato/test/tls', secretJson(second));
    await frontend.waitForLog((l) => l.event === 'tls.reloaded', 20_000);
    expect(await servedFingerprint(frontend.ports.smtps)).toBe(second.fingerprint);
  }, 60_000);
});

describe('no certificate where self-signed is refused', () => {
  it('does not start, and says what is missing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strato-nocert-'));
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY.frontend], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: {
        ...process.env,
        STRATO_DATA_DIR: dataDir,
        STRATO_TLS_SELF_SIGNED_ALLOWED: 'false',
        STRATO_SMTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      output += t;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    await rm(dataDir, { recursive: true, force: true });
    expect(code).toBe(3); // EXIT_STARTUP: configuration was valid, starting failed
    expect(output).toContain('"event":"frontend.start_failed"');
    expect(output).toContain('STRATO_TLS_SELF_SIGNED_ALLOWED=false refuses a self-signed one');
  }, 60_000);
});
