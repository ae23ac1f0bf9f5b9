import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import type { ClientSessions } from '../../core/ports/client-sessions.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { OpenSessions } from './open-sessions.ts';

describe('OpenSessions (on the embedded ClientSessions)', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('counts the sessions of two frontends and forgets closed ones', async () => {
    const a = new OpenSessions(t.storage.clientSessions, silentLogger, 60_000);
    const b = new OpenSessions((await t.reopen()).clientSessions, silentLogger, 60_000);
    expect(await a.open('192.0.2.1', 'fe-a:1')).toBe(1);
    expect(await b.open('192.0.2.1', 'fe-b:1')).toBe(2);
    await a.close('192.0.2.1', 'fe-a:1');
    expect(await t.storage.clientSessions.count('192.0.2.1')).toBe(1);
  });

  it('removes a session that was closed while its open was in flight', async () => {
    const real = t.storage.clientSessions;
    let land: () => void = () => {};
    const landed = new Promise<void>((resolve) => {
      land = resolve;
    });
    // The store's write lands only after the close was handled (a slow DynamoDB PutItem).
    const slow: ClientSessions = {
      open: async (ip, key, ttl) => {
        await landed;
        return real.open(ip, key, ttl);
      },
      refresh: (list, ttl) => real.refresh(list, ttl),
      close: (ip, key) => real.close(ip, key),
      count: (ip) => real.count(ip),
    };
    const s = new OpenSessions(slow, silentLogger, 60_000);
    const opening = s.open('192.0.2.1', 'fe-a:1');
    await s.close('192.0.2.1', 'fe-a:1');
    land();
    await opening;
    expect(await t.storage.clientSessions.count('192.0.2.1')).toBe(0);
  });
});
