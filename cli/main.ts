/**
 * The `strato` administration CLI as a function: `main` builds the commander program with the
 * global options and every command group, runs it on the given argv, streams and environment,
 * and turns any failure into one stderr line and an exit code (2 usage/validation, 1 not
 * found/conflict or an unexpected error), which it returns; bin/strato.js exits with it. Never
 * prints a stack trace unless STRATO_DEBUG=1. Tests call `main` in-process with buffers.
 */

import { readFileSync } from 'node:fs';
import { Command, type HelpContext } from 'commander';
import { DEFAULT_DATA_DIR } from '../core/config/defaults.ts';
import { ENV } from '../core/config/env-names.ts';
import { registerAccount } from './commands/account.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerAlias } from './commands/alias.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerDkim } from './commands/dkim.ts';
import { registerDomain } from './commands/domain.ts';
import { registerForwarder } from './commands/forwarder.ts';
import { registerMailbox } from './commands/mailbox.ts';
import { registerQueue } from './commands/queue.ts';
import { registerRoute } from './commands/route.ts';
import { registerRules } from './commands/rules.ts';
import { registerSuppression } from './commands/suppression.ts';
import { registerTrace } from './commands/trace.ts';
import { CliContext, type GlobalOptions } from './context.ts';
import { describeError } from './errors.ts';
import type { CliIo } from './io.ts';

/** One CLI run: the arguments after the program name, and the streams and environment it uses. */
export interface CliRun extends CliIo {
  readonly argv: readonly string[];
}

const EXAMPLES = `
Examples:
  $ strato domain add example.com
  $ strato domain add example.org --mail-to-unknown reroute:postmaster@example.org
  $ strato domain set example.com MaxAccountSize 50M
  $ strato domain set example.com postmaster alice@example.com
  $ echo 's3cret' | strato account add alice@example.com --password-stdin --real-name "Alice"
  $ strato account set alice@example.com MailOutFlow 200/1h
  $ strato account show alice@example.com
  $ strato account set alice@example.com HomeBackend backend-2
  $ strato account set alice@example.com SendAs sales@example.com,@shop.example
  $ strato account where alice@example.com
  $ strato account release alice@example.com --epoch 7
  $ strato alias add info@example.com alice@example.com
  $ strato dkim generate example.com --algorithm ed25519
  $ strato dkim rotate example.com
  $ strato forwarder add sales@example.com bob@example.org
  $ strato cluster set MaxMessageSize 25M
  $ strato cluster show
  $ strato cluster set processing processing,fe-12@ip-10-0-1-5
  $ strato cluster set concurrency 8
  $ strato cluster frontends
  $ strato route set partner.example smarthost relay.partner.example:587 --tls required
  $ strato route test bob@partner.example
  $ strato queue list --status delayed
  $ strato --json queue depth
  $ strato queue retry 01JD0Q5Z8X3V7K2M4N6P
  $ strato queue bounce 01JD0Q5Z8X3V7K2M4N6P --reason "spam campaign"
  $ strato queue delete --sender spam@example.net --older-than 2h --dry-run
  $ strato queue hold --domain flood.example --reason "spam run"
  $ strato queue release --domain flood.example
  $ strato trace 01JD0Q5Z8X3V7K2M4N6P
  $ strato trace alice@example.com --queued
  $ strato mailbox list alice@example.com
  $ strato mailbox read alice@example.com 3 > message.eml
  $ strato rules get account alice@example.com
  $ strato rules set domain example.com domain-rules.json
  $ strato rules set cluster - < cluster-rules.json
  $ strato rules test alice@example.com message.eml --from bob@example.org
  $ strato admin add dora --role domain --domains example.com,example.org
  $ echo 'n3w-s3cret' | strato admin set-password admin --password-stdin

Settings (account → domain defaults → cluster defaults → built-in; "default" clears a level):
  Enabled          true|false          mail service on/off
  MaxAccountSize   10M|512K|unlimited  mailbox quota
  MaxMessageSize   size|unlimited      largest message the account accepts
  MaxMailOutSize   size|unlimited      largest message the account may send
  MailOutFlow      100/1h|unlimited    messages the account may send per period
  MailInpFlow      100/1h|unlimited    messages the account may receive per period
  DisabledRetry    10m/1d|queue        mail service disabled: retry every X for Y, then bounce
  FullRetry        10m/1d|queue        account full: retry every X for Y, then bounce
  HomeBackend      <backend id>|none   static home: only this backend opens the account
  SendAs           a@x,@y.example|none addresses (and @domains) an authenticated user may also send as

Exit codes: 0 ok, 1 not found / conflict / failure, 2 bad usage or invalid input.
Set STRATO_DEBUG=1 to see stack traces of unexpected errors.`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Full command path for messages, e.g. "strato domain add". */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Width for help text: the terminal's when the stream is one, else commander's default of 80. */
function helpWidth(stream: CliIo['stdout']): number {
  const tty = stream as { isTTY?: boolean; columns?: number };
  return (tty.isTTY && tty.columns) || 80;
}

