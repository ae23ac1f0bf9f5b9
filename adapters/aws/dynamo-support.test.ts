/** Unit tests of the DynamoDB helpers: conflict retries and reading errors' old items. */
import { describe, expect, it } from 'vitest';
import {
  cancellationReasons,
  conditionFailure,
  isTransactionConflict,
  rawNumber,
  retryConflicts,
} from './dynamo-support.ts';

const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name }, extra);
const cancelled = (...codes: string[]) =>
  named('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) });

describe('dynamo-support', () => {
  it('retries transaction conflicts (DynamoDB Local never produces them) and nothing else', async () => {
    let calls = 0;
    const result = await retryConflicts(async () => {
      calls++;
      if (calls === 1) throw named('TransactionConflictException');
      if (calls === 2) throw cancelled('None', 'TransactionConflict');
      return 'done';
    });
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });

    calls = 0;
    const refused = cancelled('ConditionalCheckFailed', 'None');
    await expect(
      retryConflicts(async () => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt with the conflict itself', async () => {
    let calls = 0;
    const conflict = named('TransactionConflictException');
    await expect(
      retryConflicts(async () => {
        calls++;
        throw conflict;
      }, 3),
    ).rejects.toBe(conflict);
    expect(calls).toBe(3);
  });

  it('reads the old item of a refused write and the reasons of a cancelled transaction', () => {
    const err = named('ConditionalCheckFailedException', { Item: { c: { N: '7' } } });
    expect(rawNumber(conditionFailure(err)?.item, 'c')).toBe(7);
    expect(conditionFailure(new Error('other'))).toBeUndefined();
    expect(cancellationReasons(cancelled('None', 'ConditionalCheckFailed'))?.map((r) => r.code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(isTransactionConflict(cancelled('ConditionalCheckFailed'))).toBe(false);
  });
});
