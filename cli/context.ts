/**
 * What every command action gets: the global options (--data-dir, --json), a Printer, and the
 * storage, opened lazily on first use so that --help and input validation never touch the data
 * dir. `close()` releases the storage once the command has finished (also after a failure).
 * Opening fails with the adapter's own error, which main.ts reports as "strato: <message>".
 */
import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../core/config/defaults.ts';
import { ENV } from '../core/config/env-names.ts';
import type { Storage } from '../core/ports/storage.ts';
import type { CliIo } from './io.ts';
import { Printer } from './output.ts';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

export class CliContext {
  private opened: Promise<Storage> | undefined;
  private printer: Printer | undefined;

  /** `globals` is read when first needed: commander has parsed the options by then. */
  constructor(
    private readonly globals: () => GlobalOptions,
    readonly io: CliIo,
  ) {}

  get dataDir(): string {
    return resolve(this.globals().dataDir || this.io.env[ENV.dataDir] || DEFAULT_DATA_DIR);
  }

  get out(): Printer {
    this.printer ??= new Printer(this.globals().json === true, this.io.stdout);
    return this.printer;
  }

  storage(): Promise<Storage> {
    const dataDir = this.dataDir;
    this.opened ??= Promise.all([
      import('../core/config/storage-config.ts'),
      import('../runtime/open-storage.ts'),
    ])
      // STRATO_STORAGE=aws (with the deployment's names) administers an AWS cluster instead.
      .then(([{ parseStorageConfig }, { openStorage }]) =>
        openStorage(parseStorageConfig({ ...this.io.env, [ENV.dataDir]: dataDir })),
      )
      .catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`cannot open the data dir ${dataDir}: ${reason}`, { cause: err });
      });
    return this.opened;
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    // A failed open was already reported by the command that awaited it.
    const storage = await opened.catch(() => undefined);
    await storage?.close();
  }
}
