/**
 * Builds the Fargate image context: bundles fargate/{frontend,backend}/main.ts with esbuild into
 * fargate/docker/dist (ESM, Node 22, dependencies inlined; the embedded adapters' native
 * better-sqlite3 replaced by a stub, since Fargate tasks run with STRATO_STORAGE=aws) and copies
 * the entrypoint. Run before `cdk deploy`: `node --import tsx fargate/docker/bundle.ts`.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${here}dist`;

export async function bundleImageContext(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      frontend: `${root}fargate/frontend/main.ts`,
      backend: `${root}fargate/backend/main.ts`,
    },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    splitting: true,
    sourcemap: true,
    minify: true,
    mainFields: ['module', 'main'],
    alias: { 'better-sqlite3': `${root}cdk/stubs/better-sqlite3.cjs` },
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  copyFileSync(`${here}entrypoint.mjs`, `${out}/entrypoint.mjs`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundleImageContext();
  console.log(`image context ready: ${out}`);
}
