import { describe, expect, it } from 'vitest';
import { evaluateCondition } from './conditions.ts';
import { parseHeaderBlock } from './headers.ts';
import type { Condition } from './model.ts';
import type { MessageView } from './plan.ts';
import { localTime } from './values.ts';

const HEADERS = [
  'Received: from a.example by b.example; Mon, 3 Mar 2025 09:14:00 +0000',
  'From: "Bob Example" <bob@example.net>',
  'Sender: secretary@example.net',
  'To: Alice <alice@example.com>,',
  ' carol@example.com',
  'Cc: dave@example.org',
  'Subject: =?UTF-8?Q?Quarterly_report_f=C3=BCr_Q3?=',
  'X-Spam: yes, score=7.1',
  'X-Spam: second',
  'Message-ID: <m1@example.net>',
  '',
  'body',
].join('\r\n');

function view(overrides: Partial<MessageView> = {}, headerText = HEADERS): MessageView {
  return {
    mailFrom: 'bob@example.net',
    recipients: ['alice@example.com'],
    source: 'SMTP',
    headers: parseHeaderBlock(headerText),
    size: 20 * 1024,
    ...overrides,
  };
}

/** Monday 2025-03-03 09:15 UTC. */
const MONDAY = new Date('2025-03-03T09:15:00Z');

const c = (
  field: Condition['field'],
  op: Condition['op'],
  value: Condition['value'],
  header?: string,
): Condition => (header ? { field, op, value, header } : { field, op, value });

const run = (cond: Condition, v = view(), now = MONDAY, offset = 0) =>
  evaluateCondition(cond, v, localTime(now, offset));

describe('address conditions', () => {
  it.each<[string, Condition, boolean]>([
    ['From is a domain wildcard', c('From', 'is', '*@example.net'), true],
    ['From is compares case-insensitively', c('From', 'is', 'BOB@EXAMPLE.NET'), true],
    ['From is matches the display form', c('From', 'is', '*Bob Example*'), true],
    ['From is with a wildcard only in the middle', c('From', 'is', 'b*@example.net'), true],
    ['From is must match the whole address', c('From', 'is', 'bob@example'), false],
    ['From is another domain', c('From', 'is', '*@example.com'), false],
    ['From is not another domain', c('From', 'is not', '*@example.com'), true],
    ['From is not its own domain', c('From', 'is not', '*@example.net'), false],
    ['From in a list with one hit', c('From', 'in', ['x@y.example', 'bob@*']), true],
    ['From not in a list with one hit', c('From', 'not in', ['x@y.example', 'bob@*']), false],
    ['From not in a list without hits', c('From', 'not in', ['x@y.example']), true],
    ['Sender is', c('Sender', 'is', 'secretary@example.net'), true],
    ['Return-Path is the envelope sender', c('Return-Path', 'is', 'bob@example.net'), true],
    ['Return-Path is another', c('Return-Path', 'is', '*@example.com'), false],
    ['To is: any address counts (second, folded line)', c('To', 'is', 'carol@example.com'), true],
    ['To is not: none may match', c('To', 'is not', 'carol@example.com'), false],
    ['To is not an absent address', c('To', 'is not', 'zed@example.com'), true],
    ['To does not see Cc', c('To', 'is', 'dave@example.org'), false],
    ['Cc is', c('Cc', 'is', 'dave@*'), true],
    ['Any To or Cc sees Cc', c('Any To or Cc', 'is', 'dave@example.org'), true],
    ['Any To or Cc sees To', c('Any To or Cc', 'in', ['nobody@x.example', 'alice@example.com']), true],
    ['Any To or Cc not in', c('Any To or Cc', 'not in', ['eve@*']), true],
    ['Any Recipient is the envelope recipient', c('Any Recipient', 'is', 'alice@example.com'), true],
    ['Any Recipient ignores header-only addresses', c('Any Recipient', 'is', 'carol@example.com'), false],
  ])('%s', (_, cond, expected) => {
    expect(run(cond).matched).toBe(expected);
  });

  it('lists the addresses it compared and says which pattern matched', () => {
    const verdict = run(c('To', 'in', ['nobody@x.example', 'carol@*']));
    expect(verdict.seen).toEqual(['Alice <alice@example.com>', 'carol@example.com']);
    expect(verdict.why).toBe('"carol@*" matches carol@example.com');
  });

  const noSender = HEADERS.replace('Sender: secretary@example.net\r\n', '');
  it.each<[Condition['op'], Condition['value'], boolean]>([
    ['is', '*', false],
    ['in', ['*'], false],
    ['is not', '*', true],
    ['not in', ['*'], true],
  ])('a missing Sender: %s %o → %s', (op, value, expected) => {
    const verdict = run(c('Sender', op, value), view({}, noSender));
    expect(verdict.matched).toBe(expected);
    expect(verdict.why).toBe('no Sender address');
    expect(verdict.seen).toEqual([]);
  });

  it.each<[Condition['op'], boolean]>([
    ['is', false],
    ['is not', true],
  ])('a null envelope sender counts as a missing Return-Path: %s "*" → %s', (op, expected) => {
    const verdict = run(c('Return-Path', op, '*'), view({ mailFrom: '' }));
    expect(verdict.matched).toBe(expected);
    expect(verdict.why).toBe('null envelope sender <>');
  });
});

