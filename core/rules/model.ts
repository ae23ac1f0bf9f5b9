/**
 * The rules model: a rule set is a JSON array of `{ name, priority, conditions, actions }`, stored
 * per cluster, per domain and per account, validated here with zod. `validateRuleSet` never
 * throws: it returns the typed rules or EVERY problem, each naming the rule by its array index
 * (0-based, like the paths) and name plus the field, e.g.
 * `rule 2 ("vacation"): actions[0].days: expected a positive integer`, so a CLI can print them all.
 */
import { z } from 'zod';
import { parseAddress } from '../mail/address.ts';
import { checkConditionShape } from './condition-shapes.ts';
import { byRuleIndex, crossRuleProblems, formatIssue, zodErrorMap } from './problems.ts';
import { normalizeFlag, parseDateValue } from './values.ts';

/** Which rule set a rule belongs to; cluster rules run at enqueue, domain then account rules at delivery. */
export type RuleScope = 'cluster' | 'domain' | 'account';

/** Higher runs first: 'highest' > 9 > … > 1; 'inactive' never runs. */
export type Priority = 'inactive' | 'highest' | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export const ADDRESS_FIELDS = [
  'From',
  'Sender',
  'Return-Path',
  'To',
  'Cc',
  'Any To or Cc',
  'Any Recipient',
] as const;
export const CONDITION_FIELDS = [
  ...ADDRESS_FIELDS,
  'Subject',
  'Header Field',
  'Message Size',
  'Human Generated',
  'Source',
  'Current Date',
  'Time Of Day',
  'Current Day',
  // The cluster's verdicts from its own Authentication-Results (auth-results.ts).
  'SPF',
  'DKIM',
  'DMARC',
  'ARC',
  // The content filter's verdict from the cluster's own X-Spam-* fields (spam-results.ts).
  'Spam Score',
  'Filter Action',
] as const;
export type ConditionField = (typeof CONDITION_FIELDS)[number];
export type AddressField = (typeof ADDRESS_FIELDS)[number];

export const CONDITION_OPS = ['is', 'is not', 'in', 'not in', 'greater than', 'less than'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/**
 * One test on the message. `value` is a pattern string for is/is not, a list of patterns for
 * in/not in, a size/date/time for greater than/less than, a boolean for Human Generated.
 * `header` names the field for 'Header Field' only.
 */
export interface Condition {
  readonly field: ConditionField;
  readonly op: ConditionOp;
  readonly value: string | number | boolean | readonly string[];
  readonly header?: string;
}

export type Action =
  | { readonly action: 'store'; readonly folder: string }
  | { readonly action: 'mark'; readonly flags: readonly string[] }
  | { readonly action: 'add header'; readonly header: string; readonly value: string }
  | { readonly action: 'tag subject'; readonly tag: string }
  | { readonly action: 'redirect'; readonly to: readonly string[] }
  | { readonly action: 'forward'; readonly to: readonly string[] }
  | { readonly action: 'mirror'; readonly to: readonly string[] }
  | { readonly action: 'reply'; readonly subject?: string; readonly text: string }
  | {
      readonly action: 'vacation';
      readonly subject?: string;
      readonly text: string;
      readonly days: number;
      readonly from?: string;
      readonly until?: string;
    }
  | { readonly action: 'reject'; readonly text: string }
  | { readonly action: 'discard' }
  | { readonly action: 'stop' };

export type ActionName = Action['action'];

export interface Rule {
  readonly name: string;
  readonly priority: Priority;
  /** All must match; empty matches every message. */
  readonly conditions: readonly Condition[];
  readonly actions: readonly Action[];
}

/** Actions that need an account: not allowed in cluster rules (they run before one is known). */
export const ACCOUNT_ONLY_ACTIONS: readonly ActionName[] = ['store', 'mark', 'vacation'];

/** Header names a rule may not add: trace and MIME structure fields. */
const PROTECTED_HEADERS = [
  'received',
  'authentication-results',
  'return-path',
  'x-strato-loop',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

const oneLine = (max: number) =>
  z
    .string()
    .min(1, { error: 'expected a non-empty string' })
    .max(max, { error: `expected at most ${max} characters` })
    .refine((s) => !/[\r\n]/.test(s), { error: 'expected one line (no line breaks)' });
const text = z
  .string()
  .min(1, { error: 'expected a non-empty string' })
  .max(64 * 1024, { error: 'expected at most 65536 characters' });
const address = z.string().refine((s) => parseAddress(s).ok, {
  error: (iss) => {
    const parsed = parseAddress(String(iss.input));
    return `expected an e-mail address (${parsed.ok ? 'bad address' : parsed.reason})`;
  },
});
const addresses = z
  .array(address)
  .min(1, { error: 'expected at least one address' })
  .max(100, { error: 'expected at most 100 addresses' });
const date = z
  .string()
  .refine((s) => parseDateValue(s) !== undefined, { error: 'expected a date YYYY-MM-DD' });

const actionSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({
      action: z.literal('store'),
      folder: oneLine(255).refine((s) => !/\p{Cc}/u.test(s) && s.trim() === s, {
        error: 'expected a folder name without control characters or surrounding spaces',
      }),
    }),
    z.strictObject({
      action: z.literal('mark'),
      flags: z
        .array(
          z.string().refine((f) => normalizeFlag(f) !== undefined, {
            error: 'expected Seen, Flagged, Answered, Deleted, Draft, Junk, NotJunk or a $Keyword',
          }),
        )
        .min(1, { error: 'expected at least one flag' }),
    }),
    z.strictObject({
      action: z.literal('add header'),
      header: z
        .string()
        .regex(/^[!-9;-~]{1,76}$/, {
          error: 'expected a header name such as X-Filtered (no spaces or colon)',
        })
        .refine((h) => !PROTECTED_HEADERS.includes(h.toLowerCase()), {
          error: 'this header is kept by the system and cannot be added by a rule',
        }),
      value: z
        .string()
        .max(900, { error: 'expected at most 900 characters' })
        .refine((s) => !/[\r\n]/.test(s), { error: 'expected one line (no line breaks)' }),
    }),
    z.strictObject({ action: z.literal('tag subject'), tag: oneLine(100) }),
    z.strictObject({ action: z.literal('redirect'), to: addresses }),
    z.strictObject({ action: z.literal('forward'), to: addresses }),
    z.strictObject({ action: z.literal('mirror'), to: addresses }),
    z.strictObject({ action: z.literal('reply'), subject: oneLine(200).optional(), text }),
    z
      .strictObject({
        action: z.literal('vacation'),
        subject: oneLine(200).optional(),
        text,
        days: z
          .number({ error: 'expected a positive integer' })
          .int()
          .positive()
          .max(365, { error: 'expected at most 365 days' }),
        from: date.optional(),
        until: date.optional(),
      })
      .superRefine((v, ctx) => {
        if (v.from && v.until && v.until < v.from)
          ctx.addIssue({ code: 'custom', path: ['until'], message: `is before from (${v.from})` });
      }),
    z.strictObject({
      action: z.literal('reject'),
      text: oneLine(300).refine((s) => /^[\x20-\x7e]+$/.test(s), {
        error: 'expected printable ASCII text (it becomes an SMTP reply)',
      }),
    }),
    z.strictObject({ action: z.literal('discard') }),
    z.strictObject({ action: z.literal('stop') }),
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'expected one of store, mark, add header, tag subject, redirect, forward, mirror, reply, ' +
          'vacation, reject, discard, stop'
        : undefined,
  },
);

