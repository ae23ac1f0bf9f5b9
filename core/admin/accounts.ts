/**
 * Account use cases shared by the CLI and the admin API: add (hashing the password with
 * core/auth/password.ts), list a domain's accounts a page at a time, get (stored settings, the
 * effective ones and the level each comes from, its aliases), set the password, update settings,
 * remove (with its aliases and rule set). Views never hold the hash, only `hasPassword`.
 * Bad input → InvalidInputError naming the field; an unknown domain or account →
 * NotFoundAdminError; a name already taken → AlreadyExistsError (core/directory/errors.ts, from
 * the adapters). Storage faults propagate.
 */
import { hashPassword } from '../auth/password.ts';
import { type EffectiveSettings, effectiveSettings } from '../directory/effective-settings.ts';
import { NotFoundError } from '../directory/errors.ts';
import { domainOf } from '../mail/address.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { AccountRecord } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import type { PartialSettings } from '../settings/settings.ts';
import {
  checkHomeBackend,
  requireAccount,
  requireDomain,
  validAddress,
  validDomain,
  validLimit,
  validPassword,
  validSettingsPatch,
} from './directory-input.ts';
import type { SettingsInput } from './domains.ts';
import { InvalidInputError } from './errors.ts';

export interface AccountView {
  readonly address: string;
  readonly domain: string;
  readonly name: string;
  readonly realName?: string;
  /** The settings stored on the account itself. */
  readonly settings: PartialSettings;
  readonly createdAt: number;
  readonly hasPassword: boolean;
}

export interface AccountDetail extends AccountView {
  /** The aliases naming it (any domain), sorted. */
  readonly aliases: string[];
  /** Effective value of every setting and the level it comes from (account, domain, cluster, built-in). */
  readonly effective: EffectiveSettings;
}

export function accountView(record: AccountRecord): AccountView {
  const { passwordHash, ...rest } = record;
  return { ...rest, hasPassword: passwordHash !== undefined };
}

type DirectoryDeps = Pick<Storage, 'directory'>;

export interface AddAccountInput {
  readonly address: string;
  /** Absent: the account cannot authenticate until one is set. */
  readonly password?: string;
  readonly realName?: string;
}

export async function addAccount(
  deps: DirectoryDeps & { readonly clock?: Clock },
  input: AddAccountInput,
): Promise<AccountView> {
  const address = validAddress(input.address, 'address');
  const password = input.password !== undefined ? validPassword(input.password) : undefined;
  const realName = input.realName !== undefined ? validRealName(input.realName) : undefined;
  const domain = domainOf(address);
  await requireDomain(deps.directory, domain);
  const record: AccountRecord = {
    address,
    domain,
    name: address.slice(0, address.length - domain.length - 1),
    ...(realName !== undefined ? { realName } : {}),
    ...(password !== undefined ? { passwordHash: await hashPassword(password) } : {}),
    settings: {},
    createdAt: (deps.clock ?? systemClock).now(),
  };
  await deps.directory.addAccount(record);
  return accountView(record);
}

export const ACCOUNT_PAGE_DEFAULT = 100;
export const ACCOUNT_PAGE_MAX = 1000;

export interface ListAccountsInput {
  readonly domain: string;
  /** Address prefix, case-insensitive ("al" finds alice@ and alan@); absent = every account. */
  readonly search?: string;
  /** 1..1000, default 100. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page (with the same search). */
  readonly cursor?: string;
}

export interface AccountList {
  readonly items: AccountView[];
  /** Present when another page follows. Opaque. */
  readonly nextCursor?: string;
}

/**
 * A page of a domain's accounts in address order, read from the directory's index (stays fast
 * with tens of thousands of accounts). The search is an address prefix: index-friendly in both
 * stores, unlike a substring.
 */
export async function listAccounts(deps: DirectoryDeps, input: ListAccountsInput): Promise<AccountList> {
  const domain = validDomain(input.domain, 'domain');
  const limit = validLimit(input.limit, ACCOUNT_PAGE_DEFAULT, ACCOUNT_PAGE_MAX);
  const search = validSearch(input.search);
  const after = input.cursor !== undefined ? decodeCursor(input.cursor, search) : undefined;
  await requireDomain(deps.directory, domain);
  const page = await deps.directory.listAccountsPage(domain, {
    limit,
    ...(search ? { prefix: search } : {}),
    ...(after !== undefined ? { after } : {}),
  });
  const items = page.items.map(accountView);
  return page.nextAfter !== undefined
    ? { items, nextCursor: encodeCursor(page.nextAfter, search) }
    : { items };
}

