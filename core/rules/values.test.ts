import { describe, expect, it } from 'vitest';
import {
  localTime,
  normalizeFlag,
  parseDateValue,
  parseSizeValue,
  parseTimeValue,
  parseWeekDay,
  wildcardMatches,
} from './values.ts';

describe('wildcardMatches', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'anything', true],
    ['*@example.com', 'bob@example.com', true],
    ['*@example.com', 'bob@example.com.evil', false],
    ['*@*.example.com', 'bob@mail.example.com', true],
    ['*@*.example.com', 'bob@example.com', false],
    ['BOB@*', 'bob@x.example', true],
    ['ÄRGER*', 'ärger im büro', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['multi\nline*', 'multi\nline and more', true],
    ['*a*b', 'xaxb', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'abcx', false],
    ['*x', 'xxy', false],
    ['**', '', true],
    ['a*', 'b', false],
  ])('%o against %o → %s', (pattern, text, expected) => {
    expect(wildcardMatches(pattern, text)).toBe(expected);
  });

  it('stays linear on patterns that make regular expressions backtrack', () => {
    const started = performance.now();
    expect(wildcardMatches('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('value grammars', () => {
  it.each<[unknown, number | undefined]>([
    [1048576, 1048576],
    ['1048576', 1048576],
    ['512K', 524288],
    ['10M', 10485760],
    ['10mb', 10485760],
    ['1G', 1073741824],
    ['1.5M', undefined],
    [-1, undefined],
    ['ten', undefined],
    [true, undefined],
  ])('size %o → %o', (input, expected) => {
    expect(parseSizeValue(input)).toBe(expected);
  });

  it.each<[unknown, string | undefined]>([
    ['2025-03-03', '2025-03-03'],
    ['2024-02-29', '2024-02-29'],
    ['2025-02-29', undefined],
    ['2025-3-3', undefined],
    [20250303, undefined],
  ])('date %o → %o', (input, expected) => {
    expect(parseDateValue(input)).toBe(expected);
  });

  it.each<[unknown, number | undefined]>([
    ['00:00', 0],
    ['09:30', 570],
    ['23:59', 1439],
    ['24:00', undefined],
    ['9:30', undefined],
  ])('time %o → %o', (input, expected) => {
    expect(parseTimeValue(input)).toBe(expected);
  });

  it.each<[unknown, string | undefined]>([
    ['mon', 'Mon'],
    ['SUN', 'Sun'],
    ['Monday', undefined],
  ])('day %o → %o', (input, expected) => {
    expect(parseWeekDay(input)).toBe(expected);
  });

  it.each<[unknown, string | undefined]>([
    ['Seen', '\\Seen'],
    ['read', '\\Seen'],
    ['\\Flagged', '\\Flagged'],
    ['Answered', '\\Answered'],
    ['Deleted', '\\Deleted'],
    ['Draft', '\\Draft'],
    ['Junk', '$Junk'],
    ['NotJunk', '$NotJunk'],
    ['$Label1', '$Label1'],
    ['Label1', undefined],
    ['$bad flag', undefined],
  ])('flag %o → %o', (input, expected) => {
    expect(normalizeFlag(input)).toBe(expected);
  });
});

describe('localTime', () => {
  it('shows the instant in the account offset', () => {
    expect(localTime(new Date('2025-12-31T23:59:00Z'), 60)).toEqual({
      date: '2026-01-01',
      time: '00:59',
      minutes: 59,
      day: 'Thu',
      zone: 'UTC+01:00',
    });
    expect(localTime(new Date('2025-03-03T09:15:00Z'))).toMatchObject({
      date: '2025-03-03',
      day: 'Mon',
      zone: 'UTC',
    });
    expect(localTime(new Date('2025-03-03T09:15:00Z'), -570).zone).toBe('UTC-09:30');
  });
});
