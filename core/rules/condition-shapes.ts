/**
 * Which operators and values each condition field takes (the part of validation zod's shapes
 * cannot say): text and address fields take patterns, Message Size takes sizes, the calendar
 * fields take dates, times and days, Human Generated a boolean, Source a message source, SPF,
 * DKIM, DMARC and ARC a result word (pass, fail, …), Spam Score a number, Filter Action one of
 * the content filter's actions (or unchecked).
 * Returns every problem as a path inside the condition plus a message; never throws.
 */
import type { MessageSource } from '../mail/message-source.ts';
import { AUTH_RESULT_VALUES } from './auth-results.ts';
import type { ConditionField, ConditionOp } from './model.ts';
import { FILTER_ACTION_VALUES } from './spam-results.ts';
import { parseDateValue, parseSizeValue, parseTimeValue, parseWeekDay } from './values.ts';

export interface ShapeProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const MATCH_OPS: readonly ConditionOp[] = ['is', 'is not', 'in', 'not in'];
const ORDER_OPS: readonly ConditionOp[] = ['greater than', 'less than'];
const SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

/** A Spam Score condition's value (a number, or a string of one); undefined when it is none. */
export function spamScoreValue(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/** The operators each field accepts. */
export function opsForField(field: ConditionField): readonly ConditionOp[] {
  switch (field) {
    case 'Message Size':
    case 'Spam Score':
      return ORDER_OPS;
    case 'Human Generated':
      return ['is', 'is not'];
    case 'Current Date':
    case 'Time Of Day':
      return [...MATCH_OPS, ...ORDER_OPS];
    default:
      return MATCH_OPS;
  }
}

/** A pattern with at least one `*` made only of the characters `allowed` permits. */
const isWildcard = (v: unknown, allowed: RegExp) =>
  typeof v === 'string' && v.includes('*') && allowed.test(v);

/** How one item of a value is checked: undefined when fine, else what was expected. */
function itemCheck(field: ConditionField, ordered: boolean): (item: unknown) => string | undefined {
  switch (field) {
    case 'Message Size':
      return (v) =>
        parseSizeValue(v) === undefined ? 'expected a size such as 10M, 512K or 1048576' : undefined;
    case 'Spam Score':
      return (v) => (spamScoreValue(v) === undefined ? 'expected a score such as 6 or 7.5' : undefined);
    case 'Filter Action':
      return (v) =>
        typeof v === 'string' && (FILTER_ACTION_VALUES as readonly string[]).includes(v.toLowerCase())
          ? undefined
          : `expected ${FILTER_ACTION_VALUES.join(', ')}`;
    case 'Source':
      return (v) =>
        typeof v === 'string' && (SOURCES as readonly string[]).includes(v.toUpperCase())
          ? undefined
          : `expected ${SOURCES.join(', ')}`;
    case 'Current Day':
      return (v) => (parseWeekDay(v) ? undefined : 'expected Mon, Tue, Wed, Thu, Fri, Sat or Sun');
    case 'SPF':
    case 'DKIM':
    case 'DMARC':
    case 'ARC':
      return (v) =>
        typeof v === 'string' && (AUTH_RESULT_VALUES as readonly string[]).includes(v.toLowerCase())
          ? undefined
          : `expected ${AUTH_RESULT_VALUES.join(', ')}`;
    case 'Current Date':
      return ordered
        ? (v) => (parseDateValue(v) ? undefined : 'expected a date YYYY-MM-DD')
        : (v) =>
            parseDateValue(v) || isWildcard(v, /^[\d*-]+$/)
              ? undefined
              : 'expected a date YYYY-MM-DD or a pattern such as 2025-12-*';
    case 'Time Of Day':
      return ordered
        ? (v) => (parseTimeValue(v) === undefined ? 'expected a time HH:MM (00:00..23:59)' : undefined)
        : (v) =>
            parseTimeValue(v) !== undefined || isWildcard(v, /^[\d:*]+$/)
              ? undefined
              : 'expected a time HH:MM or a pattern such as 09:*';
    default:
      return (v) => (typeof v === 'string' ? undefined : 'expected a pattern string');
  }
}

export function checkConditionShape(c: {
  field: ConditionField;
  op: ConditionOp;
  value: unknown;
  header?: string | undefined;
}): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  if (c.field === 'Header Field') {
    if (c.header === undefined || !/^[!-9;-~]{1,76}$/.test(c.header))
      problems.push({ path: ['header'], message: 'expected a header name such as X-Spam' });
  } else if (c.header !== undefined) {
    problems.push({ path: ['header'], message: 'only used with field "Header Field"' });
  }
  const ops = opsForField(c.field);
  if (!ops.includes(c.op)) {
    problems.push({ path: ['op'], message: `"${c.op}" does not apply to ${c.field}; use ${ops.join(', ')}` });
    return problems;
  }
  if (c.value === undefined) return [...problems, { path: ['value'], message: 'required' }];
  if (c.field === 'Human Generated') {
    if (typeof c.value !== 'boolean') problems.push({ path: ['value'], message: 'expected true or false' });
    return problems;
  }
  const check = itemCheck(c.field, ORDER_OPS.includes(c.op));
  if (c.op === 'in' || c.op === 'not in') {
    if (!Array.isArray(c.value) || c.value.length === 0) {
      problems.push({ path: ['value'], message: `expected a non-empty list for "${c.op}"` });
      return problems;
    }
    c.value.forEach((item: unknown, i) => {
      const why = check(item);
      if (why) problems.push({ path: ['value', i], message: why });
    });
    return problems;
  }
  if (Array.isArray(c.value)) {
    problems.push({
      path: ['value'],
      message: `expected a single value for "${c.op}" (use "in" for a list)`,
    });
    return problems;
  }
  const why = check(c.value);
  if (why) problems.push({ path: ['value'], message: why });
  return problems;
}
