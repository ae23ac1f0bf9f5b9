import { describe, expect, it } from 'vitest';
import {
  type AutoReplyMemory,
  buildAutoReply,
  finalizeAutoReplies,
  inVacationWindow,
  replySubject,
  whyNoAutoReply,
} from './auto-reply.ts';
import { evaluateRules } from './evaluate.ts';
import { parseHeaderBlock } from './headers.ts';
import type { Rule } from './model.ts';
import type { EvaluationContext, MessageView } from './plan.ts';

const BASE =
  'From: Bob <bob@example.net>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\nMessage-ID: <lunch-1@example.net>\r\n';

function view(extra = '', mailFrom = 'bob@example.net', base = BASE): MessageView {
  return {
    mailFrom,
    recipients: ['alice@example.com'],
    source: 'SMTP',
    headers: parseHeaderBlock(extra + base),
    size: 500,
  };
}

const ctx: EvaluationContext = {
  owner: 'alice@example.com',
  ownerName: 'Alice Liddell',
  now: new Date('2025-03-03T09:15:07Z'),
  utcOffsetMinutes: 60,
  deliveryId: 'D1',
};

describe('RFC 3834: when not to reply', () => {
  it.each<[string, MessageView, string]>([
    ['a null sender', view('', ''), 'the envelope sender is <> (a bounce or notification)'],
    [
      'Auto-Submitted: auto-generated',
      view('Auto-Submitted: auto-generated\r\n'),
      'Auto-Submitted: auto-generated',
    ],
    [
      'Auto-Submitted: auto-replied',
      view('Auto-Submitted: Auto-Replied\r\n'),
      'Auto-Submitted: auto-replied',
    ],
    [
      'Auto-Submitted with a parameter',
      view('Auto-Submitted: auto-notified; owner-email="x@y"\r\n'),
      'Auto-Submitted: auto-notified',
    ],
    ['Precedence: bulk', view('Precedence: bulk\r\n'), 'Precedence: bulk'],
    ['Precedence: list', view('Precedence: LIST\r\n'), 'Precedence: list'],
    ['Precedence: junk', view('Precedence: junk\r\n'), 'Precedence: junk'],
    ['List-Id', view('List-Id: Lunch <lunch.example.net>\r\n'), 'List-Id header (mailing list)'],
    [
      'List-Unsubscribe',
      view('List-Unsubscribe: <mailto:u@example.net>\r\n'),
      'List-Unsubscribe header (mailing list)',
    ],
    [
      'a noreply sender',
      view('', 'noreply@example.net'),
      'the envelope sender noreply@example.net is a role or list address',
    ],
    [
      'a no-reply sender',
      view('', 'No-Reply@example.net'),
      'the envelope sender No-Reply@example.net is a role or list address',
    ],
    [
      'a do-not-reply sender',
      view('', 'do-not-reply@example.net'),
      'the envelope sender do-not-reply@example.net is a role or list address',
    ],
    [
      'MAILER-DAEMON',
      view('', 'MAILER-DAEMON@example.net'),
      'the envelope sender MAILER-DAEMON@example.net is a role or list address',
    ],
    [
      'postmaster',
      view('', 'postmaster@example.net'),
      'the envelope sender postmaster@example.net is a role or list address',
    ],
    [
      'owner-*',
      view('', 'owner-lunch@example.net'),
      'the envelope sender owner-lunch@example.net is a role or list address',
    ],
    [
      '*-request',
      view('', 'lunch-request@example.net'),
      'the envelope sender lunch-request@example.net is a role or list address',
    ],
    [
      'a tagged noreply',
      view('', 'noreply+123@example.net'),
      'the envelope sender noreply+123@example.net is a role or list address',
    ],
    [
      'a no-reply From behind a normal envelope',
      view('', 'bounces@esp.example', BASE.replace('Bob <bob@example.net>', 'Shop <no-reply@shop.example>')),
      'the From address no-reply@shop.example is a role or list address',
    ],
    ['the account itself', view('', 'Alice@Example.com'), 'the sender is the account itself'],
    [
      'our own loop mark',
      view('X-Strato-Loop: alice@example.com\r\n'),
      'the message carries X-Strato-Loop: alice@example.com',
    ],
  ])('%s', (_, v, reason) => {
    expect(whyNoAutoReply(v, ctx.owner)).toBe(reason);
  });

  it.each<[string, MessageView]>([
    ['an ordinary message', view()],
    ['Auto-Submitted: no', view('Auto-Submitted: no\r\n')],
    ['Precedence: first-class', view('Precedence: first-class\r\n')],
    ['a sender whose name only contains a role word', view('', 'norepl@example.net')],
  ])('replies to %s', (_, v) => {
    expect(whyNoAutoReply(v, ctx.owner)).toBeUndefined();
  });
});

