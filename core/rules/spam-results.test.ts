import { describe, expect, it } from 'vitest';
import { checkConditionShape } from './condition-shapes.ts';
import { evaluateCondition } from './conditions.ts';
import { parseHeaderBlock } from './headers.ts';
import type { Condition } from './model.ts';
import type { MessageView } from './plan.ts';
import { localTime } from './values.ts';

const OURS = [
  'X-Spam-Status: Yes, score=21.50 required=15.00',
  'X-Spam-Score: 21.50',
  'X-Spam-Action: add header',
  'X-Spam-Flag: YES',
  'X-Strato-Filtered: mx.strato.test',
].join('\r\n');
const REST = [
  'Received: from a.example by mx.strato.test; Mon, 3 Mar 2025 09:14:00 +0000',
  'X-Spam-Score: -5.00',
  'X-Spam-Action: no action',
  'Subject: hi',
  '',
  'body',
].join('\r\n');

const view = (headers: string): MessageView => ({
  mailFrom: 'bob@example.net',
  recipients: ['alice@example.com'],
  source: 'SMTP',
  headers: parseHeaderBlock(headers),
  size: 100,
});
const run = (cond: Condition, headers: string) =>
  evaluateCondition(cond, view(headers), localTime(new Date('2025-03-03T09:15:00Z'), 0));

describe('Spam Score and Filter Action conditions', () => {
  it.each<[string, Condition, string, boolean]>([
    [
      'score greater than 10 (ours: 21.5)',
      { field: 'Spam Score', op: 'greater than', value: 10 },
      `${OURS}\r\n${REST}`,
      true,
    ],
    [
      'score less than 10 (ours: 21.5)',
      { field: 'Spam Score', op: 'less than', value: '10' },
      `${OURS}\r\n${REST}`,
      false,
    ],
    [
      'a sender forged score below Received is not read',
      { field: 'Spam Score', op: 'less than', value: 0 },
      REST,
      false,
    ],
    [
      'action is add header',
      { field: 'Filter Action', op: 'is', value: 'add header' },
      `${OURS}\r\n${REST}`,
      true,
    ],
    [
      'action in reject, soft reject',
      { field: 'Filter Action', op: 'in', value: ['reject', 'soft reject'] },
      `${OURS}\r\n${REST}`,
      false,
    ],
    [
      'a forged action below Received is not read',
      { field: 'Filter Action', op: 'is', value: 'no action' },
      REST,
      false,
    ],
    [
      'unchecked',
      { field: 'Filter Action', op: 'is', value: 'unchecked' },
      `X-Spam-Status: unchecked\r\n${REST}`,
      true,
    ],
    ['not scanned: is not matches', { field: 'Filter Action', op: 'is not', value: 'reject' }, REST, true],
  ])('%s', (_name, cond, headers, expected) => {
    expect(run(cond, headers).matched).toBe(expected);
  });

  it('explains a missing score', () => {
    expect(run({ field: 'Spam Score', op: 'greater than', value: 5 }, REST).why).toBe(
      'no score from the content filter here',
    );
  });

  it('validates the shapes', () => {
    expect(checkConditionShape({ field: 'Spam Score', op: 'greater than', value: '6.5' })).toEqual([]);
    expect(checkConditionShape({ field: 'Spam Score', op: 'is', value: '6' })[0]?.path).toEqual(['op']);
    expect(checkConditionShape({ field: 'Spam Score', op: 'less than', value: 'high' })[0]?.message).toMatch(
      /score/,
    );
    expect(
      checkConditionShape({ field: 'Filter Action', op: 'in', value: ['reject', 'Add Header'] }),
    ).toEqual([]);
    expect(checkConditionShape({ field: 'Filter Action', op: 'is', value: 'spam' })[0]?.message).toMatch(
      /no action, greylist/,
    );
  });
});
