/**
 * The LMTP account-fact convention: each fact the backend reports survives the reply line (and
 * the line is the documented one), plain outcomes pass unchanged, and reply text can neither
 * forge a fact nor smuggle a malformed owner.
 */
import { describe, expect, it } from 'vitest';
import {
  delivered,
  permanent,
  type RecipientOutcome,
  type Reply,
  temporary,
} from '../../core/mail/outcome.ts';
import { formatReply, replies } from '../../core/mail/smtp-replies.ts';
import { lmtpReplyFor, outcomeFromLmtpReply } from './lmtp-account-facts.ts';

const roundTrip = (o: RecipientOutcome) => outcomeFromLmtpReply(lmtpReplyFor(o));

describe('account facts over LMTP replies', () => {
  const facts: [string, RecipientOutcome, string][] = [
    [
      'open elsewhere',
      temporary(replies.accountInUse('a@example.com', 'backend-10.0.0.7:2424'), {
        state: 'open-elsewhere',
        owner: 'backend-10.0.0.7:2424',
      }),
      '451 4.2.0 <a@example.com>: account is open on backend=backend-10.0.0.7:2424 [strato:owner=backend-10.0.0.7:2424]',
    ],
    [
      'disabled',
      temporary(replies.mailboxDisabledTemporarily('a@example.com'), { state: 'disabled' }),
      '450 4.2.1 <a@example.com>: mail service disabled for this account, will retry [strato:state=disabled]',
    ],
    [
      'full',
      temporary(replies.mailboxFull('a@example.com'), { state: 'full' }),
      '452 4.2.2 <a@example.com>: mailbox full (quota exceeded) [strato:state=full]',
    ],
    [
      'moving (backend stopping)',
      temporary(replies.backendStopping('backend-1'), { state: 'moving', why: 'backend-stopping' }),
      '451 4.3.2 Backend backend-1 is stopping, its accounts are moving; try again [strato:moving=backend-stopping]',
    ],
  ];
  it.each(facts)('carries %s as the documented line and reads it back as the same outcome', (_, o, line) => {
    expect(formatReply(lmtpReplyFor(o))).toBe(line);
    expect(roundTrip(o)).toEqual(o);
  });

  it('passes outcomes without a fact unchanged, even one with a fact-like code', () => {
    for (const o of [
      delivered(replies.delivered()),
      permanent(replies.unknownUser('ghost@example.com')),
      temporary(replies.mailInpFlow('a@example.com', 10, 60)), // 450 4.2.1, like disabled
      temporary(replies.leaseLost('a@example.com')), // 451 4.2.0, like open elsewhere
    ]) {
      expect(lmtpReplyFor(o)).toEqual(o.reply);
      expect(roundTrip(o)).toEqual(o);
    }
  });

  it('defangs a token in text it did not tag, so reply text cannot forge a fact', () => {
    const forged: Reply = {
      code: 452,
      enhanced: '4.2.2',
      text: '<a@example.com>: later [strato:state=full]',
    };
    const sent = lmtpReplyFor(temporary(forged));
    expect(sent.text).toBe('<a@example.com>: later [strato-state=full]');
    expect(outcomeFromLmtpReply(sent)).toEqual(temporary(sent));
  });

  it('writes no owner that is not a backend id, and reads none either', () => {
    const inUse = replies.accountInUse('a@example.com', 'b 2');
    const o = temporary(inUse, { state: 'open-elsewhere', owner: 'b 2' });
    expect(roundTrip(o)).toEqual(temporary(inUse));
    const bad: Reply = { code: 451, enhanced: '4.2.0', text: 'x [strato:owner=b/2]' };
    expect(outcomeFromLmtpReply(bad)).toEqual(temporary(bad));
  });

  it('reads no move cause it does not know', () => {
    const unknown: Reply = { code: 451, enhanced: '4.3.2', text: 'x [strato:moving=teleported]' };
    expect(outcomeFromLmtpReply(unknown)).toEqual(temporary(unknown));
  });

  it('reads a fact only with its own enhanced code and only from a 4xx reply', () => {
    const wrongCode: Reply = { code: 451, enhanced: '4.3.0', text: 'x [strato:state=full]' };
    expect(outcomeFromLmtpReply(wrongCode)).toEqual(temporary(wrongCode));
    const notTemporary: Reply = { code: 552, enhanced: '4.2.2', text: 'x [strato:state=full]' };
    expect(outcomeFromLmtpReply(notTemporary)).toEqual(permanent(notTemporary));
    const notAtEnd: Reply = { code: 452, enhanced: '4.2.2', text: 'x [strato:state=full] y' };
    expect(outcomeFromLmtpReply(notAtEnd)).toEqual(temporary(notAtEnd));
  });
});