const conditionSchema = z
  .strictObject({
    field: z.enum(CONDITION_FIELDS, { error: `expected one of ${CONDITION_FIELDS.join(', ')}` }),
    op: z.enum(CONDITION_OPS, { error: `expected one of ${CONDITION_OPS.join(', ')}` }),
    value: z.any(),
    header: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    for (const problem of checkConditionShape(c)) {
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }
  });

const prioritySchema = z.custom<Priority>(
  (v) =>
    v === 'inactive' || v === 'highest' || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 9),
  { error: 'expected "inactive", an integer 1..9 or "highest"' },
);

const ruleSchema = z.strictObject({
  name: oneLine(100),
  priority: prioritySchema,
  conditions: z.array(conditionSchema).default([]),
  actions: z.array(actionSchema).min(1, { error: 'expected at least one action' }),
});

const ruleSetSchema = z.array(ruleSchema, { error: 'expected an array of rules' });

export type RuleSetValidation =
  | { readonly ok: true; readonly rules: readonly Rule[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Validate a parsed JSON document as a rule set for `scope` (default: account/domain rules). */
export function validateRuleSet(input: unknown, opts: { scope?: RuleScope } = {}): RuleSetValidation {
  const result = ruleSetSchema.safeParse(input, { error: zodErrorMap });
  const problems = result.success ? [] : result.error.issues.map((i) => formatIssue(input, i));
  problems.push(...crossRuleProblems(input, opts.scope === 'cluster' ? ACCOUNT_ONLY_ACTIONS : []));
  if (problems.length > 0 || !result.success) return { ok: false, problems: byRuleIndex(problems) };
  return { ok: true, rules: result.data as Rule[] };
}

/** Validate rule-set JSON text (a CLI's file argument); a syntax error is one problem. */
export function parseRuleSetJson(textInput: string, opts: { scope?: RuleScope } = {}): RuleSetValidation {
  let input: unknown;
  try {
    input = JSON.parse(textInput);
  } catch (err) {
    return { ok: false, problems: [`rule set: not valid JSON: ${(err as Error).message}`] };
  }
  return validateRuleSet(input, opts);
}

/** Thrown by `requireValidRuleSet` for stored data that no longer validates. */
export class RuleSetError extends Error {
  override readonly name = 'RuleSetError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid rule set: ${problems.join('; ')}`);
  }
}

/** The typed rules, or RuleSetError listing every problem (for reading stored rule sets). */
export function requireValidRuleSet(input: unknown, opts: { scope?: RuleScope } = {}): readonly Rule[] {
  const result = validateRuleSet(input, opts);
  if (!result.ok) throw new RuleSetError(result.problems);
  return result.rules;
}

function rank(priority: Priority): number {
  return priority === 'highest' ? 10 : priority === 'inactive' ? 0 : priority;
}

/** Active rules, highest priority first; equal priorities keep their order in the set. */
export function rulesInRunOrder(rules: readonly Rule[]): { readonly rule: Rule; readonly index: number }[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.priority !== 'inactive')
    .sort((a, b) => rank(b.rule.priority) - rank(a.rule.priority) || a.index - b.index);
}
