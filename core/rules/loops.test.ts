import { describe, expect, it } from 'vitest';
import { parseHeaderBlock } from './headers.ts';
import { countReceived, generationBlockedBy, hasLoopMark, loopMarkLine } from './loops.ts';

const received = (n: number) => 'Received: from a by b; Mon, 3 Mar 2025 09:00:00 +0000\r\n'.repeat(n);

describe('Received counting', () => {
  it('counts every Received field, folded or not, in any case', () => {
    const headers = parseHeaderBlock(
      `${received(2)}RECEIVED: from c\r\n\tby d\r\nX-Received: no\r\nSubject: x\r\n`,
    );
    expect(countReceived(headers)).toBe(3);
  });

  it.each([
    [50, undefined],
    [51, 'mail loop: 51 Received headers (limit 50)'],
  ])('%i Received headers with the default limit → %s', (n, expected) => {
    expect(generationBlockedBy(parseHeaderBlock(received(n)), 'alice@example.com')).toBe(expected);
  });

  it('takes a custom limit', () => {
    expect(generationBlockedBy(parseHeaderBlock(received(6)), 'alice@example.com', 5)).toBe(
      'mail loop: 6 Received headers (limit 5)',
    );
  });
});

describe('X-Strato-Loop', () => {
  it('is one header line naming the owner, lower-cased', () => {
    expect(loopMarkLine('Alice@Example.com')).toBe('X-Strato-Loop: alice@example.com\r\n');
  });

  it.each<[string, boolean]>([
    ['X-Strato-Loop: alice@example.com\r\n', true],
    ['x-strato-loop: ALICE@example.COM\r\n', true],
    ['X-Strato-Loop: <alice@example.com>\r\n', true],
    ['X-Strato-Loop: bob@example.net\r\nX-Strato-Loop: alice@example.com\r\n', true],
    ['X-Strato-Loop: bob@example.net\r\n', false],
    ['X-Strato-Loop: alice@example.com.evil\r\n', false],
    ['Subject: X-Strato-Loop: alice@example.com\r\n', false],
  ])('%o marks alice → %s', (block, expected) => {
    const headers = parseHeaderBlock(block);
    expect(hasLoopMark(headers, 'alice@example.com')).toBe(expected);
    expect(generationBlockedBy(headers, 'alice@example.com') !== undefined).toBe(expected);
  });

  it('a generated message is recognised as our own when it comes back', () => {
    const headers = parseHeaderBlock(`${loopMarkLine('alice@example.com')}Subject: x\r\n`);
    expect(generationBlockedBy(headers, 'alice@example.com')).toBe(
      'mail loop: the message already carries X-Strato-Loop: alice@example.com',
    );
  });
});
