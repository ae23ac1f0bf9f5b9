/**
 * MTA-STS policy fetch port (RFC 8461 §3.3): the policy text of a domain, fetched over HTTPS
 * from `https://mta-sts.<domain>/.well-known/mta-sts.txt` with a valid certificate and no
 * redirects. Rejects on any failure (the caller then keeps a cached policy or has none).
 */
export interface MtaStsFetcher {
  fetchPolicy(domain: string): Promise<string>;
}
