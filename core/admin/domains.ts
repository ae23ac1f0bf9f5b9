/**
 * Domain use cases shared by the CLI and the admin API: add, list, get (with counts and its
 * defaults over the cluster's), update (mail-to-unknown policy, postmaster, defaults) and remove
 * (with its rule sets). Bad input → InvalidInputError naming the field; an unknown domain →
 * NotFoundAdminError; a duplicate → AlreadyExistsError and a non-empty domain without `force` →
 * DomainNotEmptyError (core/directory/errors.ts, kept from the adapters). Storage faults propagate.
 */
import { type EffectiveSettings, settingsFromLevels } from '../directory/effective-settings.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { DomainPatch, DomainRecord, MailToUnknown } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import type { PartialSettings } from '../settings/settings.ts';
import {
  checkHomeBackend,
  requireDomain,
  validAddress,
  validDomain,
  validMailToUnknown,
  validSettingsPatch,
} from './directory-input.ts';

/** A domain as both front ends show it (the stored record; nothing in it is secret). */
export type DomainView = DomainRecord;

export interface DomainDetail extends DomainView {
  readonly accounts: number;
  readonly aliases: number;
  readonly forwarders: number;
  /** What its accounts inherit: its defaults over the cluster's (levels domain and cluster). */
  readonly effective: EffectiveSettings;
}

/** A MailToUnknown as an object, or its text form: reject, discard, accept-and-bounce, reroute:<address>. */
export type MailToUnknownInput = MailToUnknown | string;

/** Settings in the operator grammar ("10M", "100/1h", "unlimited"; "default" clears one). */
export type SettingsInput = Readonly<Record<string, string | number | boolean>>;

type DirectoryDeps = Pick<Storage, 'directory'> & { readonly clock?: Clock };

export interface AddDomainInput {
  readonly name: string;
  /** Default: reject. */
  readonly mailToUnknown?: MailToUnknownInput;
  readonly postmaster?: string;
}

export async function addDomain(deps: DirectoryDeps, input: AddDomainInput): Promise<DomainView> {
  const name = validDomain(input.name, 'name');
  const mailToUnknown = validMailToUnknown(input.mailToUnknown ?? 'reject');
  const postmaster =
    input.postmaster !== undefined ? validAddress(input.postmaster, 'postmaster', 'address') : undefined;
  const record: DomainRecord = {
    name,
    mailToUnknown,
    defaults: {},
    ...(postmaster ? { postmaster } : {}),
    createdAt: (deps.clock ?? systemClock).now(),
  };
  await deps.directory.addDomain(record);
  return record;
}

/** Every domain, sorted by name (a cluster has few; no paging). */
export async function listDomains(deps: Pick<Storage, 'directory'>): Promise<DomainView[]> {
  const domains = await deps.directory.listDomains();
  return domains.sort((a, b) => a.name.localeCompare(b.name));
}

export async function getDomain(
  deps: Pick<Storage, 'directory'>,
  input: { readonly name: string },
): Promise<DomainDetail> {
  const name = validDomain(input.name, 'name');
  const record = await requireDomain(deps.directory, name);
  return detail(deps, record);
}

export interface UpdateDomainInput {
  readonly name: string;
  readonly mailToUnknown?: MailToUnknownInput;
  /** An address, or null to clear (the cluster's postmaster applies). */
  readonly postmaster?: string | null;
  /** Defaults for its accounts, merged into the stored ones ("default" clears one). */
  readonly defaults?: SettingsInput;
  /** Accept a HomeBackend that has never started. */
  readonly force?: boolean;
}

export async function updateDomain(
  deps: Pick<Storage, 'directory' | 'backends'>,
  input: UpdateDomainInput,
): Promise<DomainDetail> {
  const name = validDomain(input.name, 'name');
  const patch: { -readonly [K in keyof DomainPatch]: DomainPatch[K] } = {};
  if (input.mailToUnknown !== undefined) patch.mailToUnknown = validMailToUnknown(input.mailToUnknown);
  if (input.postmaster !== undefined) {
    patch.postmaster = input.postmaster === null ? null : validAddress(input.postmaster, 'postmaster');
  }
  const defaults = input.defaults !== undefined ? validSettingsPatch(input.defaults, 'defaults') : undefined;
  const record = await requireDomain(deps.directory, name);
  if (defaults) {
    await checkHomeBackend(deps.backends, defaults, input.force === true, 'defaults');
    // The full defaults with cleared keys present as undefined: correct whether the adapter
    // replaces the defaults or merges the patch with "undefined clears".
    patch.defaults = { ...record.defaults, ...defaults } as PartialSettings;
  }
  await deps.directory.updateDomain(name, patch);
  return detail(deps, await requireDomain(deps.directory, name));
}

export interface RemoveDomainInput {
  readonly name: string;
  /** Also remove every account, alias and forwarder in it. */
  readonly force?: boolean;
}

/** Removes the domain and its rule sets (with `force`, its accounts' too). */
export async function removeDomain(
  deps: Pick<Storage, 'directory' | 'rules'>,
  input: RemoveDomainInput,
): Promise<{ name: string; removed: true }> {
  const name = validDomain(input.name, 'name');
  const force = input.force === true;
  await requireDomain(deps.directory, name);
  const accounts = force ? await deps.directory.listAccounts(name) : [];
  await deps.directory.removeDomain(name, { force });
  await deps.rules.set({ kind: 'domain', name }, []);
  for (const a of accounts) await deps.rules.set({ kind: 'account', address: a.address }, []);
  return { name, removed: true };
}

async function detail(deps: Pick<Storage, 'directory'>, record: DomainRecord): Promise<DomainDetail> {
  const [accounts, aliases, forwarders, cluster] = await Promise.all([
    deps.directory.listAccounts(record.name),
    deps.directory.listAliases(record.name),
    deps.directory.listForwarders(record.name),
    deps.directory.getClusterSettings(),
  ]);
  return {
    ...record,
    accounts: accounts.length,
    aliases: aliases.length,
    forwarders: forwarders.length,
    effective: settingsFromLevels({ domain: record.defaults, cluster }),
  };
}
