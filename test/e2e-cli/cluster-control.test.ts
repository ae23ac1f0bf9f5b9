/**
 * `strato cluster show|set <queue key>|frontends|backends` in-process on a temp data dir: the
 * queue-processing settings with their source, set and cleared; bad input (malformed names,
 * unknown frontend ids, a bad concurrency or mode) is one line on stderr, exit 2 and nothing
 * changed; a group nothing runs in is accepted with a warning; the live topology as table and JSON
 * from heartbeats written through the real embedded adapters. The account defaults still work.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { cliFor, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

async function withStorage<T>(
  fn: (s: Awaited<ReturnType<typeof openEmbeddedStorage>>) => Promise<T>,
): Promise<T> {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

const frontend = (id: string, group: string, processing: boolean) => ({
  id,
  group,
  address: 'host-a',
  sessions: 2,
  processing,
  jobsInFlight: processing ? 3 : 0,
  concurrency: 16,
  version: '0.1.0',
  startedAt: Date.now() - 60_000,
});

describe('strato cluster show / set <queue key>', () => {
  it('shows defaults, sets, validates and clears the queue-processing settings', async () => {
    expect(await cli.json(['cluster', 'show'])).toEqual({
      processing: { value: null, source: 'default' },
      concurrency: { value: null, source: 'default' },
      'generated-mail': { value: null, source: 'default' },
      retry: { value: null, source: 'default' },
      lifetime: { value: null, source: 'default' },
    });
    const text = await cli.ok(['cluster', 'show']);
    expect(text).toContain('STRATO_QUEUE_PROCESSING');
    expect(text).toContain('strato cluster settings');

    await withStorage(async (s) => {
      await s.control.heartbeatFrontend(frontend('fe-1@host-a', 'processing', true), 60_000);
      await s.control.heartbeatFrontend(frontend('fe-2@host-a', 'intake', false), 60_000);
    });
    expect(await cli.ok(['cluster', 'set', 'processing', 'fe-2@host-a,processing'])).toBe(
      'cluster: processing = fe-2@host-a,processing (frontends pick it up within seconds)\n',
    );
    expect(await cli.ok(['cluster', 'set', 'concurrency', '4'])).toContain('concurrency = 4');
    expect(await cli.ok(['cluster', 'set', 'generated-mail', 'forward'])).toContain(
      'generated-mail = forward',
    );

    const before = await cli.json(['cluster', 'show']);
    expect(before).toEqual({
      processing: { value: ['fe-2@host-a', 'processing'], source: 'cluster' },
      concurrency: { value: 4, source: 'cluster' },
      'generated-mail': { value: 'forward', source: 'cluster' },
      retry: { value: null, source: 'default' },
      lifetime: { value: null, source: 'default' },
    });
    for (const args of [
      ['processing', 'fe-9@nowhere'],
      ['processing', 'bad name'],
      ['processing', 'a,,b'],
      ['processing', 'ok,all'],
      ['concurrency', '0'],
      ['concurrency', '2.5'],
      ['concurrency', 'many'],
      ['generated-mail', 'smtp'],
      ['retry', '1h,5m'],
      ['retry', '5m'],
      ['retry', '0s,5m'],
      ['lifetime', 'forever'],
      ['lifetime', '90d'],
    ]) {
      const r = await cli.run(['cluster', 'set', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(await cli.json(['cluster', 'show'])).toEqual(before);

    // A group before its frontends start: accepted, with a warning.
    const early = await cli.run(['cluster', 'set', 'processing', 'batch']);
    expect(early.code).toBe(0);
    expect(early.stderr).toBe('strato: warning: no live or recently seen frontend is in group "batch"\n');
    expect(await cli.ok(['cluster', 'set', 'processing', 'NONE'])).toContain('processing = none');
    expect(await cli.ok(['cluster', 'set', 'concurrency', 'default'])).toContain('concurrency cleared');
    expect((await cli.json<Record<string, unknown>>(['cluster', 'show'])).concurrency).toEqual({
      value: null,
      source: 'default',
    });
    // The retry schedule and the message lifetime: set, shown, cleared.
    expect(await cli.ok(['cluster', 'set', 'retry', '2m,30m'])).toBe(
      'cluster: retry = 2m,30m (queue processors pick it up within seconds)\n',
    );
    expect(await cli.ok(['cluster', 'set', 'lifetime', '2d'])).toContain('lifetime = 2d');
    const shown = await cli.json<Record<string, unknown>>(['cluster', 'show']);
    expect(shown.retry).toEqual({ value: { firstSeconds: 120, maxSeconds: 1800 }, source: 'cluster' });
    expect(shown.lifetime).toEqual({ value: 172_800, source: 'cluster' });
    expect(await cli.ok(['cluster', 'set', 'retry', 'default'])).toContain('STRATO_RETRY_FIRST_SECONDS');
    // The account defaults keep their syntax.
    expect(await cli.ok(['cluster', 'set', 'MaxMessageSize', '25M'])).toBe('cluster: MaxMessageSize = 25M\n');
    expect((await cli.run(['cluster', 'set', 'NoSuchSetting', '1'])).code).toBe(2);
    expect(await cli.ok(['cluster', 'set', '--help'])).toContain('generated-mail   queue | forward');
  });
});

describe('strato cluster frontends / backends', () => {
  it('lists the live ones as a table and as JSON', async () => {
    await withStorage(async (s) => {
      await s.control.heartbeatFrontend(frontend('fe-1@host-a', 'processing', true), 60_000);
      await s.control.heartbeatFrontend(frontend('fe-gone@host-a', 'processing', true), -1);
      await s.backends.heartbeat(
        {
          id: 'backend-1',
          address: '127.0.0.1:2424',
          kind: 'lmtp',
          accountsOpen: 5,
          startedAt: Date.now(),
          version: '0.1.0',
        },
        60_000,
      );
      await s.backends.heartbeat({ id: 'backend-old', address: '127.0.0.1:2425', kind: 'lmtp' }, 60_000);
    });
    const table = (await cli.ok(['cluster', 'frontends'])).trimEnd().split('\n');
    expect(table[0]).toMatch(
      /^ID\s+GROUP\s+ADDRESS\s+SESSIONS\s+PROCESSING\s+JOBS\s+CONCURRENCY\s+VERSION\s+UP\s+SEEN$/,
    );
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(0, 8))).toEqual([
      ['fe-1@host-a', 'processing', 'host-a', '2', 'on', '3', '16', '0.1.0'],
      ['fe-2@host-a', 'intake', 'host-a', '2', 'off', '0', '16', '0.1.0'],
    ]);
    const json = await cli.json<{ id: string; sessions: number }[]>(['cluster', 'frontends']);
    expect(json.map((f) => f.id)).toEqual(['fe-1@host-a', 'fe-2@host-a']);

    const backends = (await cli.ok(['cluster', 'backends'])).trimEnd().split('\n');
    expect(backends[0]).toMatch(/^ID\s+KIND\s+ADDRESS\s+ACCOUNTS\s+VERSION\s+UP\s+EXPIRES$/);
    expect(backends.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['backend-1', 'lmtp', '127.0.0.1:2424', '5', '0.1.0'],
      ['backend-old', 'lmtp', '127.0.0.1:2425', '-', '-'],
    ]);
    expect((await cli.json<{ accountsOpen?: number }[]>(['cluster', 'backends']))[0]?.accountsOpen).toBe(5);
  });
});
