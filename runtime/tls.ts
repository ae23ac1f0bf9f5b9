/**
 * TLS key and certificate for the SMTP listeners: a Secrets Manager secret when STRATO_TLS_SECRET
 * is set (loadTlsMaterial), the operator's files when STRATO_TLS_CERT/KEY are set, else — unless
 * STRATO_TLS_SELF_SIGNED_ALLOWED=false, which refuses to start instead — a self-signed pair
 * generated once into <dataDir>/tls/self-signed.pem and reused.
 * Key and certificate live in ONE file written to a temp name and renamed, so processes racing
 * on first start each see a complete, matching pair (the last rename wins, never a mix).
 * Unreadable operator files throw; the caller treats that as a startup failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  /** Where it came from (for the startup log). */
  readonly source: 'configured' | 'self-signed' | 'secret';
  /** The certificate file, or the secret's id. */
  readonly path: string;
  /** Changes whenever the key or certificate does (a digest, or the secret's VersionId). */
  readonly version: string;
}

/** No certificate is configured and self-signed ones are not allowed. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

const digest = (key: string, cert: string) => createHash('sha256').update(key).update(cert).digest('hex');

export const SELF_SIGNED_FILE = join('tls', 'self-signed.pem');

const KEY_BLOCK =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----\r?\n?/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/g;

function splitPem(text: string): { key: string; cert: string } | undefined {
  const key = KEY_BLOCK.exec(text)?.[0];
  const cert = text.match(CERT_BLOCK)?.join('');
  return key && cert ? { key, cert } : undefined;
}

async function readSelfSigned(path: string): Promise<{ key: string; cert: string } | undefined> {
  try {
    return splitPem(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function generateSelfSigned(hostname: string): Promise<{ key: string; cert: string }> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 5);
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: hostname },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function ensureTlsMaterial(opts: {
  readonly dataDir: string;
  readonly hostname: string;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  /** false: throw TlsConfigError rather than generate a self-signed pair. */
  readonly selfSignedAllowed?: boolean;
}): Promise<TlsMaterial> {
  if (opts.tlsCert && opts.tlsKey) {
    const [cert, key] = await Promise.all([readFile(opts.tlsCert, 'utf8'), readFile(opts.tlsKey, 'utf8')]);
    return { key, cert, source: 'configured', path: opts.tlsCert, version: digest(key, cert) };
  }
  if (opts.selfSignedAllowed === false) {
    throw new TlsConfigError(
      'no TLS certificate: set STRATO_TLS_SECRET or STRATO_TLS_CERT/STRATO_TLS_KEY ' +
        '(STRATO_TLS_SELF_SIGNED_ALLOWED=false refuses a self-signed one)',
    );
  }
  const path = join(opts.dataDir, SELF_SIGNED_FILE);
  const existing = await readSelfSigned(path);
  if (existing)
    return { ...existing, source: 'self-signed', path, version: digest(existing.key, existing.cert) };
  const fresh = await generateSelfSigned(opts.hostname);
  await mkdir(join(opts.dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${fresh.key.trim()}\n${fresh.cert.trim()}\n`, { mode: 0o600 });
  await rename(tmp, path);
  // Re-read: if another process renamed after us, use its pair, the one now on disk.
  const pair = (await readSelfSigned(path)) ?? fresh;
  return { ...pair, source: 'self-signed', path, version: digest(pair.key, pair.cert) };
}
