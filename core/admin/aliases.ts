/**
 * Alias use cases shared by the CLI and the admin API: add (another name in a local domain for
 * an existing account), remove, list a domain's. Bad addresses → InvalidInputError; an unknown
 * domain or account, or removing a name that is not an alias → NotFoundAdminError; a name
 * already taken → AlreadyExistsError (core/directory/errors.ts). Storage faults propagate.
 */
import { domainOf } from '../mail/address.ts';
import type { AliasRecord } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import {
  requireAccount,
  requireDomain,
  requireEntryOfKind,
  validAddress,
  validDomain,
} from './directory-input.ts';

type Deps = Pick<Storage, 'directory'>;

export type AliasView = AliasRecord;

export async function addAlias(
  deps: Deps,
  input: { readonly address: string; readonly account: string },
): Promise<AliasView> {
  const address = validAddress(input.address, 'address', 'alias');
  const account = validAddress(input.account, 'account', 'account address');
  await requireDomain(deps.directory, domainOf(address));
  await requireAccount(deps.directory, account);
  await deps.directory.addAlias({ address, account });
  return { address, account };
}

export async function removeAlias(
  deps: Deps,
  input: { readonly address: string },
): Promise<{ address: string; removed: true }> {
  const address = validAddress(input.address, 'address', 'alias');
  await requireEntryOfKind(deps.directory, address, 'alias');
  await deps.directory.removeAlias(address);
  return { address, removed: true };
}

/** The domain's aliases sorted by address. */
export async function listAliases(deps: Deps, input: { readonly domain: string }): Promise<AliasView[]> {
  const domain = validDomain(input.domain, 'domain');
  await requireDomain(deps.directory, domain);
  const aliases = await deps.directory.listAliases(domain);
  return aliases.sort((a, b) => a.address.localeCompare(b.address));
}
