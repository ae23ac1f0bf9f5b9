import { describe, expect, it } from 'vitest';
import {
  parseRuleSetJson,
  type Rule,
  RuleSetError,
  requireValidRuleSet,
  rulesInRunOrder,
  validateRuleSet,
} from './model.ts';

/** The README's examples: they must stay valid. */
const EXAMPLE_ACCOUNT_RULES = [
  {
    name: 'Spam to Junk',
    priority: 'highest',
    conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
    actions: [
      { action: 'store', folder: 'Junk' },
      { action: 'mark', flags: ['Seen', 'Junk'] },
      { action: 'stop' },
    ],
  },
  {
    name: 'Vacation',
    priority: 5,
    conditions: [{ field: 'Human Generated', op: 'is', value: true }],
    actions: [
      {
        action: 'vacation',
        subject: 'Out of office',
        text: 'I am away until 14 April and will answer when I am back.',
        days: 7,
        from: '2025-04-01',
        until: '2025-04-14',
      },
    ],
  },
  {
    name: 'Invoices to accounting',
    priority: 3,
    conditions: [
      { field: 'From', op: 'in', value: ['*@billing.example.net', 'invoices@*'] },
      { field: 'Message Size', op: 'less than', value: '10M' },
    ],
    actions: [
      { action: 'mirror', to: ['books@example.com'] },
      { action: 'tag subject', tag: '[invoice]' },
      { action: 'store', folder: 'Invoices' },
    ],
  },
];

const EXAMPLE_DOMAIN_RULES = [
  {
    name: 'Tag external mail',
    priority: 5,
    conditions: [
      { field: 'Return-Path', op: 'not in', value: ['*@example.com', '*@*.example.com'] },
      { field: 'Source', op: 'is', value: 'SMTP' },
    ],
    actions: [
      { action: 'add header', header: 'X-Strato-External', value: 'yes' },
      { action: 'tag subject', tag: '[EXT]' },
    ],
  },
];

const EXAMPLE_CLUSTER_RULES = [
  {
    name: 'Legal hold',
    priority: 'highest',
    conditions: [{ field: 'Any Recipient', op: 'in', value: ['ceo@example.com', 'cfo@example.com'] }],
    actions: [{ action: 'mirror', to: ['legal-archive@example.com'] }],
  },
  {
    name: 'Retired address',
    priority: 9,
    conditions: [{ field: 'Any Recipient', op: 'is', value: 'sales-old@example.com' }],
    actions: [{ action: 'redirect', to: ['sales@example.com'] }, { action: 'stop' }],
  },
];

describe('validateRuleSet accepts valid rule sets', () => {
  it('accepts the README domain and cluster examples in their scopes', () => {
    expect(validateRuleSet(EXAMPLE_DOMAIN_RULES, { scope: 'domain' }).ok).toBe(true);
    expect(validateRuleSet(EXAMPLE_CLUSTER_RULES, { scope: 'cluster' }).ok).toBe(true);
  });

  it('returns the typed rules of the README examples', () => {
    const result = validateRuleSet(EXAMPLE_ACCOUNT_RULES);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rules.map((r) => r.name)).toEqual(['Spam to Junk', 'Vacation', 'Invoices to accounting']);
    expect(result.rules[1]!.actions[0]).toEqual(EXAMPLE_ACCOUNT_RULES[1]!.actions[0]);
  });

  it('treats a missing condition list as empty (matches everything)', () => {
    const result = validateRuleSet([{ name: 'all', priority: 1, actions: [{ action: 'stop' }] }]);
    expect(result).toEqual({
      ok: true,
      rules: [{ name: 'all', priority: 1, conditions: [], actions: [{ action: 'stop' }] }],
    });
  });

  it('accepts every action and condition form', () => {
    const rules = [
      {
        name: 'everything',
        priority: 9,
        conditions: [
          { field: 'Return-Path', op: 'is not', value: '*' },
          { field: 'Any Recipient', op: 'not in', value: ['a@b.example'] },
          { field: 'Source', op: 'in', value: ['SMTP', 'submit'] },
          { field: 'Current Date', op: 'greater than', value: '2025-01-01' },
          { field: 'Current Date', op: 'is', value: '2025-12-*' },
          { field: 'Time Of Day', op: 'less than', value: '18:30' },
          { field: 'Current Day', op: 'in', value: ['Sat', 'sun'] },
          { field: 'Message Size', op: 'greater than', value: 1024 },
        ],
        actions: [
          { action: 'add header', header: 'X-Filtered', value: 'yes' },
          { action: 'redirect', to: ['a@example.com'] },
          { action: 'forward', to: ['b@example.com', 'c@example.org'] },
          { action: 'reply', text: 'Thanks' },
          { action: 'reject', text: 'Not accepted here' },
          { action: 'discard' },
          { action: 'mark', flags: ['\\Flagged', '$Label1', 'read'] },
        ],
      },
    ];
    expect(validateRuleSet(rules).ok).toBe(true);
  });
});

