/**
 * A Secrets Manager endpoint on the loopback for tests, speaking the service's JSON protocol
 * (`X-Amz-Target: secretsmanager.GetSecretValue`) to the real AWS SDK client: no emulator of
 * Secrets Manager runs here (the SQS/S3/DynamoDB/SES emulators have none), so this answers the one
 * call Strato makes. `put` stores a new version (a rotation); unknown secrets answer
 * ResourceNotFoundException as the service does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export class SecretsManagerServer {
  private readonly secrets = new Map<string, { value: string; version: string }>();
  readonly reads: string[] = [];
  private server?: Server;
  endpoint = '';

  put(name: string, value: string): string {
    const version = randomUUID();
    this.secrets.set(name, { value, version });
    return version;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (t: string) => {
        body += t;
      });
      req.on('end', () => {
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(json));
        };
        if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
          return reply(400, { __type: 'InvalidRequestException', message: 'only GetSecretValue is served' });
        }
        const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
        this.reads.push(String(SecretId));
        const secret = this.secrets.get(String(SecretId));
        if (!secret) {
          return reply(400, {
            __type: 'ResourceNotFoundException',
            message: 'Secrets Manager can’t find the specified secret.',
          });
        }
        reply(200, {
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}-AbCdEf`,
          Name: SecretId,
          SecretString: secret.value,
          VersionId: secret.version,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.endpoint = `http://127.0.0.1:${address.port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
