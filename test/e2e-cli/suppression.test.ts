/**
 * `strato suppression list|add|remove` in-process on a temp data dir: added by hand, listed as
 * table and JSON, removed once; a bad address or reason exits 2 and a second remove exits 1,
 * nothing changed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor, hasStackTrace, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

describe('strato suppression', () => {
  it('adds, lists and removes suppressed addresses', async () => {
    expect(await cli.ok(['suppression', 'list'])).toBe('no suppressed addresses\n');
    expect(await cli.ok(['suppression', 'add', 'Gone@Example.NET', '--detail', '5.1.1 no such user'])).toBe(
      'suppression: gone@example.net suppressed (bounce)\n',
    );
    await cli.ok(['suppression', 'add', 'angry@example.org', '--reason', 'complaint']);
    const listed = await cli.json<{ address: string; reason: string; at: number; detail?: string }[]>([
      'suppression',
      'list',
    ]);
    expect(listed).toEqual([
      {
        address: 'angry@example.org',
        reason: 'complaint',
        at: expect.any(Number),
        detail: 'added by the operator',
      },
      { address: 'gone@example.net', reason: 'bounce', at: expect.any(Number), detail: '5.1.1 no such user' },
    ]);
    const table = await cli.ok(['suppression', 'list']);
    expect(table).toMatch(/^ADDRESS\s+REASON\s+SINCE\s+DETAIL\n/);
    expect(table).toMatch(/gone@example\.net\s+bounce\s+\S.*5\.1\.1 no such user\n/);
    expect(await cli.ok(['suppression', 'remove', 'gone@example.net'])).toBe(
      'suppression: gone@example.net removed\n',
    );
    const again = await cli.run(['suppression', 'remove', 'gone@example.net']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('gone@example.net is not suppressed');
    expect((await cli.json<{ address: string }[]>(['suppression', 'list'])).map((s) => s.address)).toEqual([
      'angry@example.org',
    ]);
  });

  it('refuses a bad address or reason with exit 2 and changes nothing', async () => {
    const before = await cli.json(['suppression', 'list']);
    for (const args of [
      ['suppression', 'add', 'not an address'],
      ['suppression', 'add', 'x@example.net', '--reason', 'spam'],
      ['suppression', 'remove', '@@'],
    ]) {
      const r = await cli.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(await cli.json(['suppression', 'list'])).toEqual(before);
  });
});
