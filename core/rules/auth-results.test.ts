import { describe, expect, it } from 'vitest';
import { authResultsFor, clusterAuthResults } from './auth-results.ts';
import { evaluateCondition } from './conditions.ts';
import { parseHeaderBlock } from './headers.ts';
import { type Condition, validateRuleSet } from './model.ts';
import type { MessageView } from './plan.ts';
import { localTime } from './values.ts';

const OURS = [
  'Authentication-Results: mx.strato.test;',
  ' dkim=pass header.i=@a.example header.s=s1 header.a=rsa-sha256 header.b=abc;',
  ' dkim=fail (body hash did not verify; "dmarc=pass" in a comment) header.i=@b.example;',
  ' spf=softfail (mx.strato.test: domain of x@a.example does not designate 192.0.2.1) smtp.mailfrom=x@a.example;',
  ' arc=none;',
  ' dmarc=fail (p=QUARANTINE sp=QUARANTINE) header.from=a.example',
];
const RECEIVED =
  'Received: from client.example ([192.0.2.1]) by mx.strato.test; Mon, 3 Mar 2025 09:14:00 +0000';
const FORGED = 'Authentication-Results: elsewhere.example; dmarc=pass header.from=a.example; spf=pass';

const headers = (...lines: string[]) => parseHeaderBlock(`${lines.join('\r\n')}\r\n\r\nbody`);

const view = (lines: string[]): MessageView => ({
  mailFrom: 'x@a.example',
  recipients: ['alice@strato.test'],
  source: 'SMTP',
  headers: headers(...lines),
  size: 100,
});

const run = (field: Condition['field'], op: Condition['op'], value: Condition['value'], lines: string[]) =>
  evaluateCondition({ field, op, value }, view(lines), localTime(new Date(0), 0));

describe('the cluster’s Authentication-Results', () => {
  it('reads only fields above the first Received header', () => {
    expect(clusterAuthResults(headers(...OURS, RECEIVED, FORGED))).toHaveLength(1);
    expect(clusterAuthResults(headers(RECEIVED, FORGED))).toEqual([]);
  });

  it('answers each method’s results, one per DKIM signature, ignoring comments', () => {
    const h = headers(...OURS, RECEIVED, FORGED);
    expect(authResultsFor(h, 'DKIM')).toEqual(['pass', 'fail']);
    expect(authResultsFor(h, 'SPF')).toEqual(['softfail']);
    expect(authResultsFor(h, 'DMARC')).toEqual(['fail']);
    expect(authResultsFor(h, 'ARC')).toEqual(['none']);
  });
});

describe('SPF, DKIM, DMARC and ARC conditions', () => {
  it.each<[string, Condition['field'], Condition['op'], Condition['value'], boolean]>([
    ['DMARC is fail', 'DMARC', 'is', 'fail', true],
    ['DMARC is FAIL (case-insensitive)', 'DMARC', 'is', 'FAIL', true],
    ['DMARC is pass', 'DMARC', 'is', 'pass', false],
    ['DMARC is not pass', 'DMARC', 'is not', 'pass', true],
    ['SPF in fail, softfail', 'SPF', 'in', ['fail', 'softfail'], true],
    ['DKIM is pass (any signature)', 'DKIM', 'is', 'pass', true],
    ['ARC is none', 'ARC', 'is', 'none', true],
  ])('%s', (_name, field, op, value, expected) => {
    expect(run(field, op, value, [...OURS, RECEIVED, FORGED]).matched).toBe(expected);
  });

  it('a sender’s own header below our Received is not believed', () => {
    const verdict = run('DMARC', 'is', 'pass', [RECEIVED, FORGED]);
    expect(verdict.matched).toBe(false);
    expect(verdict.why).toBe('no DMARC result from this cluster');
  });

  it('validates the result word and the operator', () => {
    const rules = (conditions: unknown[]) => [
      { name: 'r', priority: 5, conditions, actions: [{ action: 'discard' }] },
    ];
    expect(validateRuleSet(rules([{ field: 'DMARC', op: 'is', value: 'fail' }])).ok).toBe(true);
    const bad = validateRuleSet(rules([{ field: 'SPF', op: 'is', value: 'failed' }]));
    expect(bad.ok).toBe(false);
    const order = validateRuleSet(rules([{ field: 'SPF', op: 'greater than', value: 'fail' }]));
    expect(order.ok).toBe(false);
  });

  it('no rule may add an Authentication-Results header', () => {
    const result = validateRuleSet([
      {
        name: 'forge',
        priority: 5,
        conditions: [],
        actions: [{ action: 'add header', header: 'Authentication-Results', value: 'x; dmarc=pass' }],
      },
    ]);
    expect(result.ok).toBe(false);
  });
});
