import { describe, expect, it } from 'vitest';
import { evaluateRules } from './evaluate.ts';
import { describeCondition, explainEvaluation } from './explain.ts';
import { parseHeaderBlock } from './headers.ts';
import { requireValidRuleSet } from './model.ts';
import type { EvaluationContext, MessageView } from './plan.ts';

const view: MessageView = {
  mailFrom: 'bob@example.net',
  recipients: ['alice@example.com'],
  source: 'SMTP',
  headers: parseHeaderBlock(
    'From: Bob <bob@example.net>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?Q?Rechnung_f=C3=BCr_M=C3=A4rz?=\r\n' +
      'X-Spam-Flag: NO\r\nMessage-ID: <r1@example.net>\r\n',
  ),
  size: 4096,
};
const ctx: EvaluationContext = {
  owner: 'alice@example.com',
  now: new Date('2025-04-03T16:45:00Z'),
  utcOffsetMinutes: 120,
  deliveryId: 'D1',
};

const domain = requireValidRuleSet([
  {
    name: 'Spam to Junk',
    priority: 'highest',
    conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
    actions: [{ action: 'store', folder: 'Junk' }, { action: 'stop' }],
  },
]);
const account = requireValidRuleSet([
  {
    name: 'Invoices',
    priority: 3,
    conditions: [
      { field: 'Subject', op: 'in', value: ['*invoice*', '*rechnung*'] },
      { field: 'Message Size', op: 'less than', value: '10M' },
    ],
    actions: [
      { action: 'mirror', to: ['books@example.com'] },
      { action: 'tag subject', tag: '[invoice]' },
      { action: 'store', folder: 'Invoices' },
      { action: 'stop' },
    ],
  },
  {
    name: 'Vacation',
    priority: 5,
    conditions: [{ field: 'Human Generated', op: 'is', value: true }],
    actions: [
      { action: 'vacation', text: 'Away until Monday.', days: 7, from: '2025-04-01', until: '2025-04-14' },
    ],
  },
  { name: 'Evenings', priority: 1, conditions: [], actions: [{ action: 'mark', flags: ['Seen'] }] },
  { name: 'Old filter', priority: 'inactive', conditions: [], actions: [{ action: 'discard' }] },
]);

describe('explainEvaluation', () => {
  it('renders every rule, verdict and action, then the result', () => {
    const plan = evaluateRules(
      [
        { scope: 'domain', rules: domain },
        { scope: 'account', rules: account },
      ],
      view,
      ctx,
    );
    expect(explainEvaluation(plan, view, ctx)).toBe(
      [
        'Rules for alice@example.com',
        '  message: from <bob@example.net> to alice@example.com, source SMTP, 4096 bytes',
        '  subject: Rechnung für März',
        '  evaluated at: 2025-04-03 18:45 Thu (UTC+02:00)',
        '',
        'domain rules',
        '  rule 0 "Spam to Junk" [priority highest]: not matched',
        '    no    Header Field X-Spam-Flag is "YES": "YES" does not match NO',
        'account rules',
        '  rule 1 "Vacation" [priority 5]: matched',
        '    yes   Human Generated is true: no sign of automatic mail',
        '    ->    vacation reply to bob@example.net, unless already answered within 7 day(s)',
        '  rule 0 "Invoices" [priority 3]: matched',
        '    yes   Subject in ["*invoice*", "*rechnung*"]: "*rechnung*" matches Rechnung für März',
        '    yes   Message Size less than "10M": 4096 bytes is less than 10M (10485760 bytes)',
        '    ->    mirror a copy to books@example.com (sent by alice@example.com); delivery continues',
        '    ->    tag the subject with "[invoice]"',
        '    ->    store a copy in "Invoices"',
        '    ->    stop processing',
        '  rule 2 "Evenings" [priority 1]: not run (processing stopped by "Invoices")',
        '  rule 3 "Old filter" [inactive]: inactive, never runs',
        '',
        'Result',
        '  message: store in Invoices',
        '  header edit: tag subject with "[invoice]"',
        '  send: mirror to books@example.com (envelope sender <alice@example.com>, rule "Invoices")',
        '  auto-reply: vacation to bob@example.net (envelope sender <>, rule "Vacation") if bob@example.net ' +
          'was not answered within 7 day(s)',
        '',
      ].join('\n'),
    );
  });

  it('shows skipped actions, empty conditions, loop protection and a reject', () => {
    const rules = requireValidRuleSet([
      {
        name: 'Bounce all',
        priority: 5,
        conditions: [],
        actions: [
          { action: 'redirect', to: ['x@example.org'] },
          { action: 'reject', text: 'Gone' },
        ],
      },
    ]);
    const looped = {
      ...view,
      headers: parseHeaderBlock('X-Strato-Loop: alice@example.com\r\nSubject: hi\r\n'),
    };
    const text = explainEvaluation(evaluateRules([{ scope: 'account', rules }], looped, ctx), looped, ctx);
    expect(text).toContain('    yes   (no conditions: matches every message)\n');
    expect(text).toContain(
      '    skip  redirect to x@example.org not sent: mail loop: the message already carries X-Strato-Loop: alice@example.com\n',
    );
    expect(text).toContain('  message: rejected for this recipient: "Gone"\n');
    expect(text).toContain(
      '  loop protection: mail loop: the message already carries X-Strato-Loop: alice@example.com; no mail generated\n',
    );
  });

  it.each([
    [{ field: 'Header Field', header: 'X-A', op: 'is not', value: 'b*' }, 'Header Field X-A is not "b*"'],
    [{ field: 'Human Generated', op: 'is', value: false }, 'Human Generated is false'],
    [{ field: 'Message Size', op: 'greater than', value: 1024 }, 'Message Size greater than 1024'],
    [{ field: 'Current Day', op: 'in', value: ['Sat', 'Sun'] }, 'Current Day in ["Sat", "Sun"]'],
  ] as const)('describes %o as %s', (condition, text) => {
    expect(describeCondition(condition)).toBe(text);
  });
});