describe('validateRuleSet names the rule and the field of every problem', () => {
  const base = { name: 'r', priority: 5, conditions: [], actions: [{ action: 'stop' }] };
  const withAction = (action: unknown) => [
    { ...base, name: 'r0' },
    { ...base, name: 'r1' },
    { ...base, name: 'vacation', actions: [action] },
  ];

  it.each<[string, unknown, string[]]>([
    [
      'vacation days not a positive integer',
      withAction({ action: 'vacation', text: 'away', days: 0 }),
      ['rule 2 ("vacation"): actions[0].days: expected a positive integer'],
    ],
    [
      'vacation days as text',
      withAction({ action: 'vacation', text: 'away', days: '7' }),
      ['rule 2 ("vacation"): actions[0].days: expected a positive integer'],
    ],
    [
      'vacation days over a year',
      withAction({ action: 'vacation', text: 'away', days: 400 }),
      ['rule 2 ("vacation"): actions[0].days: expected at most 365 days'],
    ],
    [
      'vacation window backwards',
      withAction({ action: 'vacation', text: 'away', days: 3, from: '2025-04-10', until: '2025-04-01' }),
      ['rule 2 ("vacation"): actions[0].until: is before from (2025-04-10)'],
    ],
    [
      'an impossible date',
      withAction({ action: 'vacation', text: 'away', days: 3, from: '2025-02-30' }),
      ['rule 2 ("vacation"): actions[0].from: expected a date YYYY-MM-DD'],
    ],
    [
      'an unknown action',
      withAction({ action: 'delete' }),
      [
        'rule 2 ("vacation"): actions[0].action: expected one of store, mark, add header, tag subject, ' +
          'redirect, forward, mirror, reply, vacation, reject, discard, stop',
      ],
    ],
    [
      'a bad redirect address',
      withAction({ action: 'redirect', to: ['ok@example.com', 'not-an-address'] }),
      ['rule 2 ("vacation"): actions[0].to[1]: expected an e-mail address (address must be local@domain)'],
    ],
    [
      'an empty redirect list',
      withAction({ action: 'redirect', to: [] }),
      ['rule 2 ("vacation"): actions[0].to: expected at least one address'],
    ],
    [
      'a missing folder',
      withAction({ action: 'store' }),
      ['rule 2 ("vacation"): actions[0].folder: required'],
    ],
    [
      'an unknown flag',
      withAction({ action: 'mark', flags: ['Seen', 'Sparkly'] }),
      [
        'rule 2 ("vacation"): actions[0].flags[1]: expected Seen, Flagged, Answered, Deleted, Draft, Junk, ' +
          'NotJunk or a $Keyword',
      ],
    ],
    [
      'a protected header',
      withAction({ action: 'add header', header: 'Received', value: 'x' }),
      [
        'rule 2 ("vacation"): actions[0].header: this header is kept by the system and cannot be added by a rule',
      ],
    ],
    [
      'a header value with a line break',
      withAction({ action: 'add header', header: 'X-A', value: 'a\r\nBcc: x@y.example' }),
      ['rule 2 ("vacation"): actions[0].value: expected one line (no line breaks)'],
    ],
    [
      'a reject text that is not ASCII',
      withAction({ action: 'reject', text: 'nein danke, Müll' }),
      ['rule 2 ("vacation"): actions[0].text: expected printable ASCII text (it becomes an SMTP reply)'],
    ],
    [
      'a misspelt key',
      withAction({ action: 'reply', text: 'x', subjet: 'y' }),
      ['rule 2 ("vacation"): actions[0]: unknown key "subjet"'],
    ],
  ])('%s', (_, input, problems) => {
    expect(validateRuleSet(input)).toEqual({ ok: false, problems });
  });

  const cond = (condition: unknown) => [{ ...base, name: 'c', conditions: [condition] }];
  it.each<[string, unknown, string]>([
    [
      'an unknown field',
      { field: 'Colour', op: 'is', value: 'x' },
      'conditions[0].field: expected one of From, ',
    ],
    [
      'an operator the field does not take',
      { field: 'Subject', op: 'greater than', value: 'x' },
      'conditions[0].op: "greater than" does not apply to Subject; use is, is not, in, not in',
    ],
    [
      'size with is',
      { field: 'Message Size', op: 'is', value: '1M' },
      'conditions[0].op: "is" does not apply to Message Size; use greater than, less than',
    ],
    [
      'a bad size',
      { field: 'Message Size', op: 'greater than', value: '10 parsecs' },
      'conditions[0].value: expected a size such as 10M, 512K or 1048576',
    ],
    [
      'a bad time',
      { field: 'Time Of Day', op: 'less than', value: '25:00' },
      'conditions[0].value: expected a time HH:MM (00:00..23:59)',
    ],
    [
      'a bad day in a list',
      { field: 'Current Day', op: 'in', value: ['Mon', 'Funday'] },
      'conditions[0].value[1]: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun',
    ],
    [
      'a bad source',
      { field: 'Source', op: 'is', value: 'HTTP' },
      'conditions[0].value: expected SMTP, SUBMIT, RULE, DSN, CLI',
    ],
    [
      'a list for is',
      { field: 'From', op: 'is', value: ['a', 'b'] },
      'conditions[0].value: expected a single value for "is" (use "in" for a list)',
    ],
    [
      'a string for in',
      { field: 'From', op: 'in', value: 'a' },
      'conditions[0].value: expected a non-empty list for "in"',
    ],
    [
      'Header Field without a header name',
      { field: 'Header Field', op: 'is', value: 'x' },
      'conditions[0].header: expected a header name such as X-Spam',
    ],
    [
      'a header name on another field',
      { field: 'Subject', header: 'X', op: 'is', value: 'x' },
      'conditions[0].header: only used with field "Header Field"',
    ],
    [
      'Human Generated with a string',
      { field: 'Human Generated', op: 'is', value: 'yes' },
      'conditions[0].value: expected true or false',
    ],
    ['a missing value', { field: 'Subject', op: 'is' }, 'conditions[0].value: required'],
  ])('%s', (_, condition, problem) => {
    const result = validateRuleSet(cond(condition));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain(`rule 0 ("c"): ${problem}`);
  });

  it('returns every problem of a document at once, in rule order', () => {
    const result = validateRuleSet([
      { name: 'a', priority: 11, actions: [] },
      7,
      { priority: 'sometimes', actions: [{ action: 'stop' }], colour: 'red' },
      { name: 'a', priority: 1, actions: [{ action: 'stop' }] },
    ]);
    expect(result).toEqual({
      ok: false,
      problems: [
        'rule 0 ("a"): priority: expected "inactive", an integer 1..9 or "highest"',
        'rule 0 ("a"): actions: expected at least one action',
        'rule 1 (unnamed): expected an object',
        'rule 2 (unnamed): name: required',
        'rule 2 (unnamed): priority: expected "inactive", an integer 1..9 or "highest"',
        'rule 2 (unnamed): unknown key "colour"',
        'rule 3 ("a"): name: rule 0 already has this name',
      ],
    });
  });

  it('rejects a document that is not an array', () => {
    expect(validateRuleSet({ name: 'x' })).toEqual({
      ok: false,
      problems: ['rule set: expected an array of rules'],
    });
  });

  it('refuses account-only actions in cluster rules', () => {
    const rules = [
      {
        name: 'archive',
        priority: 5,
        actions: [
          { action: 'mirror', to: ['archive@example.com'] },
          { action: 'store', folder: 'X' },
        ],
      },
    ];
    expect(validateRuleSet(rules).ok).toBe(true);
    expect(validateRuleSet(rules, { scope: 'cluster' })).toEqual({
      ok: false,
      problems: [
        'rule 0 ("archive"): actions[1].action: "store" needs an account and is not available in cluster rules',
      ],
    });
  });
});

