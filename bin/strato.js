#!/usr/bin/env node
// The `strato` administration CLI: registers tsx so the TypeScript sources run without a build,
// then runs cli/main.ts on this process's argv, streams and environment. main() reports failures
// on stderr (one line) and returns the exit code (1 or 2); a failure to load tsx itself exits 1.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main({
  argv: process.argv.slice(2),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Let buffered output reach the pipes, then exit explicitly so a stray handle cannot hang the CLI.
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
