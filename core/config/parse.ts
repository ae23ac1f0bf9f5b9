/**
 * Shared helpers to read a role's config from environment variables with a zod schema.
 * `parseRoleConfig` validates once at start and throws ConfigError listing every problem,
 * each named by its environment variable.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
export const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * Pick `names` (schema key → env var) out of `env`, drop empty strings (unset), validate with
 * `schema` and name each failing variable in the error.
 */
export function parseRoleConfig<S extends z.ZodObject>(
  role: string,
  schema: S,
  names: { readonly [K in keyof z.input<S>]: string },
  env: Env,
): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, envName] of Object.entries(names) as [string, string][]) {
    const value = env[envName];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const envName = (names as Record<string, string>)[key] ?? key;
    return `${envName}: ${issue.message}${raw[key] !== undefined ? ` (got "${raw[key]}")` : ''}`;
  });
  throw new ConfigError(role, problems);
}

/**
 * The TLS certificate settings every TLS-serving role shares: a certificate and key given
 * together, or a Secrets Manager secret, never both. Throws ConfigError naming the variables.
 */
export function checkTlsSources(
  role: string,
  c: { readonly tlsCert?: unknown; readonly tlsKey?: unknown; readonly tlsSecret?: unknown },
  names: { readonly cert: string; readonly key: string; readonly secret: string },
): void {
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw new ConfigError(role, [`${names.cert} and ${names.key} must be set together`]);
  }
  if (c.tlsSecret !== undefined && c.tlsCert !== undefined) {
    throw new ConfigError(role, [`set ${names.secret} or ${names.cert}/${names.key}, not both`]);
  }
}