describe('RFC 3834 §2: only mail naming the account in To or Cc', () => {
  const noTo = BASE.replace('To: alice@example.com\r\n', 'To: team@example.net\r\n');
  it('does not answer a message that reached the account by Bcc', () => {
    expect(whyNoAutoReply(view('', 'bob@example.net', noTo), ctx.owner)).toBe(
      'the account is not named in To or Cc (RFC 3834 §2)',
    );
  });
  it('answers when the account is in Cc, or To/Cc names one of its aliases', () => {
    expect(
      whyNoAutoReply(view('Cc: Alice <ALICE@example.com>\r\n', 'bob@example.net', noTo), ctx.owner),
    ).toBe(undefined);
    const viaAlias = view('Cc: al@example.com\r\n', 'bob@example.net', noTo);
    expect(whyNoAutoReply(viaAlias, ctx.owner)).toBeDefined();
    expect(whyNoAutoReply(viaAlias, ctx.owner, ['al@example.com'])).toBeUndefined();
    // The envelope recipient the account received the message as counts as one of its names.
    expect(whyNoAutoReply({ ...viaAlias, recipients: ['al@example.com'] }, ctx.owner)).toBeUndefined();
  });
  it('leaves a Bcc copy without a vacation reply in the plan, with the reason', () => {
    const rules: Rule[] = [
      { name: 'V', priority: 5, conditions: [], actions: [{ action: 'vacation', text: 'Away', days: 7 }] },
    ];
    const bcc = evaluateRules([{ scope: 'account', rules }], view('', 'bob@example.net', noTo), ctx);
    expect(bcc.autoReplies).toHaveLength(0);
    const cc = evaluateRules(
      [{ scope: 'account', rules }],
      view('Cc: alice@example.com\r\n', 'bob@example.net', noTo),
      ctx,
    );
    expect(cc.autoReplies).toHaveLength(1);
  });
});

describe('the reply message', () => {
  it('is addressed to the envelope sender from the account, auto-replied, threaded', () => {
    const v = view('References: <a@x> <b@x>\r\n');
    const reply = buildAutoReply(
      { kind: 'reply', rule: 'Thanks', idSeed: 'seed-1', text: 'Thanks, noted.' },
      v,
      ctx,
    );
    expect(reply).toMatchObject({
      kind: 'reply',
      rule: 'Thanks',
      mailFrom: '',
      recipients: ['bob@example.net'],
      includesOriginal: false,
      tail: '',
      idSeed: 'seed-1',
    });
    const [head, body] = reply.head.split('\r\n\r\n');
    expect(head!.split('\r\n')).toEqual([
      'From: "Alice Liddell" <alice@example.com>',
      'To: <bob@example.net>',
      'Subject: Re: Lunch?',
      'Date: Mon, 3 Mar 2025 10:15:07 +0100',
      expect.stringMatching(/^Message-ID: <[0-9a-f]{24}\.rule@example\.com>$/),
      'In-Reply-To: <lunch-1@example.net>',
      'References: <a@x> <b@x> <lunch-1@example.net>',
      'Auto-Submitted: auto-replied',
      'X-Strato-Loop: alice@example.com',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
    ]);
    expect(body).toBe('Thanks, noted.\r\n');
  });

  it('uses the given subject, and encodes non-ASCII subject and body', () => {
    const reply = buildAutoReply(
      { kind: 'vacation', rule: 'V', idSeed: 's', subject: 'Abwesend – zurück am 14.', text: 'Grüße\nAlice' },
      view(),
      ctx,
    );
    expect(reply.head).toContain('Subject: =?UTF-8?B?QWJ3ZXNlbmQg4oCTIHp1csO8Y2sgYW0gMTQu?=\r\n');
    expect(reply.head).toContain(
      'Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\nAlice\r\n',
    );
  });

  it('has no In-Reply-To when the original has no Message-ID', () => {
    const reply = buildAutoReply(
      { kind: 'reply', rule: 'R', idSeed: 's', text: 'x' },
      view('', 'bob@example.net', 'From: bob@example.net\r\nSubject: hi\r\n'),
      ctx,
    );
    expect(reply.head).not.toContain('In-Reply-To');
    expect(reply.head).not.toContain('References');
  });

  it.each([
    ['Subject: Lunch?\r\n', 'Re: Lunch?'],
    ['Subject: RE: Lunch?\r\n', 'RE: Lunch?'],
    ['Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n', 'Re: Grüße'],
    ['X-Other: 1\r\n', 'Re: (no subject)'],
  ])('subject of a reply to %o is %o', (headers, subject) => {
    expect(replySubject(parseHeaderBlock(headers))).toBe(subject);
  });
});