describe('text conditions', () => {
  const noSubject = HEADERS.replace(/Subject: .*\r\n/, '');
  it.each<[string, Condition, boolean, string?]>([
    ['Subject is compares the RFC 2047-decoded text', c('Subject', 'is', '*für Q3'), true],
    ['Subject is is case-insensitive', c('Subject', 'is', 'quarterly*'), true],
    ['Subject is matches the whole subject', c('Subject', 'is', 'Quarterly'), false],
    ['Subject in', c('Subject', 'in', ['*invoice*', '*report*']), true],
    ['Subject not in', c('Subject', 'not in', ['*invoice*', '*report*']), false],
    ['Subject is a wildcard run in the middle', c('Subject', 'is', 'Q*report*Q3'), true],
    ['Header Field: first occurrence', c('Header Field', 'is', 'yes*', 'X-Spam'), true],
    ['Header Field: any occurrence counts', c('Header Field', 'is', 'second', 'X-Spam'), true],
    ['Header Field is not: no occurrence may match', c('Header Field', 'is not', 'second', 'X-Spam'), false],
    ['Header Field name is case-insensitive', c('Header Field', 'is', 'YES, score=*', 'x-spam'), true],
    [
      'Header Field missing: is fails',
      c('Header Field', 'is', '*', 'X-Missing'),
      false,
      'no X-Missing header',
    ],
    ['Header Field missing: in fails', c('Header Field', 'in', ['*'], 'X-Missing'), false],
    ['Header Field missing: is not holds', c('Header Field', 'is not', 'x', 'X-Missing'), true],
    ['Header Field missing: not in holds', c('Header Field', 'not in', ['x'], 'X-Missing'), true],
  ])('%s', (_, cond, expected, why) => {
    const verdict = run(cond);
    expect(verdict.matched).toBe(expected);
    if (why) expect(verdict.why).toBe(why);
  });

  it('a message without Subject fails is and satisfies is not', () => {
    expect(run(c('Subject', 'is', '*'), view({}, noSubject)).matched).toBe(false);
    expect(run(c('Subject', 'is not', 'x'), view({}, noSubject)).matched).toBe(true);
  });

  it('wildcards treat regular-expression characters literally', () => {
    const headers = 'Subject: [PATCH] a.b (v2) +1 $x ^y\r\n';
    expect(run(c('Subject', 'is', '[PATCH] a.b (v2) +1 $x ^y'), view({}, headers)).matched).toBe(true);
    expect(run(c('Subject', 'is', '[PATCH] a?b*'), view({}, headers)).matched).toBe(false);
  });
});

describe('Message Size', () => {
  it.each<[Condition['op'], Condition['value'], boolean]>([
    ['greater than', '10K', true],
    ['greater than', '20K', false],
    ['greater than', '1G', false],
    ['less than', '1M', true],
    ['less than', 20480, false],
    ['less than', '20481', true],
    ['greater than', '19k', true],
  ])('20480 bytes %s %o → %s', (op, value, expected) => {
    expect(run(c('Message Size', op, value)).matched).toBe(expected);
  });

  it('explains with both numbers', () => {
    expect(run(c('Message Size', 'greater than', '1M')).why).toBe(
      '20480 bytes is not greater than 1M (1048576 bytes)',
    );
  });
});

