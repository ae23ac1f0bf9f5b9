/**
 * An account's effective settings and, per setting, the level it comes from. Inheritance runs
 * account → domain defaults → cluster defaults → built-in (core/settings): the first level that
 * sets a value wins, null ("unlimited") included. Every use case that needs an account's limits
 * reads them here, and the CLI (later WebAdmin) shows the same sources. Directory faults propagate.
 */
import { domainOf } from '../mail/address.ts';
import type { AccountRecord, DirectoryReader } from '../ports/directory.ts';
import {
  type AccountSettings,
  type PartialSettings,
  resolveSettings,
  SETTING_NAMES,
  type SettingName,
} from '../settings/settings.ts';

/** A level that can store settings, most specific first. */
export type SettingLevel = 'account' | 'domain' | 'cluster';
/** Where an effective value comes from: a level that sets it, or the built-in default. */
export type SettingSource = SettingLevel | 'built-in';

export const SETTING_LEVELS: readonly SettingLevel[] = ['account', 'domain', 'cluster'];

/** What each level stores; a level that was not read (or does not exist) is absent. */
export type SettingLevels = Partial<Record<SettingLevel, PartialSettings>>;

export interface EffectiveSettings {
  /** The value in force for each setting. */
  readonly settings: AccountSettings;
  /** The level each value comes from. */
  readonly sources: Readonly<Record<SettingName, SettingSource>>;
  /** The stored values the result was made from. */
  readonly levels: SettingLevels;
}

/** The reads `effectiveSettings` makes (a caller may pass a memoising reader). */
export type SettingsReader = Pick<DirectoryReader, 'getAccount' | 'getDomain' | 'getClusterSettings'>;

/** Pure: combine the stored levels (any subset, e.g. domain and cluster for a domain's view). */
export function settingsFromLevels(levels: SettingLevels): EffectiveSettings {
  const present = SETTING_LEVELS.flatMap((level) => {
    const stored = levels[level];
    return stored ? [[level, stored] as const] : [];
  });
  const settings = resolveSettings(...present.map(([, stored]) => stored));
  const sources = Object.fromEntries(
    SETTING_NAMES.map((name) => [name, present.find(([, s]) => s[name] !== undefined)?.[0] ?? 'built-in']),
  ) as Record<SettingName, SettingSource>;
  return { settings, sources, levels };
}

/**
 * The effective settings of an account, given as a record already read or as an address. An
 * address that names no account gets what an account there would inherit (its domain's
 * defaults, the cluster's); aliases are not followed.
 */
export async function effectiveSettings(
  reader: SettingsReader,
  target: AccountRecord | string,
): Promise<EffectiveSettings> {
  const address = typeof target === 'string' ? target : target.address;
  const [account, domain, cluster] = await Promise.all([
    typeof target === 'string' ? reader.getAccount(target) : target,
    reader.getDomain(domainOf(address)),
    reader.getClusterSettings(),
  ]);
  return settingsFromLevels({
    ...(account ? { account: account.settings } : {}),
    ...(domain ? { domain: domain.defaults } : {}),
    cluster,
  });
}
