/**
 * Evaluates one condition against a message view and the account's local time, answering the
 * verdict with the values it looked at and why, for the dry-run explanation. 'is not' and
 * 'not in' are exactly the negation of 'is' and 'in': a missing header fails 'is'/'in' and
 * satisfies 'is not'/'not in'; for address fields any address matching counts. Expects a
 * validated condition (model.ts); an unparsable value simply does not match. Never throws.
 */
import { authResultsFor } from './auth-results.ts';
import { whyAutomated } from './automated.ts';
import { spamScoreValue } from './condition-shapes.ts';
import { decodeEncodedWords, headerAddresses, headerValues } from './headers.ts';
import type { Condition } from './model.ts';
import type { ConditionVerdict, MessageView } from './plan.ts';
import { clusterFilterAction, clusterSpamScore } from './spam-results.ts';
import { type LocalTime, parseDateValue, parseSizeValue, parseTimeValue, wildcardMatches } from './values.ts';

/** A value as compared and as shown: an address matches on its bare form or on "Name <addr>". */
interface Candidate {
  readonly shown: string;
  readonly forms: readonly string[];
}

interface Subject {
  readonly candidates: readonly Candidate[];
  /** Why there is nothing to compare, e.g. 'no Cc header'. */
  readonly missing: string;
}

const plain = (values: readonly string[]): Candidate[] => values.map((v) => ({ shown: v, forms: [v] }));

function addressCandidates(view: MessageView, names: readonly string[]): Candidate[] {
  return names
    .flatMap((n) => headerAddresses(view.headers, n))
    .map((a) => {
      const full = a.name ? `${a.name} <${a.address}>` : a.address;
      return { shown: full, forms: a.name ? [a.address, full] : [a.address] };
    });
}

function subjectOf(c: Condition, view: MessageView, local: LocalTime): Subject {
  switch (c.field) {
    case 'From':
    case 'Sender':
    case 'To':
    case 'Cc':
      return { candidates: addressCandidates(view, [c.field]), missing: `no ${c.field} address` };
    case 'Any To or Cc':
      return { candidates: addressCandidates(view, ['To', 'Cc']), missing: 'no To or Cc address' };
    case 'Return-Path':
      return { candidates: plain(view.mailFrom ? [view.mailFrom] : []), missing: 'null envelope sender <>' };
    case 'Any Recipient':
      return { candidates: plain(view.recipients), missing: 'no envelope recipients' };
    case 'Subject':
      return {
        candidates: plain(headerValues(view.headers, 'Subject').map(decodeEncodedWords)),
        missing: 'no Subject',
      };
    case 'Header Field': {
      const name = c.header ?? '';
      return {
        candidates: plain(headerValues(view.headers, name).map(decodeEncodedWords)),
        missing: `no ${name} header`,
      };
    }
    case 'Source':
      return { candidates: plain([view.source]), missing: '' };
    case 'Current Date':
      return { candidates: plain([local.date]), missing: '' };
    case 'Time Of Day':
      return { candidates: plain([local.time]), missing: '' };
    case 'Current Day':
      return { candidates: plain([local.day]), missing: '' };
    case 'SPF':
    case 'DKIM':
    case 'DMARC':
    case 'ARC':
      return {
        candidates: plain(authResultsFor(view.headers, c.field)),
        missing: `no ${c.field} result from this cluster`,
      };
    case 'Filter Action': {
      const action = clusterFilterAction(view.headers);
      return { candidates: plain(action ? [action] : []), missing: 'not scanned by the content filter here' };
    }
    default:
      return { candidates: [], missing: `${c.field} is not a text field` };
  }
}

const quote = (s: string) => `"${s}"`;

/** is / in: does any candidate match any pattern? With the reason either way. */
function matchPatterns(patterns: readonly string[], subject: Subject): { hit: boolean; why: string } {
  if (subject.candidates.length === 0) return { hit: false, why: subject.missing };
  for (const candidate of subject.candidates) {
    const pattern = patterns.find((p) => candidate.forms.some((f) => wildcardMatches(p, f)));
    if (pattern !== undefined) return { hit: true, why: `${quote(pattern)} matches ${candidate.shown}` };
  }
  const shown = subject.candidates.map((c) => c.shown).join(', ');
  const what = patterns.length === 1 ? quote(patterns[0]!) : `none of ${patterns.map(quote).join(', ')}`;
  return { hit: false, why: `${what} ${patterns.length === 1 ? 'does not match' : 'matches'} ${shown}` };
}

function orderVerdict(c: Condition, view: MessageView, local: LocalTime): ConditionVerdict {
  const greater = c.op === 'greater than';
  const word = greater ? 'greater' : 'less';
  const compare = (a: number, b: number) => (greater ? a > b : a < b);
  let actual: string;
  let matched: boolean;
  if (c.field === 'Message Size') {
    const limit = parseSizeValue(c.value) ?? Number.NaN;
    actual = `${view.size} bytes`;
    matched = compare(view.size, limit);
    const limitText = typeof c.value === 'string' ? `${c.value} (${limit} bytes)` : `${limit} bytes`;
    return {
      condition: c,
      matched,
      seen: [actual],
      why: `${actual} is ${matched ? '' : 'not '}${word} than ${limitText}`,
    };
  }
  if (c.field === 'Spam Score') {
    const score = clusterSpamScore(view.headers);
    const limit = spamScoreValue(c.value) ?? Number.NaN;
    if (score === undefined)
      return { condition: c, matched: false, seen: [], why: 'no score from the content filter here' };
    matched = compare(score, limit);
    return {
      condition: c,
      matched,
      seen: [String(score)],
      why: `score ${score} is ${matched ? '' : 'not '}${word} than ${limit}`,
    };
  }
  if (c.field === 'Time Of Day') {
    actual = local.time;
    matched = compare(local.minutes, parseTimeValue(c.value) ?? Number.NaN);
  } else {
    actual = local.date;
    const limit = parseDateValue(c.value);
    matched = limit !== undefined && (greater ? actual > limit : actual < limit);
  }
  const why = `${actual} (${local.zone}) is ${matched ? '' : 'not '}${word} than ${String(c.value)}`;
  return { condition: c, matched, seen: [actual], why };
}

export function evaluateCondition(c: Condition, view: MessageView, local: LocalTime): ConditionVerdict {
  if (c.op === 'greater than' || c.op === 'less than') return orderVerdict(c, view, local);
  const negated = c.op === 'is not' || c.op === 'not in';
  if (c.field === 'Human Generated') {
    const automated = whyAutomated(view.headers, view.mailFrom);
    const human = automated === undefined;
    const wanted = c.value === true;
    return {
      condition: c,
      matched: (human === wanted) !== negated,
      seen: [String(human)],
      why: human ? 'no sign of automatic mail' : `automatic: ${automated}`,
    };
  }
  const patterns = Array.isArray(c.value) ? c.value.map(String) : [String(c.value)];
  const subject = subjectOf(c, view, local);
  const { hit, why } = matchPatterns(patterns, subject);
  return { condition: c, matched: hit !== negated, seen: subject.candidates.map((x) => x.shown), why };
}
