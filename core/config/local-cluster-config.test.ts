import { describe, expect, it } from 'vitest';
import { ENV } from './env-names.ts';
import { ConfigError } from './errors.ts';
import { parseLocalClusterConfig } from './local-cluster-config.ts';

describe('local cluster config', () => {
  it('defaults to two workers and seeding the demo domain', () => {
    expect(parseLocalClusterConfig({})).toEqual({
      frontendWorkers: 2,
      seedDemo: true,
      backends: 2,
      lmtpBasePort: 2424,
      admin: true,
    });
  });

  it('reads the environment and names bad variables', () => {
    expect(
      parseLocalClusterConfig({
        [ENV.frontendWorkers]: '4',
        [ENV.seedDemo]: 'false',
        [ENV.backends]: '3',
        [ENV.adminEnabled]: 'false',
      }),
    ).toEqual({ frontendWorkers: 4, seedDemo: false, backends: 3, lmtpBasePort: 2424, admin: false });
    try {
      parseLocalClusterConfig({ [ENV.frontendWorkers]: '0', [ENV.seedDemo]: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(2);
      expect((err as ConfigError).message).toContain(ENV.frontendWorkers);
      expect((err as ConfigError).message).toContain(ENV.seedDemo);
    }
  });
});
