/**
 * The envelope sender of mail an account's rules generate. Only a redirect keeps the original
 * sender; when it leaves the cluster (some recipient's domain is not ours) that sender is
 * rewritten with SRS so the receiving side's SPF check passes and a bounce comes back to the
 * account (mail/srs.ts); without an SRS secret the account itself is the sender. Directory
 * faults propagate (the delivery is retried).
 */
import { domainOf } from '../mail/address.ts';
import { srsForward } from '../mail/srs.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { GeneratedMessage } from '../rules/index.ts';

export interface ReturnPathDeps {
  readonly directory: DirectoryReader;
  readonly clock: Clock;
  /** Secret for SRS return paths; without one, external redirects are sent from the account. */
  readonly srsSecret?: string;
}

/** A return-path function for the runner's guards, for mail `account`'s rules generate. */
export function srsReturnPath(
  deps: ReturnPathDeps,
  account: string,
): (m: GeneratedMessage) => Promise<string> {
  return async (m) => {
    if (m.kind !== 'redirect' || m.mailFrom === '') return m.mailFrom;
    const domains = await Promise.all(m.recipients.map((r) => deps.directory.getDomain(domainOf(r))));
    if (domains.every((d) => d !== undefined)) return m.mailFrom;
    const secret = deps.srsSecret;
    return (secret && srsForward(m.mailFrom, account, secret, deps.clock.now())) || account;
  };
}
