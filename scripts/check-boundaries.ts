/**
 * Import-boundary check (part of `npm run check`): core/ is mail logic and ports only, so it may
 * not import the AWS SDK, sockets, the file system or process-level modules; adapters may not be
 * imported by core. Prints each violation as file:line and exits 1 when there is any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Module specifiers core must not import, with the reason shown to the developer. */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/^@aws-sdk\//, 'AWS SDK belongs in adapters/aws'],
  [/^(node:)?(fs|fs\/promises)$/, 'file system belongs in adapters/embedded'],
  [/^(node:)?(net|tls|dgram|dns|http|https|http2)$/, 'sockets belong in adapters or fargate/'],
  [/^(node:)?(child_process|cluster|worker_threads)$/, 'processes belong in fargate/ or cli/'],
  [/^(smtp-server|nodemailer|better-sqlite3|pino)$/, 'infrastructure libraries belong outside core'],
  [/(^|\/)(adapters|fargate|lambdas|cli|cdk)\//, 'core must not depend on outer layers'],
];

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield path;
  }
}

export function findViolations(dir: string): string[] {
  const out: string[] = [];
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      for (const [pattern, why] of FORBIDDEN) {
        if (pattern.test(spec)) {
          const line = text.slice(0, m.index).split('\n').length;
          out.push(`${relative(root, file)}:${line}: imports "${spec}" — ${why}`);
        }
      }
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const violations = findViolations(join(root, 'core'));
  for (const v of violations) console.error(v);
  if (violations.length > 0) process.exit(1);
  console.log('import boundaries: core imports no AWS SDK, sockets, fs or outer layers');
}
