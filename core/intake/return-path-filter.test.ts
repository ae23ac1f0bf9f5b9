import { describe, expect, it } from 'vitest';
import { ReturnPathFilter } from './return-path-filter.ts';

function filter(chunks: string[]): { text: string; removed: number } {
  const f = new ReturnPathFilter();
  const out = chunks.map((c) => f.push(Buffer.from(c, 'latin1')).toString('latin1'));
  return { text: out.join('') + f.flush().toString('latin1'), removed: f.removed };
}

const MESSAGE =
  'Received: from a\r\nReturn-Path: <forged@evil.example>\r\nSubject: hi\r\n' +
  'RETURN-PATH:\r\n <folded@evil.example>\r\n\tmore\r\nX-Return-Path: kept\r\n' +
  'From: a@b.test\r\n\r\nReturn-Path: <in the body, kept>\r\n';
const EXPECTED =
  'Received: from a\r\nSubject: hi\r\nX-Return-Path: kept\r\nFrom: a@b.test\r\n\r\n' +
  'Return-Path: <in the body, kept>\r\n';

describe('ReturnPathFilter', () => {
  it('removes top-level Return-Path fields with their continuation lines, case-insensitively', () => {
    expect(filter([MESSAGE])).toEqual({ text: EXPECTED, removed: 2 });
  });

  it('gives the same result however the message is split into chunks', () => {
    for (let size = 1; size <= 13; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < MESSAGE.length; i += size) chunks.push(MESSAGE.slice(i, i + size));
      expect(filter(chunks).text).toBe(EXPECTED);
    }
  });

  it('keeps everything else byte for byte, including a message without a header section', () => {
    expect(filter(['Subject: x\r\n\r\nbody']).text).toBe('Subject: x\r\n\r\nbody');
    expect(filter(['\r\nReturn-Path: <x>\r\n']).text).toBe('\r\nReturn-Path: <x>\r\n');
    expect(filter(['Return']).text).toBe('Return'); // ended inside an undecided line
    expect(filter(['Return-Path: <x>']).text).toBe('');
  });

  it('holds no more than the start of a line: a long kept line streams through', () => {
    const f = new ReturnPathFilter();
    expect(f.push(Buffer.from('Subject: ')).toString()).toBe('Subject: ');
    expect(f.push(Buffer.from('x'.repeat(100_000))).length).toBe(100_000);
    expect(f.push(Buffer.from('\r\nRetu')).toString()).toBe('\r\n'); // undecided: held
    expect(f.push(Buffer.from('\r\nRetx')).toString()).toBe('Retu\r\nRetx');
  });
});
