import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTlsMaterial } from './tls.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strato-tls-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const matches = (m: { key: string; cert: string }) =>
  new X509Certificate(m.cert).checkPrivateKey(createPrivateKey(m.key));

describe('ensureTlsMaterial', () => {
  it('generates a matching self-signed pair once and reuses it', async () => {
    const dataDir = await tempDir();
    const first = await ensureTlsMaterial({ dataDir, hostname: 'mx.strato.test' });
    expect(first.source).toBe('self-signed');
    expect(matches(first)).toBe(true);
    const cert = new X509Certificate(first.cert);
    expect(cert.subject).toContain('CN=mx.strato.test');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const again = await ensureTlsMaterial({ dataDir, hostname: 'mx.strato.test' });
    expect(again.cert).toBe(first.cert);
    expect(await readdir(join(dataDir, 'tls'))).toEqual(['self-signed.pem']); // no temp files left
  });

  it('gives racing processes a complete, matching pair', async () => {
    const dataDir = await tempDir();
    const all = await Promise.all([1, 2, 3].map(() => ensureTlsMaterial({ dataDir, hostname: 'localhost' })));
    for (const m of all) expect(matches(m)).toBe(true);
  });

  it('uses the operator files when configured', async () => {
    const dataDir = await tempDir();
    const made = await ensureTlsMaterial({ dataDir, hostname: 'op.test' });
    await writeFile(join(dataDir, 'cert.pem'), made.cert);
    await writeFile(join(dataDir, 'key.pem'), made.key);
    const configured = await ensureTlsMaterial({
      dataDir,
      hostname: 'ignored',
      tlsCert: join(dataDir, 'cert.pem'),
      tlsKey: join(dataDir, 'key.pem'),
    });
    expect(configured).toMatchObject({ source: 'configured', cert: made.cert, key: made.key });
    await expect(
      ensureTlsMaterial({
        dataDir,
        hostname: 'x',
        tlsCert: join(dataDir, 'missing.pem'),
        tlsKey: join(dataDir, 'key.pem'),
      }),
    ).rejects.toThrow(/ENOENT/);
  });
});
