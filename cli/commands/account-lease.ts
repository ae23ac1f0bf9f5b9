/**
 * `strato account where <address>`: which backend has the account open (lease owner, epoch,
 * expiry, whether the owner is live) and its HomeBackend with the level it comes from.
 * `strato account release <address>`: force-release a stuck lease, fenced by the epoch read
 * (or given with --epoch): a lease that is not held (none, or expired) or that changed hands
 * meanwhile is a one-line error, exit 1, and nothing changes. An alias answers for its account.
 * The use cases are core/admin/leases.ts; this file parses and prints.
 */
import type { Command } from 'commander';
import { LeaseConflictError, releaseAccountLease, whereIsAccount } from '../../core/admin/leases.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatFields, formatRelative, formatTime } from '../output.ts';
import * as parse from '../parse.ts';

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

async function showWhere(ctx: CliContext, input: string): Promise<void> {
  const now = Date.now();
  const json = await whereIsAccount(await ctx.storage(), parse.address(input), now);
  const { account, lease } = json;
  const held = lease?.held === true;
  const ownerLive = lease?.ownerLive === true;
  const { backend: home, from: homeFrom, live: homeLive, registered: homeRegistered } = json.home;
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
  const now = Date.now();
  const released = await releaseAccountLease(await ctx.storage(), address, expected, now).catch(
    (err: unknown) => {
      throw err instanceof LeaseConflictError ? refusal(err, now) : err;
    },
  );
  const { account, owner, epoch } = released;
  ctx.out.resultLine(
    released,
    `account ${account}: lease of ${owner} (epoch ${epoch}) released; the next delivery opens it anew`,
  );
}

/** The refusal worded as before (relative times). */
function refusal(err: LeaseConflictError, now: number): CliError {
  const { account, lease } = err;
  if (err.reason !== 'not-held' || !lease) return new CliError(err.message);
  return new CliError(
    `account ${account} is not held: its lease (owner ${lease.owner}, epoch ${lease.epoch}) expired ${formatRelative(lease.expiresAt, now)}; nothing to release`,
  );
}
