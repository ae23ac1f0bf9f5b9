/**
 * Where a frontend's certificate comes from, and how to read it again: a Secrets Manager secret
 * (STRATO_TLS_SECRET), the operator's files (STRATO_TLS_CERT/KEY), or a self-signed pair (never
 * re-read). `reload` is absent for a self-signed pair. A first load that fails throws (the
 * frontend refuses to start); reload failures are the reloader's to log.
 */

import { SecretsManagerTlsSource } from '../adapters/aws/secrets-tls.ts';
import type { FrontendConfig } from '../core/config/frontend-config.ts';
import { ensureTlsMaterial, type TlsMaterial } from './tls.ts';

export interface TlsSource {
  readonly material: TlsMaterial;
  /** Read the certificate again (a rotation shows as a new `version`). */
  readonly reload?: () => Promise<TlsMaterial>;
  close(): void;
}

type TlsConfig = Pick<
  FrontendConfig,
  | 'dataDir'
  | 'hostname'
  | 'tlsCert'
  | 'tlsKey'
  | 'tlsSecret'
  | 'tlsSelfSignedAllowed'
  | 'endpointSecretsManager'
>;

export async function openTlsSource(config: TlsConfig): Promise<TlsSource> {
  if (config.tlsSecret) {
    const secretId = config.tlsSecret;
    const secrets = new SecretsManagerTlsSource(secretId, {
      ...(config.endpointSecretsManager ? { endpoint: config.endpointSecretsManager } : {}),
    });
    const read = async (): Promise<TlsMaterial> => {
      const value = await secrets.read();
      return { key: value.key, cert: value.cert, source: 'secret', path: secretId, version: value.version };
    };
    try {
      return { material: await read(), reload: read, close: () => secrets.close() };
    } catch (err) {
      secrets.close();
      throw err;
    }
  }
  const load = () => ensureTlsMaterial({ ...config, selfSignedAllowed: config.tlsSelfSignedAllowed });
  const material = await load();
  return { material, ...(material.source === 'configured' ? { reload: load } : {}), close: () => {} };
}
