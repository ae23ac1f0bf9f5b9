/**
 * Config of `npm start`'s local cluster supervisor (the node:cluster primary): how many frontend
 * workers share the SMTP ports, how many backends run (LMTP ports from a base port up), and
 * whether a first start seeds the demo domain. The workers
 * read the frontend config themselves; the primary validates both once, listing every problem.
 */
import { z } from 'zod';
import { DEFAULT_LMTP_PORT } from './defaults.ts';
import { ENV } from './env-names.ts';
import { bool, type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const schema = z.object({
  frontendWorkers: positiveInt.max(64).default(2),
  seedDemo: bool.default(true),
  backends: z.coerce.number().int().min(1).max(32).default(2),
  lmtpBasePort: port.default(DEFAULT_LMTP_PORT),
  /** Run the admin API and WebAdmin process (fargate/admin) as one more worker. */
  admin: bool.default(true),
});

export type LocalClusterConfig = z.output<typeof schema>;

const names = {
  frontendWorkers: ENV.frontendWorkers,
  seedDemo: ENV.seedDemo,
  backends: ENV.backends,
  lmtpBasePort: ENV.lmtpBasePort,
  admin: ENV.adminEnabled,
} as const;

export const LOCAL_CLUSTER_ENV_NAMES: readonly string[] = Object.values(names);

export function parseLocalClusterConfig(env: Env): LocalClusterConfig {
  return parseRoleConfig('local-cluster', schema, names, env);
}
