import { describe, expect, it } from 'vitest';
import { replies } from '../../../core/mail/smtp-replies.ts';
import { rejectionReason } from './rejection-metrics.ts';

describe('rejectionReason', () => {
  it.each([
    ['AUTH', replies.authFailed(), undefined, 'auth'],
    ['AUTH', replies.authLocked('address', 20, 900), undefined, 'auth'],
    ['RCPT', replies.unknownUser('x@example.com'), undefined, 'unknown-user'],
    ['RCPT', replies.relayDenied('x@example.net'), undefined, 'relay-denied'],
    ['RCPT', replies.badSrsAddress('SRS0=x@example.com', 'bad hash'), undefined, 'sender'],
    ['RCPT', replies.tooManyRecipients(100), undefined, 'limits'],
    ['MAIL', replies.addressRate('messages', 10, 60), undefined, 'limits'],
    ['MAIL', replies.senderNotOwned('a@b', 'c'), undefined, 'sender'],
    ['CONNECT', replies.tooManySessions(20), undefined, 'limits'],
    ['CONNECT', replies.dnsblListed('192.0.2.1', 'zen.example'), undefined, 'dnsbl'],
    ['DATA', replies.rejectedByRule('Go away'), 'rejected', 'rules'],
    ['DATA', replies.dmarcReject('example.com'), 'rejected', 'inbound-auth'],
    ['DATA', replies.mailOutSize('a@b', 10), 'limit', 'limits'],
    ['DATA', replies.spamRejected('Gtube pattern'), 'spam', 'content-filter'],
    ['DATA', replies.spamDeferred('score 9'), 'spam', 'content-filter'],
    ['DATA', replies.filterUnavailable(), 'filter-unavailable', 'content-filter'],
    ['DATA', replies.queueFull(), 'queue-full', 'queue-full'],
    ['DATA', replies.localError(), 'storage', 'other'],
  ])('%s %o → %s', (stage, reply, dataReason, want) => {
    expect(rejectionReason(stage, reply, dataReason)).toBe(want);
  });
});
