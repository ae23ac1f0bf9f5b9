/**
 * The cluster's SRS secret (core/mail/srs.ts): backends sign the return paths of redirected
 * mail with it and frontends check bounces against it, so every process must use the same one.
 * STRATO_SRS_SECRET when set; otherwise <dataDir>/srs.key, created once with 32 random bytes
 * (exclusive create, so processes starting together agree). Failure: file errors propagate.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function loadSrsSecret(configured: string | undefined, dataDir: string): Promise<string> {
  return loadClusterSecret(configured, dataDir, 'srs.key');
}

/** A secret every process of the cluster shares: `configured`, else <dataDir>/<file>, created once. */
export async function loadClusterSecret(
  configured: string | undefined,
  dataDir: string,
  file: string,
): Promise<string> {
  if (configured) return configured;
  const path = join(dataDir, file);
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // Another process may have just created it: an empty read means its write is still under way.
  for (let i = 0; i < 50; i++) {
    const secret = (await readFile(path, 'utf8')).trim();
    if (secret.length > 0) return secret;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${path} stays empty`);
}
