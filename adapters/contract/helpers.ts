/**
 * Small helpers shared by the contract suites and the tests: a realistic queue job, a domain with
 * accounts in a directory, reading a stream to the end, and deterministic pseudo-random streamed
 * bodies of any size with their SHA-256.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DirectoryAdmin, MailToUnknown } from '../../core/ports/directory.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';

/** Add `domain` (unknown names rejected unless said otherwise) and a plain account per name. */
export async function seedDomain(
  directory: DirectoryAdmin,
  domain: string,
  names: readonly string[],
  opts: { readonly mailToUnknown?: MailToUnknown; readonly createdAt?: number } = {},
): Promise<void> {
  const createdAt = opts.createdAt ?? 0;
  const mailToUnknown = opts.mailToUnknown ?? { action: 'reject' };
  await directory.addDomain({ name: domain, mailToUnknown, defaults: {}, createdAt });
  for (const name of names) {
    await directory.addAccount({ address: `${name}@${domain}`, domain, name, settings: {}, createdAt });
  }
}

let seq = 0;

export function makeJob(overrides: Partial<QueueJob> = {}): QueueJob {
  seq++;
  const id = overrides.id ?? `J${Date.now().toString(36)}${seq.toString().padStart(6, '0')}`.toUpperCase();
  return {
    id,
    source: 'SMTP',
    createdAt: 1_767_225_600_000 + seq,
    body: { key: id, size: 1234 },
    envelope: {
      mailFrom: 'sender@example.org',
      recipients: [
        { address: 'alice@example.com', original: 'Alice@Example.com', state: 'pending', attempts: 0 },
        {
          address: 'bob@example.net',
          original: 'bob@example.net',
          notify: ['FAILURE'],
          state: 'pending',
          attempts: 0,
        },
      ],
      ret: 'HDRS',
      envid: `env-${seq}`,
    },
    client: { ip: '192.0.2.7', helo: 'mx.example.org', tls: true, frontend: 'fe-1' },
    attempts: 0,
    ...overrides,
  };
}

export async function readAll(stream: Readable | AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * A deterministic body of `size` bytes produced chunk by chunk (never held whole), with the
 * SHA-256 it must hash to. `failAfter` makes the source throw after that many bytes.
 */
export function generatedBody(
  size: number,
  opts: { chunk?: number; seed?: number; failAfter?: number } = {},
): { source: AsyncIterable<Uint8Array>; sha256: string } {
  const chunkSize = opts.chunk ?? 64 * 1024;
  const make = (offset: number, n: number): Buffer => {
    const buf = Buffer.allocUnsafe(n);
    let x = ((opts.seed ?? 1) * 2654435761 + offset) >>> 0;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      buf[i] = x >>> 24;
    }
    return buf;
  };
  const hash = createHash('sha256');
  for (let off = 0; off < size; off += chunkSize) hash.update(make(off, Math.min(chunkSize, size - off)));
  const sha256 = hash.digest('hex');
  async function* source(): AsyncIterable<Uint8Array> {
    for (let off = 0; off < size; off += chunkSize) {
      if (opts.failAfter !== undefined && off >= opts.failAfter) throw new Error('source failed on purpose');
      yield make(off, Math.min(chunkSize, size - off));
      // Let I/O run between chunks like a network source would.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return { source: source(), sha256 };
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}
