/**
 * The directory look-ups several command groups share: a domain or account that must exist, and
 * a name that must be an alias or a forwarder (not some other kind of entry). Each fails with a
 * CliError (exit 1) worded for the operator.
 */
import type { AccountRecord, DomainRecord } from '../../core/ports/directory.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { CliError } from '../errors.ts';

export async function requireDomain(storage: Storage, name: string): Promise<DomainRecord> {
  const record = await storage.directory.getDomain(name);
  if (!record) throw new CliError(`domain ${name} does not exist`);
  return record;
}

export async function requireAccount(storage: Storage, address: string): Promise<AccountRecord> {
  const record = await storage.directory.getAccount(address);
  if (!record) throw new CliError(`account ${address} does not exist`);
  return record;
}

type EntryKind = 'account' | 'alias' | 'forwarder';

function article(kind: EntryKind): string {
  return kind === 'account' ? 'an account' : kind === 'alias' ? 'an alias' : 'a forwarder';
}

/** Fails unless `address` is an entry of `kind`; the message names what it is instead, if anything. */
export async function requireEntryOfKind(
  storage: Storage,
  address: string,
  kind: 'alias' | 'forwarder',
): Promise<void> {
  const entry = await storage.directory.lookupName(address);
  if (entry?.kind !== kind) {
    throw new CliError(`${kind} ${address} does not exist${entry ? ` (it is ${article(entry.kind)})` : ''}`);
  }
}