describe('parseRuleSetJson and requireValidRuleSet', () => {
  it('reports a JSON syntax error as one problem', () => {
    const result = parseRuleSetJson('[{"name": "x",}]');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^rule set: not valid JSON: /);
  });

  it('parses and validates JSON text', () => {
    const result = parseRuleSetJson(JSON.stringify(EXAMPLE_ACCOUNT_RULES));
    expect(result.ok && result.rules.length).toBe(3);
  });

  it('throws RuleSetError carrying the problems', () => {
    expect(() => requireValidRuleSet([{ name: 'x', priority: 0, actions: [{ action: 'stop' }] }])).toThrow(
      RuleSetError,
    );
    try {
      requireValidRuleSet([{ name: 'x', priority: 0, actions: [{ action: 'stop' }] }]);
    } catch (err) {
      expect((err as RuleSetError).problems).toEqual([
        'rule 0 ("x"): priority: expected "inactive", an integer 1..9 or "highest"',
      ]);
    }
  });
});

describe('rulesInRunOrder', () => {
  const rule = (name: string, priority: Rule['priority']): Rule => ({
    name,
    priority,
    conditions: [],
    actions: [{ action: 'stop' }],
  });

  it('runs highest first, then 9..1, keeps set order for equal priorities, and skips inactive', () => {
    const rules = [
      rule('low', 1),
      rule('five-a', 5),
      rule('off', 'inactive'),
      rule('top', 'highest'),
      rule('nine', 9),
      rule('five-b', 5),
    ];
    expect(rulesInRunOrder(rules).map(({ rule: r, index }) => `${index}:${r.name}`)).toEqual([
      '3:top',
      '4:nine',
      '1:five-a',
      '5:five-b',
      '0:low',
    ]);
  });
});
