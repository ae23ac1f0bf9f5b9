/**
 * Settings as an operator sees them: for each setting the effective value and the level it comes
 * from (core/directory/effective-settings.ts, the same answer mail handling uses), and the value
 * stored at each level shown. Used by `account show`, `domain show` and `cluster settings`.
 * Pure; never fails.
 */
import type { EffectiveSettings, SettingLevel, SettingSource } from '../core/directory/effective-settings.ts';
import {
  type AccountSettings,
  BUILTIN_SETTINGS,
  type PartialSettings,
  SETTING_NAMES,
  type SettingName,
} from '../core/settings/settings.ts';
import { formatSettingValue, formatTable } from './output.ts';

export interface SettingRow {
  readonly name: SettingName;
  readonly effective: AccountSettings[SettingName];
  readonly source: SettingSource;
  /** The value stored at each level shown (undefined = not set there). */
  readonly stored: Partial<Record<SettingLevel, AccountSettings[SettingName] | undefined>>;
}

/** One row per setting; `shown` are the levels whose stored values the view lists. */
export function settingRows(effective: EffectiveSettings, shown: readonly SettingLevel[]): SettingRow[] {
  return SETTING_NAMES.map((name) => {
    const stored: SettingRow['stored'] = {};
    for (const level of shown) stored[level] = effective.levels[level]?.[name];
    return { name, effective: effective.settings[name], source: effective.sources[name], stored };
  });
}

/** Table: SETTING, EFFECTIVE, FROM, then one column per level ("-" = not set there), BUILT-IN. */
export function formatSettingRows(rows: readonly SettingRow[], levels: readonly SettingLevel[]): string {
  return formatTable(
    ['SETTING', 'EFFECTIVE', 'FROM', ...levels.map((l) => l.toUpperCase()), 'BUILT-IN'],
    rows.map((r) => [
      r.name,
      formatSettingValue(r.name, r.effective),
      r.source,
      ...levels.map((l) => formatSettingValue(r.name, r.stored[l])),
      formatSettingValue(r.name, BUILTIN_SETTINGS[r.name]),
    ]),
  );
}

/** JSON shape: { Name: { effective, from, account?, domain?, cluster? } } with null for unset. */
export function settingRowsJson(rows: readonly SettingRow[]): Record<string, unknown> {
  return Object.fromEntries(
    rows.map((r) => [
      r.name,
      {
        effective: r.effective,
        from: r.source,
        ...Object.fromEntries(Object.entries(r.stored).map(([k, v]) => [k, v ?? null])),
        builtIn: BUILTIN_SETTINGS[r.name],
      },
    ]),
  );
}

/** "MaxAccountSize=10M, Enabled=false", or "none" when nothing is stored. */
export function formatStoredSettings(settings: PartialSettings): string {
  const set = SETTING_NAMES.filter((n) => settings[n] !== undefined);
  if (set.length === 0) return 'none';
  return set.map((n) => `${n}=${formatSettingValue(n, settings[n])}`).join(', ');
}
