import { describe, expect, it } from 'vitest';
import { evaluateRules, filingDecisionOf } from './evaluate.ts';
import { parseHeaderBlock } from './headers.ts';
import type { Action, Condition, Rule } from './model.ts';
import type { EvaluationContext, MessageView, RuleSetInput } from './plan.ts';

const HEADERS = [
  'Received: from mx.example.net by mx.example.com; Mon, 3 Mar 2025 09:14:00 +0000',
  'From: Bob <bob@example.net>',
  'To: alice@example.com',
  'Subject: Lunch?',
  'Message-ID: <lunch-1@example.net>',
  '',
].join('\r\n');

function view(extraHeaders = '', overrides: Partial<MessageView> = {}): MessageView {
  return {
    mailFrom: 'bob@example.net',
    recipients: ['alice@example.com'],
    source: 'SMTP',
    headers: parseHeaderBlock(extraHeaders + HEADERS),
    size: 1200,
    ...overrides,
  };
}

const ctx: EvaluationContext = {
  owner: 'alice@example.com',
  now: new Date('2025-03-03T09:15:00Z'),
  deliveryId: '01JNB6Y5Q3ZK8V2M4T7XWERTYU',
};

let counter = 0;
function rule(
  actions: Action[],
  opts: { priority?: Rule['priority']; conditions?: Condition[]; name?: string } = {},
): Rule {
  counter += 1;
  return {
    name: opts.name ?? `rule${counter}`,
    priority: opts.priority ?? 5,
    conditions: opts.conditions ?? [],
    actions,
  };
}

const account = (...rules: Rule[]): RuleSetInput[] => [{ scope: 'account', rules }];
const evaluate = (sets: RuleSetInput[], v = view(), c = ctx) => evaluateRules(sets, v, c);

