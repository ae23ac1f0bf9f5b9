/**
 * Directory ports: domains, accounts, aliases, forwarders, credentials and settings.
 * Two ports: `DirectoryReader`, the point reads intake, queue processing and delivery make, and
 * `DirectoryAdmin`, which adds the listings and writes of administration (CLI, seeding). Adapters
 * implement the admin port; use cases ask only for the reader, so they cannot change the directory.
 * Addresses are stored normalised (see mail/address.ts): lower-case domain and local part.
 * Accounts, aliases and forwarders share one namespace per domain (a name is one of them).
 * Adapters throw the errors in directory/errors.ts for conflicts; storage faults propagate as-is.
 */
import type { PartialSettings } from '../settings/settings.ts';

/** What happens to mail for an unknown name in a domain (the cluster model's MailToUnknown). */
export type MailToUnknown =
  | { readonly action: 'reject' }
  | { readonly action: 'discard' }
  | { readonly action: 'reroute'; readonly to: string }
  | { readonly action: 'accept-and-bounce' };

export interface DomainRecord {
  readonly name: string;
  readonly mailToUnknown: MailToUnknown;
  /** Defaults for the domain's accounts (the middle level of inheritance). */
  readonly defaults: PartialSettings;
  /**
   * Where postmaster@<this domain> goes when the domain has no name `postmaster` (RFC 5321
   * §4.5.1), normalised; absent = the cluster's postmaster (STRATO_POSTMASTER).
   */
  readonly postmaster?: string;
  readonly createdAt: number;
}

export interface AccountRecord {
  /** Full normalised address, e.g. "alice@example.com". */
  readonly address: string;
  readonly domain: string;
  readonly name: string;
  readonly realName?: string;
  /** scrypt hash in the format of auth/password.ts; absent = cannot authenticate. */
  readonly passwordHash?: string;
  readonly settings: PartialSettings;
  readonly createdAt: number;
}

export interface AliasRecord {
  readonly address: string;
  /** The account address the alias names. */
  readonly account: string;
}

export interface ForwarderRecord {
  readonly address: string;
  /** Where all mail for the name goes (local or external address). */
  readonly target: string;
}

export type DkimAlgorithm = 'rsa' | 'ed25519';

/**
 * A domain's DKIM signing key. The active key (the newest one in state `active`) signs; a
 * `retired` key stays stored (its DNS record still published) until an operator removes it.
 * `privateKeyPem` is secret: it is never printed or logged, only the public part derived from it.
 */
export interface DkimKeyRecord {
  readonly domain: string;
  /** The DNS label before `._domainkey.<domain>`. */
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  readonly createdAt: number;
  readonly state: 'active' | 'retired';
}

/** What a name in a local domain is. */
export type NameEntry =
  | { readonly kind: 'account'; readonly account: AccountRecord }
  | { readonly kind: 'alias'; readonly alias: AliasRecord }
  | { readonly kind: 'forwarder'; readonly forwarder: ForwarderRecord };

/** A change to a domain record; a field left out is kept. */
export interface DomainPatch {
  readonly mailToUnknown?: MailToUnknown;
  readonly defaults?: PartialSettings;
  /** A new postmaster target; null clears it. */
  readonly postmaster?: string | null;
}

/** A page request of `listAccountsPage`. */
export interface AccountPageQuery {
  readonly limit: number;
  readonly prefix?: string;
  readonly after?: string;
}

export interface AccountPage {
  readonly items: AccountRecord[];
  /** The address to pass as `after` for the next page; absent when there is none. */
  readonly nextAfter?: string;
}

/** What mail handling reads: one record at a time, by name. */
export interface DirectoryReader {
  getDomain(name: string): Promise<DomainRecord | undefined>;
  getAccount(address: string): Promise<AccountRecord | undefined>;
  /** One read that says what a local name is, or undefined when it is none of them. */
  lookupName(address: string): Promise<NameEntry | undefined>;
  /** The addresses of the aliases naming `account` (any domain), sorted; [] for none or no account. */
  aliasesOf(account: string): Promise<string[]>;
  /** The cluster-wide defaults (the last level of inheritance before the built-in values). */
  getClusterSettings(): Promise<PartialSettings>;
  /** The domain's DKIM keys, oldest first; [] for none or an unknown domain. */
  dkimKeys(domain: string): Promise<DkimKeyRecord[]>;
}

/** Administration: the reader plus listings and every write. */
export interface DirectoryAdmin extends DirectoryReader {
  addDomain(domain: DomainRecord): Promise<void>;
  listDomains(): Promise<DomainRecord[]>;
  /** `postmaster: null` clears the domain's postmaster target. */
  updateDomain(name: string, patch: DomainPatch): Promise<void>;
  /** Removes a domain; with `force` also every name in it, else DomainNotEmptyError. */
  removeDomain(name: string, opts?: { force?: boolean }): Promise<void>;

  addAccount(account: AccountRecord): Promise<void>;
  listAccounts(domain: string): Promise<AccountRecord[]>;
  /**
   * One page of a domain's accounts in address order, read from an index (no full listing):
   * at most `limit` accounts whose address starts with `prefix` (normalised; none = all) and
   * sorts after `after` (the `nextAfter` of the previous page). `nextAfter` is absent on the
   * last page. An unknown domain yields an empty page.
   */
  listAccountsPage(domain: string, query: AccountPageQuery): Promise<AccountPage>;
  removeAccount(address: string): Promise<void>;
  setPasswordHash(address: string, hash: string): Promise<void>;
  /** Merge `patch` into the account's settings; a key set to undefined is cleared (inherited again). */
  updateAccountSettings(address: string, patch: PartialSettings): Promise<void>;

  addAlias(alias: AliasRecord): Promise<void>;
  removeAlias(address: string): Promise<void>;
  listAliases(domain: string): Promise<AliasRecord[]>;

  addForwarder(forwarder: ForwarderRecord): Promise<void>;
  removeForwarder(address: string): Promise<void>;
  listForwarders(domain: string): Promise<ForwarderRecord[]>;

  updateClusterSettings(patch: PartialSettings): Promise<void>;

  /**
   * Stores a DKIM key (NotFoundError for an unknown domain, AlreadyExistsError for a selector the
   * domain has); with `retireOthers` every other active key of the domain is retired at once.
   */
  addDkimKey(key: DkimKeyRecord, opts?: { retireOthers?: boolean }): Promise<void>;
  /** Removes one DKIM key (NotFoundError when the domain has no such selector). */
  removeDkimKey(domain: string, selector: string): Promise<void>;
}
