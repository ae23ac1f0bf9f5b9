/**
 * Picks up a rotated certificate without a restart: every `intervalMs` it reads the certificate
 * again and, when its version changed, checks that key and certificate form a usable pair, then
 * hands it to `apply` (the SMTP listeners' new TLS context: new handshakes use it, sessions already
 * open keep theirs, nothing is dropped). A read that fails or a pair that does not match is logged
 * (`tls.reload_failed`) and the certificate in use stays.
 */

import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../core/ports/logger.ts';
import type { TlsMaterial } from './tls.ts';

export interface TlsReloaderOptions {
  readonly current: TlsMaterial;
  readonly reload: () => Promise<TlsMaterial>;
  readonly apply: (material: TlsMaterial) => void;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** Subject and expiry of the leaf certificate, for logs; undefined when it cannot be parsed. */
export function describeCertificate(cert: string): { subject: string; validTo: string } | undefined {
  try {
    const leaf = new X509Certificate(cert);
    return { subject: leaf.subject.replace(/\n/g, ', '), validTo: leaf.validTo };
  } catch {
    return undefined;
  }
}

export function startTlsReloader(opts: TlsReloaderOptions): { stop(): void; check(): Promise<void> } {
  let current = opts.current;
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      const next = await opts.reload();
      if (next.version === current.version) return;
      createSecureContext({ key: next.key, cert: next.cert }); // throws when they do not match
      opts.apply(next);
      current = next;
      opts.logger.info({
        event: 'tls.reloaded',
        source: next.source,
        path: next.path,
        ...describeCertificate(next.cert),
      });
    } catch (err) {
      opts.logger.error({ event: 'tls.reload_failed', source: current.source, path: current.path, err });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), check };
}
