/**
 * Forwarder use cases shared by the CLI and the admin API: add (all mail for a name in a local
 * domain goes to another address, local or external), remove, list a domain's. Bad addresses or
 * a forwarder to itself → InvalidInputError; an unknown domain, or removing a name that is not a
 * forwarder → NotFoundAdminError; a name already taken → AlreadyExistsError
 * (core/directory/errors.ts). Storage faults propagate.
 */
import { domainOf } from '../mail/address.ts';
import type { ForwarderRecord } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import { requireDomain, requireEntryOfKind, validAddress, validDomain } from './directory-input.ts';
import { InvalidInputError } from './errors.ts';

type Deps = Pick<Storage, 'directory'>;

export type ForwarderView = ForwarderRecord;

export async function addForwarder(
  deps: Deps,
  input: { readonly address: string; readonly target: string },
): Promise<ForwarderView> {
  const address = validAddress(input.address, 'address');
  const target = validAddress(input.target, 'target', 'target address');
  if (address === target)
    throw new InvalidInputError('target', `forwarder ${address} cannot forward to itself`);
  await requireDomain(deps.directory, domainOf(address));
  await deps.directory.addForwarder({ address, target });
  return { address, target };
}

export async function removeForwarder(
  deps: Deps,
  input: { readonly address: string },
): Promise<{ address: string; removed: true }> {
  const address = validAddress(input.address, 'address');
  await requireEntryOfKind(deps.directory, address, 'forwarder');
  await deps.directory.removeForwarder(address);
  return { address, removed: true };
}

/** The domain's forwarders sorted by address. */
export async function listForwarders(
  deps: Deps,
  input: { readonly domain: string },
): Promise<ForwarderView[]> {
  const domain = validDomain(input.domain, 'domain');
  await requireDomain(deps.directory, domain);
  const forwarders = await deps.directory.listForwarders(domain);
  return forwarders.sort((a, b) => a.address.localeCompare(b.address));
}
