import { describe, expect, it } from 'vitest';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import type { AccountRecord, DirectoryAdmin } from '../ports/directory.ts';
import { BUILTIN_SETTINGS, type PartialSettings } from '../settings/settings.ts';
import { effectiveSettings, settingsFromLevels } from './effective-settings.ts';

describe('settingsFromLevels', () => {
  it('lets each level win over the next: account, domain, cluster, built-in', () => {
    const e = settingsFromLevels({
      account: { MaxAccountSize: 1 },
      domain: { MaxAccountSize: 2, MaxMessageSize: 20 },
      cluster: { MaxAccountSize: 3, MaxMessageSize: 30, MaxMailOutSize: 300 },
    });
    expect(e.settings).toMatchObject({ MaxAccountSize: 1, MaxMessageSize: 20, MaxMailOutSize: 300 });
    expect(e.sources).toMatchObject({
      MaxAccountSize: 'account',
      MaxMessageSize: 'domain',
      MaxMailOutSize: 'cluster',
    });
    expect(e.settings.MailOutFlow).toEqual(BUILTIN_SETTINGS.MailOutFlow);
    expect(e.sources.MailOutFlow).toBe('built-in');
  });

  it('lets an unset value fall through, while null (unlimited) is a value that stops there', () => {
    const e = settingsFromLevels({
      account: { MaxAccountSize: undefined, MaxMessageSize: null },
      domain: { MaxAccountSize: 5, MaxMessageSize: 6 },
    });
    expect(e.settings.MaxAccountSize).toBe(5);
    expect(e.sources.MaxAccountSize).toBe('domain');
    expect(e.settings.MaxMessageSize).toBeNull();
    expect(e.sources.MaxMessageSize).toBe('account');
  });

  it('answers the built-in values, each from built-in, with no levels', () => {
    const e = settingsFromLevels({});
    expect(e.settings).toEqual(BUILTIN_SETTINGS);
    expect(new Set(Object.values(e.sources))).toEqual(new Set(['built-in']));
  });

  it('keeps the levels it was given (a view shows what each stores)', () => {
    const levels = { domain: { Enabled: false }, cluster: {} };
    expect(settingsFromLevels(levels).levels).toBe(levels);
  });
});

describe('effectiveSettings (over a real directory)', () => {
  async function withDirectory(
    test: (dir: DirectoryAdmin, alice: AccountRecord) => Promise<void>,
    levels: { account?: PartialSettings; domain?: PartialSettings; cluster?: PartialSettings },
  ) {
    const t = await tempStorage();
    try {
      const dir = t.storage.directory;
      await dir.addDomain({
        name: 'example.com',
        mailToUnknown: { action: 'reject' },
        defaults: levels.domain ?? {},
        createdAt: 0,
      });
      const alice = {
        address: 'alice@example.com',
        domain: 'example.com',
        name: 'alice',
        settings: levels.account ?? {},
        createdAt: 0,
      };
      await dir.addAccount(alice);
      if (levels.cluster) await dir.updateClusterSettings(levels.cluster);
      await test(dir, alice);
    } finally {
      await t.cleanup();
    }
  }

  it('reads the account, its domain and the cluster, by record or by address alike', async () => {
    await withDirectory(
      async (dir, alice) => {
        for (const target of [alice, 'alice@example.com']) {
          const e = await effectiveSettings(dir, target);
          expect(e.settings).toMatchObject({ Enabled: false, MaxAccountSize: 10, MaxMessageSize: 99 });
          expect(e.sources).toMatchObject({
            Enabled: 'domain',
            MaxAccountSize: 'account',
            MaxMessageSize: 'cluster',
            MailOutFlow: 'built-in',
          });
          expect(e.levels).toEqual({
            account: { MaxAccountSize: 10 },
            domain: { Enabled: false, MaxAccountSize: 20 },
            cluster: { MaxMessageSize: 99 },
          });
        }
      },
      {
        account: { MaxAccountSize: 10 },
        domain: { Enabled: false, MaxAccountSize: 20 },
        cluster: { MaxMessageSize: 99 },
      },
    );
  });

  it('gives an address that is no account what an account there would inherit', async () => {
    await withDirectory(
      async (dir) => {
        const e = await effectiveSettings(dir, 'nobody@example.com');
        expect(e.levels.account).toBeUndefined();
        expect(e.settings.FullRetry).toEqual([60, 3600]);
        expect(e.sources.FullRetry).toBe('domain');
        const outside = await effectiveSettings(dir, 'someone@elsewhere.org');
        expect(outside.levels).toEqual({ cluster: {} });
        expect(outside.settings).toEqual(BUILTIN_SETTINGS);
      },
      { domain: { FullRetry: [60, 3600] } },
    );
  });
});
