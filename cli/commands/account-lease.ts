/**
 * `strato account where <address>`: which backend has the account open (lease owner, epoch,
 * expiry, whether the owner is live) and its HomeBackend with the level it comes from.
 * `strato account release <address>`: force-release a stuck lease, fenced by the epoch read
 * (or given with --epoch): a lease that is not held (none, or expired) or that changed hands
 * meanwhile is a one-line error, exit 1, and nothing changes. An alias answers for its account.
 */
import type { Command } from 'commander';
import { effectiveSettings } from '../../core/directory/effective-settings.ts';
import type { Lease } from '../../core/ports/account-leases.ts';
import type { Storage } from '../../core/ports/storage.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatFields, formatRelative, formatTime } from '../output.ts';
import * as parse from '../parse.ts';
import { requireAccount } from './lookups.ts';

export function registerAccountLease(group: Command, ctx: CliContext): void {
  group
    .command('where')
    .description('show which backend has the account open (lease owner, epoch, expiry) and its home backend')
    .argument('<address>', 'account address (or an alias of it)')
    .action((input: string) => showWhere(ctx, input));
  group
    .command('release')
    .description(
      "force-release the account's lease (a stuck owner), fenced by its epoch; another backend may then open it",
    )
    .argument('<address>', 'account address (or an alias of it)')
    .option('--epoch <n>', 'release only if the lease still has this epoch (as `account where` showed)')
    .action((input: string, opts: { epoch?: string }) => releaseLease(ctx, input, opts));
}

/** The account an address names: itself, or the account of an alias. */
async function accountOf(storage: Storage, address: string): Promise<string> {
  const entry = await storage.directory.lookupName(address);
  const account = entry?.kind === 'alias' ? entry.alias.account : address;
  await requireAccount(storage, account);
  return account;
}

const isHeld = (lease: Lease | undefined, now: number): lease is Lease => !!lease && lease.expiresAt > now;

async function showWhere(ctx: CliContext, input: string): Promise<void> {
  const storage = await ctx.storage();
  const account = await accountOf(storage, parse.address(input));
  const [lease, live, all, effective] = await Promise.all([
    storage.leases.get(account),
    storage.backends.listLive(),
    storage.backends.listAll(),
    effectiveSettings(storage.directory, account),
  ]);
  const now = Date.now();
  const held = isHeld(lease, now);
  const ownerLive = !!lease && live.some((b) => b.id === lease.owner);
  const home = effective.settings.HomeBackend;
  const homeFrom = effective.sources.HomeBackend;
  const homeLive = home !== null && live.some((b) => b.id === home);
  const homeRegistered = home !== null && all.some((b) => b.id === home);
  const json = {
    account,
    lease: lease
      ? { owner: lease.owner, epoch: lease.epoch, expiresAt: lease.expiresAt, held, ownerLive }
      : null,
    home: { backend: home, from: homeFrom, live: homeLive, registered: homeRegistered },
  };
  ctx.out.result(json, () => {
    const expiry = lease
      ? `${formatTime(lease.expiresAt)} (${held ? 'expires' : 'expired'} ${formatRelative(lease.expiresAt, now)})`
      : '-';
    ctx.out.line(
      formatFields([
        ['Account', account],
        [
          'Owner',
          lease
            ? `${lease.owner} (${ownerLive ? 'live' : 'not live'}${held ? '' : ', lease expired'})`
            : '- (never opened)',
        ],
        ['Epoch', lease ? String(lease.epoch) : '-'],
        ['Lease', expiry],
        [
          'Home backend',
          home === null
            ? `none (from ${homeFrom}): the lease owner or rendezvous hashing decides`
            : `${home} (from ${homeFrom}; ${homeLive ? 'live' : homeRegistered ? 'down' : 'never registered'})`,
        ],
      ]),
    );
  });
}

async function releaseLease(ctx: CliContext, input: string, opts: { epoch?: string }): Promise<void> {
  const address = parse.address(input);
  const expected = opts.epoch === undefined ? undefined : parse.positiveInt(opts.epoch, 'epoch');
  const storage = await ctx.storage();
  const account = await accountOf(storage, address);
  const lease = await storage.leases.get(account);
  const now = Date.now();
  if (!lease || lease.expiresAt <= now) {
    const why = lease
      ? `its lease (owner ${lease.owner}, epoch ${lease.epoch}) expired ${formatRelative(lease.expiresAt, now)}`
      : 'no backend has ever opened it';
    throw new CliError(`account ${account} is not held: ${why}; nothing to release`);
  }
  if (expected !== undefined && expected !== lease.epoch) {
    throw new CliError(
      `account ${account}: the lease has epoch ${lease.epoch} now, not ${expected}; nothing released`,
    );
  }
  if (!(await storage.leases.forceRelease(account, lease.epoch))) {
    throw new CliError(
      `account ${account}: the lease changed while releasing it (epoch ${lease.epoch} no longer held); nothing released`,
    );
  }
  ctx.out.resultLine(
    { account, released: true, owner: lease.owner, epoch: lease.epoch },
    `account ${account}: lease of ${lease.owner} (epoch ${lease.epoch}) released; the next delivery opens it anew`,
  );
}
