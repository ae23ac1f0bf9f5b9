/**
 * Deployment-artifact smoke test: synthesise the prod service stack WITH bundling (local esbuild,
 * as `cdk deploy` does), then run the backend Lambda's bundle from the cloud assembly in a plain
 * `node` process (no tsx) with the environment its template gives it. Values the template can only
 * resolve at deploy time (table, bucket, queue names; the SRS secret) are filled from emulator
 * resources under the same variable names, plus the emulator endpoints.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDomain } from '../adapters/contract/helpers.ts';
import { ENV } from '../core/config/env-names.ts';
import { parseStorageConfig } from '../core/config/storage-config.ts';
import type { Storage } from '../core/ports/storage.ts';
import { newQueueId } from '../core/util/ids.ts';
import { openStorage } from '../runtime/open-storage.ts';
import { createLocalAwsResources } from '../scripts/aws-local-resources.ts';
import { SecretsManagerServer } from '../test/support/secrets-manager-server.ts';
import { buildStratoApp } from './app.ts';
import { stage } from './test-support.ts';

let outdir: string;
let bundle: string;
let templateEnv: Record<string, unknown>;
let emulatorEnv: Record<string, string>;
let storage: Storage;
let secrets: SecretsManagerServer;
const SRS_SECRET_ID = 'strato/test/srs';
const execFileAsync = promisify(execFile);

beforeAll(async () => {
  process.env.CDK_VALIDATION = 'false';
  outdir = mkdtempSync(join(tmpdir(), 'strato-cdk-'));
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'));
  const app = new App({ outdir, context: cdkJson.context });
  const { service } = buildStratoApp(app, stage('prod'), { nag: false });
  const assembly = app.synth();
  const template = assembly.getStackByName(service.stackName).template as {
    Resources: Record<
      string,
      {
        Type: string;
        Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
      }
    >;
  };
  const [, fn] = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('BackendLambdaFunction'),
  )!;
  // The code asset is staged as asset.<hash> beside the templates; S3Key is <hash>.zip.
  const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  bundle = join(outdir, `asset.${hash}`, 'index.mjs');
  templateEnv = fn.Properties.Environment.Variables;
  emulatorEnv = await createLocalAwsResources(inject('emulators'), `c${randomBytes(3).toString('hex')}`);
  storage = await openStorage(parseStorageConfig(emulatorEnv));
  await seedDomain(storage.directory, 'example.com', ['dana']);
  secrets = await new SecretsManagerServer().start();
  secrets.put(SRS_SECRET_ID, 'a-test-secret-of-enough-length');
}, 60_000);

afterAll(async () => {
  await storage?.close();
  await secrets?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** The function's environment: literals from the template, deploy-time values from the emulators. */
function lambdaEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(templateEnv)) {
    if (typeof value === 'string') env[name] = value;
    // The SRS secret is read at cold start from Secrets Manager (here a loopback endpoint).
    else if (name === ENV.srsSecretId) env[name] = SRS_SECRET_ID;
    else if (emulatorEnv[name] !== undefined) env[name] = emulatorEnv[name];
    else throw new Error(`${name} is deploy-time in the template and has no emulator value`);
  }
  for (const name of [
    ENV.endpointSqs,
    ENV.endpointS3,
    ENV.endpointDynamodb,
    ENV.endpointSes,
    ENV.awsRegion,
  ]) {
    env[name] = emulatorEnv[name]!;
  }
  env[ENV.endpointSecretsManager] = secrets.endpoint;
  return { ...env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', [ENV.logLevel]: 'silent' };
}

describe('backend Lambda bundle from the cloud assembly', () => {
  it('is a self-contained ESM bundle', () => {
    expect(existsSync(bundle)).toBe(true);
  });

  it('delivers by reference when invoked with the template environment', async () => {
    const id = newQueueId();
    const body = await storage.messages.put(
      id,
      Readable.from([Buffer.from('Subject: artifact\r\n\r\nhi\r\n')]),
    );
    const event = { deliveryId: id, mailFrom: 'x@remote.example', recipients: ['dana@example.com'], body };
    const script = `const { handler } = await import(${JSON.stringify(bundle)});
      const r = await handler(JSON.parse(process.argv[1]));
      process.stdout.write(JSON.stringify(r));`;
    // Asynchronously: the loopback Secrets Manager in this process must answer the cold start.
    const { stdout: out } = await execFileAsync(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(event)],
      { env: { PATH: process.env.PATH ?? '', ...lambdaEnvironment() }, encoding: 'utf8', timeout: 30_000 },
    );
    expect(secrets.reads).toContain(SRS_SECRET_ID);
    const result = JSON.parse(out) as { outcomes: { recipient: string; outcome: { kind: string } }[] };
    expect(result.outcomes.map((o) => [o.recipient, o.outcome.kind])).toEqual([
      ['dana@example.com', 'delivered'],
    ]);
    expect(await storage.mailboxes.list('dana@example.com', 'INBOX')).toHaveLength(1);
  });
});
