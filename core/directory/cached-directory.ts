/**
 * A read-through cache in front of the directory for the hot delivery path (every message looks up
 * its domain, its names and the cluster settings; on DynamoDB each is a billed request). Entries
 * live `ttlMs` (runtime/open-storage.ts sets it), so a change made by another process is seen within that time; a
 * write through this instance clears the cache at once. Misses and faults pass straight through.
 */

import type { Clock } from '../ports/clock.ts';
import type {
  AccountPage,
  AccountPageQuery,
  AccountRecord,
  AliasRecord,
  DirectoryAdmin,
  DkimKeyRecord,
  DomainRecord,
  ForwarderRecord,
  MailToUnknown,
  NameEntry,
} from '../ports/directory.ts';
import type { PartialSettings } from '../settings/settings.ts';
import { TtlCache } from '../util/ttl-cache.ts';

export class CachedDirectory implements DirectoryAdmin {
  private readonly cache: TtlCache<unknown>;

  constructor(
    private readonly inner: DirectoryAdmin,
    clock: Clock,
    ttlMs: number,
    maxEntries = 50_000,
  ) {
    this.cache = new TtlCache(clock, ttlMs, maxEntries);
  }

  private read<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.get(key, load) as Promise<T>;
  }

  private async write<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } finally {
      this.cache.clear();
    }
  }

  getDomain(name: string): Promise<DomainRecord | undefined> {
    return this.read(`d:${name}`, () => this.inner.getDomain(name));
  }
  getAccount(address: string): Promise<AccountRecord | undefined> {
    return this.read(`a:${address}`, () => this.inner.getAccount(address));
  }
  lookupName(address: string): Promise<NameEntry | undefined> {
    return this.read(`n:${address}`, () => this.inner.lookupName(address));
  }
  aliasesOf(account: string): Promise<string[]> {
    return this.read(`al:${account}`, () => this.inner.aliasesOf(account));
  }
  getClusterSettings(): Promise<PartialSettings> {
    return this.read('c', () => this.inner.getClusterSettings());
  }
  dkimKeys(domain: string): Promise<DkimKeyRecord[]> {
    return this.read(`k:${domain}`, () => this.inner.dkimKeys(domain));
  }

  // Lists are operator views: always fresh.
  listDomains(): Promise<DomainRecord[]> {
    return this.inner.listDomains();
  }
  listAccounts(domain: string): Promise<AccountRecord[]> {
    return this.inner.listAccounts(domain);
  }
  listAccountsPage(domain: string, query: AccountPageQuery): Promise<AccountPage> {
    return this.inner.listAccountsPage(domain, query);
  }
  listAliases(domain: string): Promise<AliasRecord[]> {
    return this.inner.listAliases(domain);
  }
  listForwarders(domain: string): Promise<ForwarderRecord[]> {
    return this.inner.listForwarders(domain);
  }

  addDomain(domain: DomainRecord): Promise<void> {
    return this.write(() => this.inner.addDomain(domain));
  }
  updateDomain(
    name: string,
    patch: { mailToUnknown?: MailToUnknown; defaults?: PartialSettings },
  ): Promise<void> {
    return this.write(() => this.inner.updateDomain(name, patch));
  }
  removeDomain(name: string, opts?: { force?: boolean }): Promise<void> {
    return this.write(() => this.inner.removeDomain(name, opts));
  }
  addAccount(account: AccountRecord): Promise<void> {
    return this.write(() => this.inner.addAccount(account));
  }
  removeAccount(address: string): Promise<void> {
    return this.write(() => this.inner.removeAccount(address));
  }
  setPasswordHash(address: string, hash: string): Promise<void> {
    return this.write(() => this.inner.setPasswordHash(address, hash));
  }
  updateAccountSettings(address: string, patch: PartialSettings): Promise<void> {
    return this.write(() => this.inner.updateAccountSettings(address, patch));
  }
  addAlias(alias: AliasRecord): Promise<void> {
    return this.write(() => this.inner.addAlias(alias));
  }
  removeAlias(address: string): Promise<void> {
    return this.write(() => this.inner.removeAlias(address));
  }
  addForwarder(forwarder: ForwarderRecord): Promise<void> {
    return this.write(() => this.inner.addForwarder(forwarder));
  }
  removeForwarder(address: string): Promise<void> {
    return this.write(() => this.inner.removeForwarder(address));
  }
  updateClusterSettings(patch: PartialSettings): Promise<void> {
    return this.write(() => this.inner.updateClusterSettings(patch));
  }
  addDkimKey(key: DkimKeyRecord, opts?: { retireOthers?: boolean }): Promise<void> {
    return this.write(() => this.inner.addDkimKey(key, opts));
  }
  removeDkimKey(domain: string, selector: string): Promise<void> {
    return this.write(() => this.inner.removeDkimKey(domain, selector));
  }
}
