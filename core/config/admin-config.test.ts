import { describe, expect, it } from 'vitest';
import { parseAdminConfig } from './admin-config.ts';
import { DEFAULT_ADMIN_PORT } from './defaults.ts';
import { ConfigError } from './errors.ts';

describe('parseAdminConfig', () => {
  it('defaults to loopback on the admin port with a self-signed certificate allowed', () => {
    const c = parseAdminConfig({});
    expect([c.host, c.port, c.tlsSelfSignedAllowed, c.maxBodyBytes]).toEqual([
      '127.0.0.1',
      DEFAULT_ADMIN_PORT,
      true,
      1024 * 1024,
    ]);
  });

  it('reads the admin variables and the frontends’ TLS variables', () => {
    const c = parseAdminConfig({
      STRATO_ADMIN_PORT: '9443',
      STRATO_ADMIN_HOST: '0.0.0.0',
      STRATO_TLS_CERT: '/c.pem',
      STRATO_TLS_KEY: '/k.pem',
    });
    expect([c.port, c.host, c.tlsCert, c.tlsKey]).toEqual([9443, '0.0.0.0', '/c.pem', '/k.pem']);
  });

  it('names each bad variable', () => {
    expect(() =>
      parseAdminConfig({ STRATO_ADMIN_PORT: 'x', STRATO_TLS_CERT: '/c.pem', STRATO_TLS_KEY: '/k.pem' }),
    ).toThrow(/STRATO_ADMIN_PORT/);
    expect(() => parseAdminConfig({ STRATO_TLS_CERT: '/c.pem' })).toThrow(ConfigError);
  });
});