describe('Human Generated and Source', () => {
  const bulk = `${HEADERS.split('\r\n\r\n')[0]}\r\nPrecedence: bulk\r\n`;
  it.each<[string, Condition, MessageView, boolean]>([
    ['a personal message is human', c('Human Generated', 'is', true), view(), true],
    ['is false on a personal message', c('Human Generated', 'is', false), view(), false],
    ['is not true on a personal message', c('Human Generated', 'is not', true), view(), false],
    ['bulk mail is not human', c('Human Generated', 'is', true), view({}, bulk), false],
    ['bulk mail is false', c('Human Generated', 'is', false), view({}, bulk), true],
    ['a bounce is not human', c('Human Generated', 'is', true), view({ mailFrom: '' }), false],
    ['Source is SMTP', c('Source', 'is', 'SMTP'), view(), true],
    ['Source is case-insensitive', c('Source', 'is', 'smtp'), view(), true],
    ['Source in', c('Source', 'in', ['RULE', 'DSN']), view({ source: 'DSN' }), true],
    ['Source not in', c('Source', 'not in', ['RULE', 'DSN']), view(), true],
    ['Source is not', c('Source', 'is not', 'SUBMIT'), view({ source: 'SUBMIT' }), false],
  ])('%s', (_, cond, v, expected) => {
    expect(run(cond, v).matched).toBe(expected);
  });

  it('says why a message is automatic', () => {
    expect(run(c('Human Generated', 'is', true), view({}, bulk)).why).toBe('automatic: Precedence: bulk');
  });
});

describe('calendar conditions (Monday 2025-03-03 09:15 UTC)', () => {
  it.each<[Condition, boolean]>([
    [c('Current Date', 'is', '2025-03-03'), true],
    [c('Current Date', 'is', '2025-03-*'), true],
    [c('Current Date', 'is not', '2025-03-*'), false],
    [c('Current Date', 'in', ['2025-12-25', '2025-03-03']), true],
    [c('Current Date', 'greater than', '2025-03-02'), true],
    [c('Current Date', 'greater than', '2025-03-03'), false],
    [c('Current Date', 'less than', '2025-03-04'), true],
    [c('Current Date', 'less than', '2024-12-31'), false],
    [c('Time Of Day', 'greater than', '09:00'), true],
    [c('Time Of Day', 'greater than', '09:15'), false],
    [c('Time Of Day', 'less than', '09:16'), true],
    [c('Time Of Day', 'less than', '09:15'), false],
    [c('Time Of Day', 'is', '09:*'), true],
    [c('Time Of Day', 'is', '10:*'), false],
    [c('Current Day', 'is', 'Mon'), true],
    [c('Current Day', 'is', 'mon'), true],
    [c('Current Day', 'is not', 'Mon'), false],
    [c('Current Day', 'in', ['Sat', 'Sun']), false],
    [c('Current Day', 'not in', ['Sat', 'Sun']), true],
  ])('%o → %s', (cond, expected) => {
    expect(run(cond).matched).toBe(expected);
  });

  it('uses the account time zone: 23:30 UTC is the next day at UTC+01:00', () => {
    const now = new Date('2025-03-03T23:30:00Z');
    expect(run(c('Current Date', 'is', '2025-03-04'), view(), now, 60).matched).toBe(true);
    expect(run(c('Current Day', 'is', 'Tue'), view(), now, 60).matched).toBe(true);
    expect(run(c('Time Of Day', 'is', '00:30'), view(), now, 60).matched).toBe(true);
    expect(run(c('Current Date', 'is', '2025-03-04'), view(), now, 0).matched).toBe(false);
  });

  it('uses a negative offset: 01:00 UTC Monday is Sunday 23:00 at UTC-02:00', () => {
    const now = new Date('2025-03-03T01:00:00Z');
    const verdict = run(c('Current Day', 'in', ['Sat', 'Sun']), view(), now, -120);
    expect(verdict.matched).toBe(true);
    expect(verdict.seen).toEqual(['Sun']);
    expect(run(c('Time Of Day', 'greater than', '22:59'), view(), now, -120).why).toBe(
      '23:00 (UTC-02:00) is greater than 22:59',
    );
  });
});
