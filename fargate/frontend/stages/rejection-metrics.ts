/**
 * Counts an SMTP refusal in the SmtpRejected metric, by reply class (4xx/5xx) and a small fixed
 * set of reasons derived from the stage and the reply's enhanced status code (the catalogue in
 * core/mail/smtp-replies.ts): auth, unknown-user, relay-denied, limits, rules, inbound-auth,
 * dnsbl, content-filter, sender, syntax, queue-full, shutdown, other. Never a per-address value. Cannot fail.
 */
import type { Reply } from '../../../core/mail/outcome.ts';
import { REJECTION_REASONS, type RejectionReason } from '../../../core/ports/metrics.ts';
import { metrics } from '../../../core/util/metrics.ts';

export { REJECTION_REASONS, type RejectionReason };

/** Enhanced codes whose meaning does not depend on the stage. */
const BY_ENHANCED: Readonly<Record<string, RejectionReason>> = {
  '5.1.1': 'unknown-user',
  '4.7.0': 'limits', // session caps, session limits, AUTH lockout (AUTH is counted as auth first)
  '4.7.1': 'limits', // per-address rates, MailOutFlow
  '4.2.1': 'limits', // MailInpFlow
  '4.5.3': 'limits', // too many recipients
  '5.3.4': 'limits', // message size
  '5.2.3': 'limits', // recipient's size limit
  '4.2.2': 'limits', // mailbox full
  '4.3.1': 'queue-full',
  '4.3.2': 'shutdown',
  '5.4.6': 'rules', // mail loop
  '5.1.7': 'syntax',
  '5.1.3': 'syntax',
  '5.5.4': 'syntax',
};

/** Why a reply refused, as the metric's Reason dimension. `dataReason` is accept-message's. */
export function rejectionReason(stage: string, reply: Reply, dataReason?: string): RejectionReason {
  if (stage === 'AUTH') return 'auth';
  if (dataReason === 'limit') return 'limits';
  if (dataReason === 'spam' || dataReason === 'filter-unavailable') return 'content-filter';
  if (reply.enhanced === '5.7.1') {
    if (stage === 'CONNECT') return 'dnsbl';
    if (stage === 'MAIL') return 'sender';
    if (stage === 'RCPT') return reply.code === 554 ? 'relay-denied' : 'sender';
    // DATA: DMARC/SPF refusals name their policy; everything else there is a Reject rule.
    return /\b(DMARC|SPF)\b/.test(reply.text)
      ? 'inbound-auth'
      : /not owned|header/.test(reply.text)
        ? 'sender'
        : 'rules';
  }
  return BY_ENHANCED[reply.enhanced] ?? 'other';
}

/** Count one refusal (class from the reply code). */
export function countRejection(stage: string, reply: Reply, dataReason?: string): void {
  const klass = reply.code >= 500 ? '5xx' : '4xx';
  metrics.count('SmtpRejected', { Class: klass, Reason: rejectionReason(stage, reply, dataReason) });
}
