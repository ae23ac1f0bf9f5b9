import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerServer } from '../../test/support/secrets-manager-server.ts';
import { parseTlsSecret, SecretsManagerTlsSource, TlsSecretError } from './secrets-tls.ts';

const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

describe('parseTlsSecret', () => {
  it('takes the documented JSON', () => {
    expect(parseTlsSecret('s', JSON.stringify({ certificate: cert, privateKey: key }), 'v1')).toEqual({
      cert,
      key,
      version: 'v1',
    });
  });

  it.each([
    ['not JSON', 'not json', 'is not JSON'],
    ['no certificate', JSON.stringify({ privateKey: key }), '"certificate" must be a PEM certificate chain'],
    [
      'a key that is not PEM',
      JSON.stringify({ certificate: cert, privateKey: 'x' }),
      '"privateKey" must be a PEM',
    ],
  ])('refuses %s, naming the secret', (_case, text, problem) => {
    expect(() => parseTlsSecret('strato/tls', text, 'v')).toThrow(TlsSecretError);
    expect(() => parseTlsSecret('strato/tls', text, 'v')).toThrow(`TLS secret strato/tls: `);
    expect(() => parseTlsSecret('strato/tls', text, 'v')).toThrow(problem);
  });
});

describe('SecretsManagerTlsSource (AWS SDK against a loopback Secrets Manager endpoint)', () => {
  const server = new SecretsManagerServer();
  beforeAll(async () => {
    await server.start();
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  });
  afterAll(() => server.close());

  it('reads the value and its version, and sees a rotation as a new version', async () => {
    const v1 = server.put('tls', JSON.stringify({ certificate: cert, privateKey: key }));
    const source = new SecretsManagerTlsSource('tls', { region: 'us-east-1', endpoint: server.endpoint });
    expect((await source.read()).version).toBe(v1);
    const v2 = server.put('tls', JSON.stringify({ certificate: cert, privateKey: key }));
    expect((await source.read()).version).toBe(v2);
    source.close();
  });

  it('names the secret when it does not exist', async () => {
    const source = new SecretsManagerTlsSource('missing', { region: 'us-east-1', endpoint: server.endpoint });
    await expect(source.read()).rejects.toThrow(
      /TLS secret missing: cannot read it: ResourceNotFoundException/,
    );
    source.close();
  });
});