describe('the default', () => {
  it('stores in INBOX when there are no rules or none matches', () => {
    const none = evaluate(account());
    expect(none.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(none).toMatchObject({ flags: [], headerEdits: [], messages: [], autoReplies: [], trace: [] });
    const unmatched = evaluate(
      account(rule([{ action: 'discard' }], { conditions: [{ field: 'Subject', op: 'is', value: 'x' }] })),
    );
    expect(unmatched.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(unmatched.trace[0]!.status).toBe('not matched');
  });
});

describe('each action on the plan', () => {
  it('store replaces INBOX; several stores keep several copies; a repeated folder collapses', () => {
    expect(evaluate(account(rule([{ action: 'store', folder: 'Junk' }]))).fate).toEqual({
      kind: 'deliver',
      folders: ['Junk'],
    });
    const plan = evaluate(
      account(
        rule([{ action: 'store', folder: 'Archive' }], { priority: 9 }),
        rule(
          [
            { action: 'store', folder: 'Lunch' },
            { action: 'store', folder: 'Archive' },
          ],
          { priority: 3 },
        ),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Archive', 'Lunch'] });
    expect(plan.trace[1]!.actions.map((a) => a.effect)).toEqual([
      'store a copy in "Lunch"',
      'store in "Archive" (already planned)',
    ]);
  });

  it('an explicit store in INBOX keeps the INBOX copy beside others', () => {
    const plan = evaluate(
      account(
        rule([
          { action: 'store', folder: 'INBOX' },
          { action: 'store', folder: 'Copies' },
        ]),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX', 'Copies'] });
  });

  it('mark collects IMAP flags across rules without duplicates', () => {
    const plan = evaluate(
      account(
        rule([{ action: 'mark', flags: ['Seen', 'Junk'] }]),
        rule([{ action: 'mark', flags: ['read', '$Work'] }]),
      ),
    );
    expect(plan.flags).toEqual(['\\Seen', '$Junk', '$Work']);
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
  });

  it('add header and tag subject become header edits, in order', () => {
    const plan = evaluate(
      account(
        rule([
          { action: 'add header', header: 'X-Filtered-By', value: 'rules' },
          { action: 'tag subject', tag: '[lunch]' },
        ]),
      ),
    );
    expect(plan.headerEdits).toEqual([
      { kind: 'add header', name: 'X-Filtered-By', value: 'rules' },
      { kind: 'tag subject', tag: '[lunch]' },
    ]);
  });

  it('redirect sends the same message to new recipients and cancels INBOX', () => {
    const plan = evaluate(
      account(rule([{ action: 'redirect', to: ['carol@example.org', 'dan@example.org'] }])),
    );
    expect(plan.fate).toEqual({ kind: 'drop', because: 'redirect' });
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]).toMatchObject({
      kind: 'redirect',
      mailFrom: 'bob@example.net',
      recipients: ['carol@example.org', 'dan@example.org'],
      head: 'X-Strato-Loop: alice@example.com\r\n',
      includesOriginal: true,
      tail: '',
    });
  });

  it('redirect plus store keeps the stored copy only', () => {
    const plan = evaluate(
      account(
        rule([
          { action: 'redirect', to: ['carol@example.org'] },
          { action: 'store', folder: 'Sent on' },
        ]),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Sent on'] });
    expect(plan.messages.map((m) => m.kind)).toEqual(['redirect']);
  });

  it('forward sends a new message from the account and cancels INBOX', () => {
    const plan = evaluate(account(rule([{ action: 'forward', to: ['carol@example.org'] }])));
    expect(plan.fate).toEqual({ kind: 'drop', because: 'forward' });
    expect(plan.messages[0]).toMatchObject({
      kind: 'forward',
      mailFrom: 'alice@example.com',
      recipients: ['carol@example.org'],
      includesOriginal: true,
    });
    expect(plan.messages[0]!.head).toContain('Subject: Fwd: Lunch?\r\n');
  });

  it('mirror sends a copy from the account while INBOX delivery continues', () => {
    const plan = evaluate(account(rule([{ action: 'mirror', to: ['archive@example.org'] }])));
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(plan.messages[0]).toMatchObject({
      kind: 'mirror',
      mailFrom: 'alice@example.com',
      recipients: ['archive@example.org'],
    });
    expect(plan.messages[0]!.head).toContain('Resent-From: <alice@example.com>\r\n');
  });

  it('reply plans an auto-reply without a claim; INBOX delivery continues', () => {
    const plan = evaluate(account(rule([{ action: 'reply', text: 'Got it.' }])));
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(plan.autoReplies).toHaveLength(1);
    expect(plan.autoReplies[0]!.claim).toBeUndefined();
    expect(plan.autoReplies[0]!.message).toMatchObject({
      kind: 'reply',
      mailFrom: '',
      recipients: ['bob@example.net'],
    });
  });

  it('vacation plans a reply that needs a claim for the sender and period', () => {
    const plan = evaluate(account(rule([{ action: 'vacation', text: 'Away.', days: 7 }])));
    expect(plan.autoReplies[0]!.claim).toEqual({
      account: 'alice@example.com',
      sender: 'bob@example.net',
      periodMs: 7 * 24 * 3600 * 1000,
    });
    expect(plan.autoReplies[0]!.message.kind).toBe('vacation');
  });

  it.each<[string | undefined, string | undefined, boolean]>([
    ['2025-03-01', '2025-03-10', true],
    ['2025-03-03', '2025-03-03', true],
    ['2025-03-04', undefined, false],
    [undefined, '2025-03-02', false],
    [undefined, undefined, true],
  ])('vacation from %s until %s on 2025-03-03 → reply %s', (from, until, sent) => {
    const action: Action = {
      action: 'vacation',
      text: 'Away.',
      days: 1,
      ...(from ? { from } : {}),
      ...(until ? { until } : {}),
    };
    const plan = evaluate(account(rule([action])));
    expect(plan.autoReplies).toHaveLength(sent ? 1 : 0);
    expect(plan.trace[0]!.actions[0]!.applied).toBe(sent);
  });

  it('the vacation window uses the account time zone', () => {
    const action: Action = { action: 'vacation', text: 'Away.', days: 1, from: '2025-03-04' };
    const late = { ...ctx, now: new Date('2025-03-03T23:30:00Z') };
    expect(evaluate(account(rule([action])), view(), late).autoReplies).toHaveLength(0);
    expect(
      evaluate(account(rule([action])), view(), { ...late, utcOffsetMinutes: 60 }).autoReplies,
    ).toHaveLength(1);
  });

  it('reject wins: the fate is a failure and earlier effects are dropped', () => {
    const plan = evaluate(
      account(
        rule(
          [
            { action: 'mark', flags: ['Seen'] },
            { action: 'mirror', to: ['x@example.org'] },
            { action: 'reply', text: 'hi' },
          ],
          { priority: 9 },
        ),
        rule([{ action: 'reject', text: 'No lunch mail please' }], { priority: 5 }),
        rule([{ action: 'store', folder: 'Never' }], { priority: 1 }),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'reject', text: 'No lunch mail please' });
    expect(plan).toMatchObject({ flags: [], headerEdits: [], messages: [], autoReplies: [] });
    expect(plan.trace.map((t) => t.status)).toEqual(['matched', 'matched', 'not run']);
    expect(filingDecisionOf(plan)).toEqual({ folders: [], reject: 'No lunch mail please' });
  });

  it('discard cancels INBOX and ends processing', () => {
    const plan = evaluate(
      account(
        rule([{ action: 'discard' }], { priority: 9 }),
        rule([{ action: 'store', folder: 'X' }], { priority: 1 }),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'drop', because: 'discard' });
    expect(plan.trace[1]).toMatchObject({ status: 'not run', stoppedBy: plan.trace[0]!.name });
    expect(filingDecisionOf(plan)).toEqual({ folders: [] });
  });

  it('discard keeps explicit stores made before it', () => {
    const plan = evaluate(
      account(rule([{ action: 'store', folder: 'Archive' }], { priority: 9 }), rule([{ action: 'discard' }])),
    );
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Archive'] });
  });

  it('the fate names the first action that cancelled delivery', () => {
    const plan = evaluate(
      account(rule([{ action: 'redirect', to: ['c@example.org'] }, { action: 'discard' }])),
    );
    expect(plan.fate).toEqual({ kind: 'drop', because: 'redirect' });
  });
});

describe('ordering, inactive rules and stop', () => {
  it('runs higher priorities first: the effects come in that order', () => {
    const plan = evaluate(
      account(
        rule([{ action: 'store', folder: 'one' }], { priority: 1, name: 'one' }),
        rule([{ action: 'store', folder: 'top' }], { priority: 'highest', name: 'top' }),
        rule([{ action: 'store', folder: 'five-a' }], { priority: 5, name: 'five-a' }),
        rule([{ action: 'store', folder: 'off' }], { priority: 'inactive', name: 'off' }),
        rule([{ action: 'store', folder: 'five-b' }], { priority: 5, name: 'five-b' }),
      ),
    );
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['top', 'five-a', 'five-b', 'one'] });
    expect(plan.trace.map((t) => `${t.name}:${t.status}`)).toEqual([
      'top:matched',
      'five-a:matched',
      'five-b:matched',
      'one:matched',
      'off:inactive',
    ]);
  });

  it('stop runs the rest of its rule, then no later rule, in this set or the next', () => {
    const sets: RuleSetInput[] = [
      {
        scope: 'domain',
        rules: [rule([{ action: 'stop' }, { action: 'store', folder: 'Quarantine' }], { name: 'gate' })],
      },
      {
        scope: 'account',
        rules: [rule([{ action: 'store', folder: 'Mine' }], { priority: 'highest', name: 'mine' })],
      },
    ];
    const plan = evaluate(sets);
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Quarantine'] });
    expect(plan.trace.map((t) => [t.scope, t.name, t.status, t.stoppedBy])).toEqual([
      ['domain', 'gate', 'matched', undefined],
      ['account', 'mine', 'not run', 'gate'],
    ]);
  });

  it('without stop, processing continues into the account rules', () => {
    const sets: RuleSetInput[] = [
      { scope: 'domain', rules: [rule([{ action: 'mark', flags: ['Flagged'] }])] },
      { scope: 'account', rules: [rule([{ action: 'store', folder: 'Mine' }])] },
    ];
    const plan = evaluate(sets);
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Mine'] });
    expect(plan.flags).toEqual(['\\Flagged']);
  });

  it('all conditions must match', () => {
    const conditions: Condition[] = [
      { field: 'From', op: 'is', value: '*@example.net' },
      { field: 'Subject', op: 'is', value: 'Dinner?' },
    ];
    const plan = evaluate(account(rule([{ action: 'discard' }], { conditions })));
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(plan.trace[0]!.conditions.map((v) => v.matched)).toEqual([true, false]);
  });
});

describe('loop protection and RFC 3834 in the plan', () => {
  const everything: Action[] = [
    { action: 'redirect', to: ['carol@example.org'] },
    { action: 'forward', to: ['dan@example.org'] },
    { action: 'mirror', to: ['eve@example.org'] },
    { action: 'reply', text: 'hi' },
  ];

  it('a message carrying our loop mark generates nothing, and is kept in INBOX instead of lost', () => {
    const plan = evaluate(account(rule(everything)), view('X-Strato-Loop: alice@example.com\r\n'));
    expect(plan.messages).toEqual([]);
    expect(plan.autoReplies).toEqual([]);
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['INBOX'] });
    expect(plan.loopBlocked).toBe('mail loop: the message already carries X-Strato-Loop: alice@example.com');
    expect(plan.trace[0]!.actions.every((a) => !a.applied)).toBe(true);
  });

  it("another account's loop mark does not block", () => {
    const plan = evaluate(account(rule(everything)), view('X-Strato-Loop: bob@example.net\r\n'));
    expect(plan.messages.map((m) => m.kind)).toEqual(['redirect', 'forward', 'mirror']);
    expect(plan.loopBlocked).toBeUndefined();
  });

  it('too many Received headers block generation (limit configurable)', () => {
    const received = 'Received: from x by y; Mon, 3 Mar 2025 09:00:00 +0000\r\n'.repeat(3);
    const plan = evaluate(account(rule(everything)), view(received), { ...ctx, receivedLimit: 3 });
    expect(plan.loopBlocked).toBe('mail loop: 4 Received headers (limit 3)');
    expect(plan.messages).toEqual([]);
    expect(evaluate(account(rule(everything)), view(received)).messages).toHaveLength(3);
  });

  it('replies to list mail are suppressed with the reason', () => {
    const plan = evaluate(
      account(rule([{ action: 'reply', text: 'hi' }])),
      view('List-Id: <lunch.example.net>\r\n'),
    );
    expect(plan.autoReplies).toEqual([]);
    expect(plan.trace[0]!.actions[0]).toMatchObject({
      applied: false,
      effect: 'reply suppressed: List-Id header (mailing list)',
    });
  });
});

describe('determinism and the delivery seam', () => {
  const rules = account(
    rule([
      { action: 'forward', to: ['c@example.org'] },
      { action: 'vacation', text: 'Away', days: 2 },
    ]),
  );

  it('the same input gives the same plan, byte for byte', () => {
    expect(evaluate(rules)).toEqual(evaluate(rules));
  });

  it('ids derive from the delivery id', () => {
    const a = evaluate(rules);
    const b = evaluate(rules, view(), { ...ctx, deliveryId: 'OTHER' });
    expect(a.messages[0]!.idSeed).toBe(`${ctx.deliveryId}|alice@example.com|account:0:0`);
    expect(b.messages[0]!.idSeed).toBe('OTHER|alice@example.com|account:0:0');
    const messageId = (head: string) => /^Message-ID: (.*)$/m.exec(head)?.[1];
    expect(messageId(a.messages[0]!.head)).not.toBe(messageId(b.messages[0]!.head));
    expect(messageId(a.messages[0]!.head)).toMatch(/^<[0-9a-f]{24}\.rule@example\.com>$/);
  });

  it('filingDecisionOf summarises where the plan files the message', () => {
    const plan = evaluate(
      account(
        rule([
          { action: 'store', folder: 'Junk' },
          { action: 'mark', flags: ['Seen'] },
        ]),
      ),
    );
    const decision = filingDecisionOf(plan);
    expect(decision).toEqual({ folders: ['Junk'], flags: ['\\Seen'] });
  });
});