describe('vacation: window and claims', () => {
  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['2025-04-01', '2025-04-01', '2025-04-14', true],
    ['2025-04-14', '2025-04-01', '2025-04-14', true],
    ['2025-03-31', '2025-04-01', '2025-04-14', false],
    ['2025-04-15', '2025-04-01', '2025-04-14', false],
    ['2030-01-01', '2025-04-01', undefined, true],
    ['2000-01-01', undefined, '2025-04-14', true],
  ])('%s in [%s, %s] → %s', (date, from, until, inside) => {
    expect(inVacationWindow(date, from, until)).toBe(inside);
  });

  /** The memory a Directory/DynamoDB adapter would provide, on a movable clock. */
  class InMemoryAutoReplyMemory implements AutoReplyMemory {
    now = 0;
    readonly calls: string[] = [];
    private readonly lastSent = new Map<string, number>();
    async claim(account: string, sender: string, periodMs: number): Promise<boolean> {
      this.calls.push(`${account}→${sender}`);
      const key = `${account}\u0000${sender}`;
      const last = this.lastSent.get(key);
      if (last !== undefined && this.now - last < periodMs) return false;
      this.lastSent.set(key, this.now);
      return true;
    }
  }

  const rules: Rule[] = [
    {
      name: 'Vacation',
      priority: 5,
      conditions: [],
      actions: [{ action: 'vacation', text: 'Away', days: 7 }],
    },
  ];
  const planFor = (sender: string) => evaluateRules([{ scope: 'account', rules }], view('', sender), ctx);
  const DAY = 86_400_000;

  it('answers a sender once per period, then again after it', async () => {
    const memory = new InMemoryAutoReplyMemory();
    const first = await finalizeAutoReplies(planFor('bob@example.net'), memory);
    expect(first.messages.map((m) => m.recipients)).toEqual([['bob@example.net']]);
    expect(first.skipped).toEqual([]);

    memory.now = 6 * DAY;
    const second = await finalizeAutoReplies(planFor('bob@example.net'), memory);
    expect(second.messages).toEqual([]);
    expect(second.skipped.map((s) => s.reason)).toEqual([
      'bob@example.net was already answered within 7 day(s)',
    ]);

    const other = await finalizeAutoReplies(planFor('carol@example.org'), memory);
    expect(other.messages.map((m) => m.recipients)).toEqual([['carol@example.org']]);

    memory.now = 7 * DAY;
    const later = await finalizeAutoReplies(planFor('bob@example.net'), memory);
    expect(later.messages).toHaveLength(1);
    expect(memory.calls).toEqual([
      'alice@example.com→bob@example.net',
      'alice@example.com→bob@example.net',
      'alice@example.com→carol@example.org',
      'alice@example.com→bob@example.net',
    ]);
  });

  it('claims with the lower-cased envelope sender', async () => {
    const memory = new InMemoryAutoReplyMemory();
    await finalizeAutoReplies(planFor('Bob@Example.NET'), memory);
    expect(memory.calls).toEqual(['alice@example.com→bob@example.net']);
  });

  it('plain replies pass without consulting the memory', async () => {
    const memory = new InMemoryAutoReplyMemory();
    const replyRules: Rule[] = [
      { name: 'Ack', priority: 5, conditions: [], actions: [{ action: 'reply', text: 'ok' }] },
    ];
    const plan = evaluateRules([{ scope: 'account', rules: replyRules }], view(), ctx);
    const result = await finalizeAutoReplies(plan, memory);
    expect(result.messages.map((m) => m.kind)).toEqual(['reply']);
    expect(memory.calls).toEqual([]);
  });

  it('a failing memory rejects', async () => {
    const broken: AutoReplyMemory = { claim: async () => Promise.reject(new Error('table unavailable')) };
    await expect(finalizeAutoReplies(planFor('bob@example.net'), broken)).rejects.toThrow(
      'table unavailable',
    );
  });
});
