/**
 * Import-boundary check (part of `npm run check`). Three rules, each printed as file:line with
 * the reason; the script exits 1 when any is broken:
 *  1. core/ is mail logic and ports: no AWS SDK, sockets, file system, processes, infrastructure
 *     libraries or outer layers.
 *  2. Inside core/, a folder imports only the folders `CORE_ARROWS` allows, so the arrows form
 *     a layering with no cycle (a cycle found in the real graph is reported too).
 *  3. Outside core/, each top-level folder imports only the folders `OUTER_ARROWS` allows: the
 *     Lambdas and the CLI never reach into a process folder (fargate/, local-cluster/).
 * Test files (*.test.ts) are exempt: a test may wire anything it needs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Module specifiers core must not import, with the reason shown to the developer. */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/^@aws-sdk\//, 'AWS SDK belongs in adapters/aws'],
  [/^(node:)?(fs|fs\/promises)$/, 'file system belongs in adapters/embedded'],
  [/^(node:)?(net|tls|dgram|dns|http|https|http2)$/, 'sockets belong in adapters or fargate/'],
  [/^(node:)?(child_process|cluster|worker_threads)$/, 'processes belong in fargate/ or cli/'],
  [/^(smtp-server|nodemailer|better-sqlite3|pino)$/, 'infrastructure libraries belong outside core'],
  // Of nodemailer, core may use the address-list parser only (pure; what mailparser runs).
  [/^nodemailer\/(?!lib\/addressparser$)/, 'infrastructure libraries belong outside core'],
  [
    /(^|\/)(adapters|fargate|lambdas|cli|cdk|runtime|local-cluster)\//,
    'core must not depend on outer layers',
  ],
];

/**
 * The arrows between core folders, lowest layer first. A folder may import itself and the
 * folders listed; anything else is a violation (and would risk a cycle).
 */
export const CORE_ARROWS: Readonly<Record<string, readonly string[]>> = {
  mail: [],
  settings: ['config', 'mail'],
  auth: [],
  config: [],
  dsn: ['mail'],
  rules: ['config', 'mail'],
  ports: ['mail', 'rules', 'settings'],
  util: ['ports'],
  dns: ['ports', 'util'],
  outbound: ['mail', 'ports', 'rules'],
  dkim: ['mail', 'ports', 'rules'],
  directory: ['mail', 'ports', 'rules', 'settings', 'util'],
  'rules-runner': ['directory', 'mail', 'ports', 'rules', 'settings', 'util'],
  intake: ['auth', 'directory', 'mail', 'ports', 'rules', 'rules-runner', 'settings', 'util'],
  queue: ['config', 'directory', 'dkim', 'dsn', 'mail', 'ports', 'settings', 'util'],
  delivery: ['directory', 'mail', 'ports', 'rules', 'rules-runner', 'settings', 'util'],
  // Administrators, their sessions, API tokens and the audit trail (the admin API's access layer).
  'admin-access': ['auth', 'config', 'intake', 'mail', 'ports', 'util'],
  // The administration use cases the CLI and the admin API share.
  admin: [
    'admin-access',
    'auth',
    'config',
    'directory',
    'dkim',
    'dsn',
    'intake',
    'mail',
    'ports',
    'queue',
    'rules',
    'rules-runner',
    'settings',
    'util',
  ],
};

/** The arrows between top-level folders outside core (scripts/, test/ and cdk tests are free). */
export const OUTER_ARROWS: Readonly<Record<string, readonly string[]>> = {
  adapters: ['core', 'adapters'],
  // package.json: runtime/version.ts reads the program version (bundled inline).
  runtime: ['core', 'adapters', 'package.json'],
  fargate: ['core', 'adapters', 'runtime'],
  'local-cluster': ['core', 'adapters', 'runtime'],
  lambdas: ['core', 'adapters', 'runtime'],
  cli: ['core', 'adapters', 'runtime'],
  cdk: ['core', 'adapters', 'cdk'],
};

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

interface ImportSite {
  readonly file: string;
  readonly line: number;
  readonly spec: string;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'cdk.out') continue;
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield path;
  }
}

function* importsOf(dir: string): Generator<ImportSite> {
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      yield { file, spec, line: text.slice(0, m.index).split('\n').length };
    }
  }
}

const where = (site: ImportSite) => `${relative(root, site.file)}:${site.line}: imports "${site.spec}"`;

/** The first path segment of a relative import's target below `base`, or undefined. */
function folderOf(site: ImportSite, base: string): string | undefined {
  if (!site.spec.startsWith('.')) return undefined;
  const rel = relative(base, resolve(dirname(site.file), site.spec));
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

/** Rule 1: what core must never import. */
export function findViolations(coreDir: string): string[] {
  const out: string[] = [];
  for (const site of importsOf(coreDir)) {
    for (const [pattern, why] of FORBIDDEN) {
      if (pattern.test(site.spec)) out.push(`${where(site)} — ${why}`);
    }
  }
  return out;
}

/** Rule 2: arrows between core folders, plus any cycle in the graph actually imported. */
export function findCoreArrowViolations(coreDir: string, arrows = CORE_ARROWS): string[] {
  const out: string[] = [];
  const graph = new Map<string, Set<string>>();
  for (const site of importsOf(coreDir)) {
    const from = relative(coreDir, site.file).split(sep)[0]!;
    const to = folderOf(site, coreDir);
    if (to === undefined || to === from || from.endsWith('.ts')) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
    const allowed = arrows[from];
    if (!allowed) out.push(`${where(site)} — core/${from} has no entry in CORE_ARROWS`);
    else if (!allowed.includes(to)) out.push(`${where(site)} — core/${from} may not import core/${to}`);
  }
  const cycle = findCycle(graph);
  if (cycle) out.push(`core folder cycle: ${cycle.join(' -> ')}`);
  return out;
}

/** Rule 3: arrows between top-level folders outside core. */
export function findOuterArrowViolations(repoRoot: string, arrows = OUTER_ARROWS): string[] {
  const out: string[] = [];
  for (const [folder, allowed] of Object.entries(arrows)) {
    for (const site of importsOf(join(repoRoot, folder))) {
      const to = folderOf(site, repoRoot);
      if (to === undefined || to === folder || allowed.includes(to)) continue;
      out.push(`${where(site)} — ${folder}/ may not import ${to}/`);
    }
  }
  return out;
}

/** A cycle in a directed graph as a path that returns to its start, or undefined. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const coreDir = join(root, 'core');
  const violations = [
    ...findViolations(coreDir),
    ...findCoreArrowViolations(coreDir),
    ...findOuterArrowViolations(root),
  ];
  for (const v of violations) console.error(v);
  if (violations.length > 0) process.exit(1);
  console.log('import boundaries: core is pure and layered without cycles; outer folders keep their arrows');
}
