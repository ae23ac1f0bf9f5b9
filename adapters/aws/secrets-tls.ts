/**
 * Reads the frontends' TLS certificate from AWS Secrets Manager: one secret whose string is JSON
 * `{"certificate": "<PEM chain, leaf first>", "privateKey": "<PEM key>"}` (the README says how to
 * make it from an exported ACM certificate or an ACME client's files). Each read returns the
 * secret's VersionId, so a caller polling it notices a rotation. A missing secret, a refused
 * request or a malformed value throws TlsSecretError naming the secret and the problem.
 */
import { SecretReader } from './secrets-manager.ts';

export interface TlsSecretValue {
  readonly cert: string;
  readonly key: string;
  /** Secrets Manager's VersionId of the value read. */
  readonly version: string;
}

export class TlsSecretError extends Error {
  override readonly name = 'TlsSecretError';
  constructor(secretId: string, problem: string) {
    super(`TLS secret ${secretId}: ${problem}`);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/** Parse the secret string; throws TlsSecretError when it is not the documented JSON. */
export function parseTlsSecret(secretId: string, text: string, version: string): TlsSecretValue {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TlsSecretError(secretId, 'the value is not JSON {"certificate": ..., "privateKey": ...}');
  }
  const { certificate, privateKey } = (value ?? {}) as { certificate?: unknown; privateKey?: unknown };
  if (typeof certificate !== 'string' || !PEM_CERT.test(certificate)) {
    throw new TlsSecretError(secretId, '"certificate" must be a PEM certificate chain');
  }
  if (typeof privateKey !== 'string' || !PEM_KEY.test(privateKey)) {
    throw new TlsSecretError(secretId, '"privateKey" must be a PEM private key');
  }
  return { cert: certificate, key: privateKey, version };
}

export class SecretsManagerTlsSource {
  private readonly reader: SecretReader;

  constructor(
    private readonly secretId: string,
    opts: { region?: string; endpoint?: string } = {},
  ) {
    this.reader = new SecretReader(secretId, opts);
  }

  async read(): Promise<TlsSecretValue> {
    let secret: { value: string; version: string };
    try {
      secret = await this.reader.read();
    } catch (err) {
      throw new TlsSecretError(
        this.secretId,
        (err as Error).message.replace(`secret ${this.secretId}: `, ''),
      );
    }
    return parseTlsSecret(this.secretId, secret.value, secret.version);
  }

  close(): void {
    this.reader.close();
  }
}
