/**
 * Builds the Fargate image context from the current sources: bundles fargate/{frontend,backend,admin}/main.ts
 * with esbuild into `<out>/app` (ESM, Node 22, every dependency inlined, so the image needs no
 * node_modules and no `RUN npm install`; the embedded adapters' native better-sqlite3 is replaced by
 * a stub, since Fargate tasks run with STRATO_STORAGE=aws), copies the entrypoint, and makes
 * `<out>/scratch/strato`, the writable data dir the Dockerfile copies with the runtime user as owner.
 * Lives in cdk/ because the deployment owns the image build. The CDK app runs it at every synth that bundles (cdk/constructs/image.ts); by hand:
 * `node --import tsx cdk/image-bundle.ts`. A build error throws and stops the synth.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, buildSync } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const here = `${root}fargate/docker/`;
/** The Docker build context's output folder (see the Dockerfile and .dockerignore). */
export const IMAGE_DIST = `${here}dist`;

function options(out: string): BuildOptions {
  return {
    entryPoints: {
      frontend: `${root}fargate/frontend/main.ts`,
      backend: `${root}fargate/backend/main.ts`,
      admin: `${root}fargate/admin/main.ts`,
    },
    outdir: `${out}/app`,
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
  };
}

function prepare(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(`${out}/scratch/strato`, { recursive: true });
  // An empty folder may not survive asset staging; a marker file keeps it.
  writeFileSync(`${out}/scratch/strato/.keep`, '');
}

function finish(out: string): void {
  copyFileSync(`${here}entrypoint.mjs`, `${out}/app/entrypoint.mjs`);
}

export async function bundleImageContext(out = IMAGE_DIST): Promise<void> {
  prepare(out);
  await build(options(out));
  finish(out);
}

/** The same, synchronously: CDK constructs are built synchronously. */
export function bundleImageContextSync(out = IMAGE_DIST): void {
  prepare(out);
  buildSync(options(out));
  finish(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundleImageContext();
  console.log(`image context ready: ${IMAGE_DIST}`);
}
