/**
 * The program version (package.json), which frontends and backends report in their heartbeats.
 * Imported as JSON so the Fargate/Lambda bundles carry it inline; never fails.
 */
import pkg from '../package.json' with { type: 'json' };

export const PROGRAM_VERSION: string = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
