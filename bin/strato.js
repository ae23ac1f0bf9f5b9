#!/usr/bin/env node
// The `strato` administration CLI: registers tsx so the TypeScript sources run without a build,
// then hands over to cli/main.ts, which parses the command line, reports failures on stderr
// (one line, exit 1 or 2) and sets the exit code. A failure to load tsx itself exits 1.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
