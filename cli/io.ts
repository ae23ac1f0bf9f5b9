/**
 * What a CLI run reads and writes besides its arguments: the standard streams and the
 * environment. bin/strato.js passes the process's own; tests pass buffers and a plain object, so
 * a run can happen in-process. Nothing under cli/ touches process.stdin/stdout/stderr/env directly.
 */
import type { Writable } from 'node:stream';

export interface CliIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
}
