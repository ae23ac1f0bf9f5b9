/**
 * MtaStsFetcher over HTTPS (RFC 8461 §3.3): GET https://mta-sts.<domain>/.well-known/mta-sts.txt
 * with the certificate verified for that name (system CAs, or `ca`), no redirects followed, a 200
 * with text/plain required, at most 64 KiB read, a timeout. Anything else rejects. `urlFor`
 * replaces the URL; it exists for tests only (they serve the policy over plain http on the
 * loopback) and is not reachable from configuration.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { MtaStsFetcher } from '../../core/ports/mta-sts-fetcher.ts';

const MAX_POLICY_BYTES = 64 * 1024;

export interface HttpsMtaStsFetcherOptions {
  readonly timeoutMs: number;
  readonly ca?: string | Buffer;
  /** Tests only: where to fetch a domain's policy instead of its https URL. */
  readonly urlFor?: (domain: string) => string;
}

export class HttpsMtaStsFetcher implements MtaStsFetcher {
  constructor(private readonly opts: HttpsMtaStsFetcherOptions) {}

  fetchPolicy(domain: string): Promise<string> {
    const url = new URL(this.opts.urlFor?.(domain) ?? `https://mta-sts.${domain}/.well-known/mta-sts.txt`);
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { timeout: this.opts.timeoutMs, ...(this.opts.ca ? { ca: this.opts.ca } : {}) },
        (res) => {
          const type = String(res.headers['content-type'] ?? '');
          if (res.statusCode !== 200 || !/^text\/plain\b/i.test(type)) {
            res.resume();
            reject(new Error(`MTA-STS policy of ${domain}: HTTP ${res.statusCode} ${type}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_POLICY_BYTES) req.destroy(new Error(`MTA-STS policy of ${domain}: too large`));
            else chunks.push(c);
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`MTA-STS policy of ${domain}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }
}
