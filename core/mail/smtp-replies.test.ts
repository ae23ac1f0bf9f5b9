import { describe, expect, it } from 'vitest';
import { delivered, outcomeFromReply, permanent, temporary } from './outcome.ts';
import { formatReply, parseReply, replies, replyForOutcome } from './smtp-replies.ts';

describe('SMTP reply catalogue', () => {
  it.each([
    [replies.unknownUser('x@example.com'), 550, '5.1.1'],
    [replies.relayDenied('x@example.net'), 554, '5.7.1'],
    [replies.messageTooBig(1000), 552, '5.3.4'],
    [replies.messageTooBigForRecipient('x@example.com', 10), 552, '5.2.3'],
    [replies.mailboxFull('x@example.com'), 452, '4.2.2'],
    [replies.mailboxDisabled('x@example.com'), 550, '5.2.1'],
    [replies.localError(), 451, '4.3.0'],
    [replies.queueFull(), 452, '4.3.1'],
    [replies.authRequired(), 530, '5.7.0'],
    [replies.accepted('ID'), 250, '2.0.0'],
  ])('%o has code %i and enhanced %s whose class matches', (reply, code, enhanced) => {
    expect(reply.code).toBe(code);
    expect(reply.enhanced).toBe(enhanced);
    expect(reply.enhanced[0]).toBe(String(reply.code)[0]);
  });

  it('formats and parses the wire form', () => {
    const line = formatReply(replies.unknownUser('a@b.example'));
    expect(line).toBe('550 5.1.1 <a@b.example>: Recipient address rejected: no such user');
    expect(parseReply(line)).toEqual(replies.unknownUser('a@b.example'));
    expect(parseReply('421 closing')).toEqual({ code: 421, enhanced: '4.0.0', text: 'closing' });
    expect(parseReply('hello')).toBeUndefined();
  });

  it('maps outcomes to replies and remote replies to outcomes', () => {
    expect(replyForOutcome(delivered())).toEqual(replies.delivered());
    expect(replyForOutcome(temporary(replies.localError()))).toEqual(replies.localError());
    expect(outcomeFromReply(replies.relayDenied('a@b.example'))).toEqual(
      permanent(replies.relayDenied('a@b.example')),
    );
    expect(outcomeFromReply(replies.mailboxFull('a@b.example')).kind).toBe('temporary');
    expect(outcomeFromReply(replies.accepted('X')).kind).toBe('delivered');
  });
});
