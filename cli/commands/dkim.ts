/**
 * `strato dkim ...`: generate, show, rotate and remove a domain's DKIM signing keys (RSA-2048 or
 * Ed25519, stored in the directory). Each prints the DNS TXT record to publish; private keys are
 * never printed, not even with --json. Input (domain, algorithm, selector) is validated before
 * the data dir is opened (exit 2); an unknown domain, a taken selector, generating where a key
 * exists, rotating where none does, or removing the active key exits 1 with nothing changed.
 */
import type { Command } from 'commander';
import * as dkim from '../../core/admin/dkim.ts';
import { DKIM_ALGORITHMS, formatTxtRecord, selectorProblem } from '../../core/dkim/dkim-keys.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatTime } from '../output.ts';
import * as parse from '../parse.ts';

interface KeyOptions {
  readonly algorithm?: string;
  readonly selector?: string;
}

export function registerDkim(program: Command, ctx: CliContext): void {
  const dkim = program
    .command('dkim')
    .description("manage a domain's DKIM signing keys and print the DNS records to publish");
  keyCommand(dkim, 'generate', "make the domain's first DKIM key (it signs at once)", (d, o) =>
    generate(ctx, d, o),
  );
  dkim
    .command('show')
    .description("show the domain's DKIM keys and the TXT record of each")
    .argument('<domain>', 'domain name')
    .action((domain: string) => show(ctx, domain));
  keyCommand(
    dkim,
    'rotate',
    'make a new key with a new selector; it signs from now on, the old one retires',
    (d, o) => rotate(ctx, d, o),
  );
  dkim
    .command('remove')
    .description('remove a retired key (once its TXT record is no longer needed)')
    .argument('<domain>', 'domain name')
    .argument('<selector>', 'selector of the retired key')
    .action((domain: string, selector: string) => remove(ctx, domain, selector));
}

function keyCommand(
  group: Command,
  name: string,
  description: string,
  run: (domain: string, opts: KeyOptions) => Promise<void>,
): void {
  group
    .command(name)
    .description(description)
    .argument('<domain>', 'domain name')
    .option('--algorithm <algorithm>', 'rsa (RSA-2048) or ed25519; rotate keeps the current one by default')
    .option('--selector <selector>', 'DNS selector (default: <algorithm>-<yyyymmdd>)')
    .action(run);
}

function checkedInput(domainInput: string, opts: KeyOptions) {
  const domain = parse.domain(domainInput);
  const algorithm =
    opts.algorithm === undefined ? undefined : parse.oneOf(opts.algorithm, DKIM_ALGORITHMS, 'algorithm');
  const selector = opts.selector?.toLowerCase();
  const problem = selector === undefined ? undefined : selectorProblem(selector);
  if (problem) throw new UsageError(`invalid selector "${opts.selector}": ${problem}`);
  return { domain, algorithm, selector };
}

/** The TXT record line to publish for a key. */
function txtRecord(view: dkim.DkimKeyView): string {
  return formatTxtRecord(view.record.name, view.record.value);
}

/** The use cases' conflicts worded with the command that resolves them. */
function cliConflict(err: unknown): never {
  if (!(err instanceof dkim.DkimConflictError)) throw err;
  if (err.reason === 'active-exists') {
    throw new CliError(
      `domain ${err.domain} already has an active DKIM key (selector ${err.selector}); use "strato dkim rotate ${err.domain}" for a new one`,
    );
  }
  if (err.reason === 'no-active') {
    throw new CliError(
      `domain ${err.domain} has no active DKIM key; use "strato dkim generate ${err.domain}"`,
    );
  }
  if (err.reason === 'key-active') {
    throw new CliError(
      `DKIM key ${err.selector} of ${err.domain} is the active key; rotate first ("strato dkim rotate ${err.domain}")`,
    );
  }
  throw err;
}

async function generate(ctx: CliContext, domainInput: string, opts: KeyOptions): Promise<void> {
  const input = checkedInput(domainInput, opts);
  const storage = await ctx.storage();
  const key = await dkim.generateDkimKey(storage, input).catch(cliConflict);
  ctx.out.result(key, () => {
    ctx.out.line(`DKIM key ${key.selector} (${key.algorithm}) made for ${key.domain}; it signs from now on.`);
    ctx.out.line('Publish this DNS record:');
    ctx.out.line(txtRecord(key));
  });
}

async function rotate(ctx: CliContext, domainInput: string, opts: KeyOptions): Promise<void> {
  const input = checkedInput(domainInput, opts);
  const storage = await ctx.storage();
  const key = await dkim.rotateDkimKey(storage, input).catch(cliConflict);
  ctx.out.result(key, () => {
    ctx.out.line(`DKIM key ${key.selector} (${key.algorithm}) made for ${key.domain}; it signs from now on.`);
    ctx.out.line('Publish this DNS record:');
    ctx.out.line(txtRecord(key));
    ctx.out.line(
      `Key ${key.retired} is retired: keep its record published until mail signed with it has been delivered ` +
        `(a few days), then remove the record and run "strato dkim remove ${key.domain} ${key.retired}".`,
    );
  });
}

async function show(ctx: CliContext, domainInput: string): Promise<void> {
  const domain = parse.domain(domainInput);
  const storage = await ctx.storage();
  const keys = await dkim.listDkimKeys(storage, { domain });
  ctx.out.result(keys, () => {
    if (keys.length === 0) {
      ctx.out.line(
        `domain ${domain} has no DKIM key (its mail is sent unsigned); make one with "strato dkim generate ${domain}"`,
      );
      return;
    }
    for (const key of keys) {
      ctx.out.line(
        `${key.selector}  ${key.algorithm}  ${key.state === 'active' ? 'active (signs)' : 'retired'}  created ${formatTime(key.createdAt)}`,
      );
      ctx.out.line(`  ${txtRecord(key)}`);
    }
  });
}

async function remove(ctx: CliContext, domainInput: string, selectorInput: string): Promise<void> {
  const domain = parse.domain(domainInput);
  const selector = selectorInput.toLowerCase();
  const storage = await ctx.storage();
  const removed = await dkim.removeDkimKey(storage, { domain, selector }).catch(cliConflict);
  ctx.out.resultLine(
    { domain, selector, removed: true },
    `DKIM key ${selector} of ${domain} removed; its TXT record ${removed.record} can go too`,
  );
}
