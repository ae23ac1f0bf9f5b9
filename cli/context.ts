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
    this.opened ??= this.open();
    return this.opened;
  }

  /**
   * STRATO_STORAGE=aws (with the deployment's names) administers an AWS cluster instead; without
   * it, a local cluster on the AWS emulators may have left its storage settings in the data dir.
   */
  private async open(): Promise<Storage> {
    const dataDir = this.dataDir;
    const [{ parseStorageConfig }, { openStorage }, local] = await Promise.all([
      import('../core/config/storage-config.ts'),
      import('../runtime/open-storage.ts'),
      import('../runtime/local-storage-env.ts'),
    ]);
    const shared = this.io.env[ENV.storage] ? undefined : await local.readLocalStorageEnv(dataDir);
    try {
      return await openStorage(parseStorageConfig({ ...shared, ...this.io.env, [ENV.dataDir]: dataDir }));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const from = shared
        ? ` (storage settings from ${local.localStorageEnvPath(dataDir)}, written by a local cluster on ` +
          'the AWS emulators: is it still running?)'
        : '';
      throw new Error(`cannot open the data dir ${dataDir}: ${reason}${from}`, { cause: err });
    }
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
