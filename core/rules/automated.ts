/**
 * Is this message from a machine? RFC 3834's signals, used both by the Human Generated condition
 * and to suppress auto-replies: a null sender `<>`, Auto-Submitted other than "no", Precedence
 * bulk/list/junk, List-Id/List-Unsubscribe, or a role sender (no-reply, mailer-daemon, postmaster,
 * owner-*, *-request) in the envelope or the From field. Answers the first reason found, in words.
 */
import { firstHeader, type HeaderList, headerAddresses, headerValues } from './headers.ts';

const ROLE_LOCAL_PART =
  /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|listserv|majordomo|owner-.+|.+-request)$/i;

/** True for addresses that must never get an automatic reply (RFC 3834 §2, list and role senders). */
export function isRoleSender(address: string): boolean {
  const at = address.lastIndexOf('@');
  const local = (at > 0 ? address.slice(0, at) : address).replace(/\+.*$/, '');
  return ROLE_LOCAL_PART.test(local);
}

/** Why the message looks machine-generated, or undefined when it looks human-generated. */
export function whyAutomated(headers: HeaderList, mailFrom: string): string | undefined {
  if (mailFrom === '') return 'the envelope sender is <> (a bounce or notification)';
  const autoSubmitted = firstHeader(headers, 'Auto-Submitted');
  if (autoSubmitted !== undefined) {
    const keyword = autoSubmitted.split(';')[0]!.trim().toLowerCase();
    if (keyword !== 'no') return `Auto-Submitted: ${keyword || '(empty)'}`;
  }
  const precedence = headerValues(headers, 'Precedence')
    .map((v) => v.trim().toLowerCase())
    .find((v) => v === 'bulk' || v === 'list' || v === 'junk');
  if (precedence) return `Precedence: ${precedence}`;
  for (const name of ['List-Id', 'List-Unsubscribe']) {
    if (firstHeader(headers, name) !== undefined) return `${name} header (mailing list)`;
  }
  if (isRoleSender(mailFrom)) return `the envelope sender ${mailFrom} is a role or list address`;
  const from = headerAddresses(headers, 'From').find((a) => isRoleSender(a.address));
  if (from) return `the From address ${from.address} is a role or list address`;
  return undefined;
}