/**
 * Help and commander's messages go to the run's streams; its errors become one line naming the
 * command, with a pointer to its --help.
 */
function routeCommanderOutput(cmd: Command, io: CliIo): void {
  const path = commandPath(cmd);
  cmd.configureOutput({
    writeOut: (str) => io.stdout.write(str),
    writeErr: (str) => io.stderr.write(str),
    getOutHelpWidth: () => helpWidth(io.stdout),
    getErrHelpWidth: () => helpWidth(io.stderr),
    outputError: (str, write) =>
      write(
        `${path}: ${str
          .trim()
          .replace(/^error: /, '')
          .replace(/\n+/g, ' ')} (see "${path} --help")\n`,
      ),
  });
  // A group without its subcommand ("strato domain"): one line naming the choices, not the whole help.
  if (cmd.parent && cmd.commands.length > 0) {
    const help = cmd.help.bind(cmd);
    cmd.help = ((context?: HelpContext) => {
      if (!context?.error) return help(context);
      const names = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
      return cmd.error(`missing command: ${names.join(', ')}`, {
        code: 'commander.missingCommand',
        exitCode: 2,
      });
    }) as Command['help'];
  }
  for (const sub of cmd.commands) routeCommanderOutput(sub, io);
}

function buildProgram(ctx: CliContext): Command {
  const program = new Command('strato')
    .description(
      'Administer a Strato mail cluster: domains, accounts, aliases, forwarders, DKIM keys, settings, rules,\n' +
        'the mail queue, outbound routes, stored mailboxes and the administrators of the admin API. Works on the data dir of a local cluster; safe to use while the cluster runs.',
    )
    .version(version(), '-V, --version', 'print the version')
    .option('--data-dir <dir>', `data directory (default: $${ENV.dataDir} or ${DEFAULT_DATA_DIR})`)
    .option('--json', 'machine-readable JSON output (lists, show commands and results)')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', EXAMPLES);

  registerDomain(program, ctx);
  registerDkim(program, ctx);
  registerAccount(program, ctx);
  registerAlias(program, ctx);
  registerForwarder(program, ctx);
  registerCluster(program, ctx);
  registerQueue(program, ctx);
  registerRoute(program, ctx);
  registerSuppression(program, ctx);
  registerMailbox(program, ctx);
  registerRules(program, ctx);
  registerTrace(program, ctx);
  registerAdmin(program, ctx);
  routeCommanderOutput(program, ctx.io);
  return program;
}

/** Runs one command line; resolves to the exit code (never calls process.exit). */
export async function main(run: CliRun): Promise<number> {
  let program: Command | undefined;
  const ctx = new CliContext(() => (program?.opts() ?? {}) as GlobalOptions, run);
  let exitCode = 0;
  const report = (err: unknown) => {
    const d = describeError(err);
    if (d.message) run.stderr.write(`strato: ${d.message}\n`);
    if (d.unexpected && run.env.STRATO_DEBUG === '1') {
      for (let e: unknown = err; e instanceof Error; e = e.cause)
        run.stderr.write(`${e.stack ?? e.message}\n`);
    }
    if (exitCode === 0) exitCode = d.exitCode;
  };
  try {
    program = buildProgram(ctx);
    await program.parseAsync([...run.argv], { from: 'user' });
  } catch (err) {
    report(err);
  }
  try {
    await ctx.close();
  } catch (err) {
    report(err);
  }
  return exitCode;
}