export async function getAccount(
  deps: DirectoryDeps,
  input: { readonly address: string },
): Promise<AccountDetail> {
  const address = validAddress(input.address, 'address');
  return detail(deps, await requireAccount(deps.directory, address));
}

export async function setAccountPassword(
  deps: DirectoryDeps,
  input: { readonly address: string; readonly password: string },
): Promise<{ address: string; hasPassword: true }> {
  const address = validAddress(input.address, 'address');
  const password = validPassword(input.password);
  await requireAccount(deps.directory, address);
  await deps.directory.setPasswordHash(address, await hashPassword(password));
  return { address, hasPassword: true };
}

export interface UpdateAccountSettingsInput {
  readonly address: string;
  /** Merged into the stored settings; "default" clears one (inherited again). */
  readonly settings: SettingsInput;
  /** Accept a HomeBackend that has never started. */
  readonly force?: boolean;
}

export async function updateAccountSettings(
  deps: Pick<Storage, 'directory' | 'backends'>,
  input: UpdateAccountSettingsInput,
): Promise<AccountDetail> {
  const address = validAddress(input.address, 'address');
  const patch = validSettingsPatch(input.settings, 'settings');
  await requireAccount(deps.directory, address);
  await checkHomeBackend(deps.backends, patch, input.force === true, 'settings');
  await deps.directory.updateAccountSettings(address, patch);
  return detail(deps, await requireAccount(deps.directory, address));
}

export interface RemovedAccount {
  readonly address: string;
  readonly removed: true;
  readonly removedAliases: string[];
}

/** Removes the account, the aliases naming it and its rule set (stored mailbox data is kept). */
export async function removeAccount(
  deps: Pick<Storage, 'directory' | 'rules'>,
  input: { readonly address: string },
): Promise<RemovedAccount> {
  const address = validAddress(input.address, 'address');
  await requireAccount(deps.directory, address);
  const aliases = await deps.directory.aliasesOf(address);
  await deps.directory.removeAccount(address);
  // Aliases name an account; they go with it (the adapter may already have removed them).
  for (const alias of aliases) {
    await deps.directory.removeAlias(alias).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }
  // A new account of that name must not inherit its rules.
  await deps.rules.set({ kind: 'account', address }, []);
  return { address, removed: true, removedAliases: aliases };
}

async function detail(deps: DirectoryDeps, record: AccountRecord): Promise<AccountDetail> {
  const [effective, aliases] = await Promise.all([
    effectiveSettings(deps.directory, record),
    deps.directory.aliasesOf(record.address),
  ]);
  return { ...accountView(record), aliases, effective };
}

function validRealName(input: unknown): string {
  if (typeof input !== 'string') throw new InvalidInputError('realName', 'realName must be a string');
  if (input.length > 200 || /\p{Cc}/u.test(input)) {
    throw new InvalidInputError(
      'realName',
      'the real name must be at most 200 characters, without control characters',
    );
  }
  return input;
}

function validSearch(input: unknown): string | undefined {
  if (input === undefined || input === '') return undefined;
  if (typeof input !== 'string' || input.length > 254 || /[\s\p{Cc}]/u.test(input)) {
    throw new InvalidInputError('search', 'search must be the start of an address, without spaces');
  }
  return input.toLowerCase();
}

/** base64url of {"a": last address, "s": search}: the search is bound so a page cannot mix two. */
function encodeCursor(after: string, search: string | undefined): string {
  return Buffer.from(JSON.stringify({ a: after, s: search ?? '' }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, search: string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { a, s } = (parsed ?? {}) as { a?: unknown; s?: unknown };
  if (typeof a !== 'string' || typeof s !== 'string') {
    throw new InvalidInputError('cursor', 'invalid cursor: pass the nextCursor of the previous page');
  }
  if (s !== (search ?? '')) {
    throw new InvalidInputError('cursor', 'the cursor belongs to another search: start again without it');
  }
  return a;
}
