/**
 * Item layout of the DynamoDB directory: keys, the mapping between items and directory records,
 * and the update expression that merges a settings patch into a map attribute in place (a key
 * patched to undefined is REMOVEd, so the setting is inherited again). Pure functions, no I/O.
 * Failure: a malformed address throws InvalidAddressError.
 */
import { InvalidAddressError } from '../../core/directory/errors.ts';
import type {
  AccountRecord,
  AliasRecord,
  DomainRecord,
  ForwarderRecord,
  MailToUnknown,
  NameEntry,
} from '../../core/ports/directory.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';

export type Item = Record<string, unknown>;
export type Kind = 'account' | 'alias' | 'forwarder';
export interface Key {
  readonly pk: string;
  readonly sk: string;
}

/** The domain item: getDomain; its `names` attribute counts the names in the domain. */
export function domainKey(domain: string): Key {
  return { pk: `domain#${domain}`, sk: 'domain' };
}

/** A name lives in its domain's partition: lookupName is one GetItem, listing one Query. */
export function nameKey(address: string): Key {
  return { pk: `domain#${domainOf(address)}`, sk: `name#${address}` };
}

export const NAME_PREFIX = 'name#';
export const CLUSTER_KEY: Key = { pk: 'cluster', sk: 'settings' };
/** listPk of domain items in the sparse `list` GSI. */
export const DOMAINS_LIST = 'domains';

export function lower(text: string): string {
  return text.toLowerCase();
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** Lower-case and check "local@domain" (the same rule as the embedded directory). */
export function splitAddress(input: string): { address: string; domain: string } {
  const address = lower(input);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new InvalidAddressError(input, 'must be local@domain');
  return { address, domain: address.slice(at + 1) };
}

export function domainItem(domain: DomainRecord): Item {
  const name = lower(domain.name);
  return {
    ...domainKey(name),
    listPk: DOMAINS_LIST,
    listSk: name,
    name,
    mailToUnknown: domain.mailToUnknown,
    defaults: domain.defaults ?? {},
    ...(domain.postmaster ? { postmaster: domain.postmaster } : {}),
    createdAt: domain.createdAt,
    names: 0,
  };
}

export function toDomain(item: Item): DomainRecord {
  return {
    name: String(item.name),
    mailToUnknown: item.mailToUnknown as MailToUnknown,
    defaults: (item.defaults ?? {}) as PartialSettings,
    ...(typeof item.postmaster === 'string' ? { postmaster: item.postmaster } : {}),
    createdAt: Number(item.createdAt),
  };
}

export function accountItem(account: AccountRecord, address: string): Item {
  return {
    ...nameKey(address),
    kind: 'account',
    address,
    realName: account.realName,
    passwordHash: account.passwordHash,
    settings: account.settings ?? {},
    createdAt: account.createdAt,
  };
}

export function toAccount(item: Item): AccountRecord {
  const address = String(item.address);
  const domain = domainOf(address);
  const record: { -readonly [K in keyof AccountRecord]: AccountRecord[K] } = {
    address,
    domain,
    name: address.slice(0, address.length - domain.length - 1),
    settings: (item.settings ?? {}) as PartialSettings,
    createdAt: Number(item.createdAt),
  };
  if (typeof item.realName === 'string') record.realName = item.realName;
  if (typeof item.passwordHash === 'string') record.passwordHash = item.passwordHash;
  return record;
}

export function toAlias(item: Item): AliasRecord {
  return { address: String(item.address), account: String(item.account) };
}

export function toForwarder(item: Item): ForwarderRecord {
  return { address: String(item.address), target: String(item.target) };
}

export function toNameEntry(item: Item): NameEntry | undefined {
  switch (item.kind) {
    case 'account':
      return { kind: 'account', account: toAccount(item) };
    case 'alias':
      return { kind: 'alias', alias: toAlias(item) };
    case 'forwarder':
      return { kind: 'forwarder', forwarder: toForwarder(item) };
    default:
      return undefined;
  }
}

/** The aliases an account item lists (a string set; absent when there are none). */
export function aliasesOf(item: Item): string[] {
  const set = item.aliases;
  return set instanceof Set ? [...(set as Set<string>)].sort() : [];
}

/** SET/REMOVE clauses, names and values that merge `patch` into the map attribute `map`. */
export interface SettingsUpdate {
  readonly set: string[];
  readonly remove: string[];
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

export function settingsUpdate(map: string, patch: PartialSettings, tag = 's'): SettingsUpdate {
  const keys = Object.keys(patch);
  // DynamoDB refuses placeholders an expression does not use: no keys, no names.
  const out: SettingsUpdate = {
    set: [],
    remove: [],
    names: keys.length ? { [`#${tag}map`]: map } : {},
    values: {},
  };
  keys.forEach((key, i) => {
    const value = (patch as Record<string, unknown>)[key];
    out.names[`#${tag}${i}`] = key;
    if (value === undefined) out.remove.push(`#${tag}map.#${tag}${i}`);
    else {
      out.set.push(`#${tag}map.#${tag}${i} = :${tag}${i}`);
      out.values[`:${tag}${i}`] = value;
    }
  });
  return out;
}

/** "SET a, b REMOVE c" from clause lists (empty lists are left out). */
export function updateExpression(set: readonly string[], remove: readonly string[]): string {
  return [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
}

/** Merge a settings patch in memory: an undefined value deletes the key. */
export function mergeSettings(current: PartialSettings, patch: PartialSettings): PartialSettings {
  const out: Record<string, unknown> = { ...current };
  for (const key of Object.keys(patch)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out as PartialSettings;
}
