/**
 * Reads one secret string from AWS Secrets Manager, with its VersionId (a caller polling it sees a
 * rotation as a new version). A missing secret, a refused request or a binary secret throws
 * SecretReadError naming the secret and the problem; the value never appears in an error.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretValue {
  readonly value: string;
  /** Secrets Manager's VersionId of the value read. */
  readonly version: string;
}

export class SecretReadError extends Error {
  override readonly name: string = 'SecretReadError';
  constructor(
    readonly secretId: string,
    problem: string,
  ) {
    super(`secret ${secretId}: ${problem}`);
  }
}

export class SecretReader {
  private readonly client: SecretsManagerClient;

  constructor(
    readonly secretId: string,
    opts: { region?: string; endpoint?: string } = {},
  ) {
    this.client = new SecretsManagerClient({
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    });
  }

  async read(): Promise<SecretValue> {
    let out: { SecretString?: string; VersionId?: string };
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    } catch (err) {
      throw new SecretReadError(
        this.secretId,
        `cannot read it: ${(err as Error).name}: ${(err as Error).message}`,
      );
    }
    if (typeof out.SecretString !== 'string') {
      throw new SecretReadError(
        this.secretId,
        'it holds no secret string (a binary secret is not supported)',
      );
    }
    return { value: out.SecretString, version: out.VersionId ?? '' };
  }

  close(): void {
    this.client.destroy();
  }
}

/** Read a secret string once (a process's start-up secrets). */
export async function readSecretOnce(secretId: string, opts: { region?: string; endpoint?: string } = {}) {
  const reader = new SecretReader(secretId, opts);
  try {
    return (await reader.read()).value;
  } finally {
    reader.close();
  }
}
