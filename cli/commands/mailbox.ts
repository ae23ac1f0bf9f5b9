/**
 * `strato mailbox folders|list|read`: what the backends stored in an account's mailbox (the
 * MailboxStore): folders with message counts and sizes, one folder's messages with UID, date,
 * size, flags, From and Subject (read from each stored message's headers), and one message raw.
 * Read-only. A bad address or UID exits 2; an unknown account, folder or UID exits 1. A message
 * whose file cannot be read is listed with "?" for From and Subject, not treated as a failure.
 */
import type { Command } from 'commander';
import { readHeaderBlock } from '../../core/mail/header-block.ts';
import type { MailboxMessage } from '../../core/ports/mailbox-store.ts';
import type { Storage } from '../../core/ports/storage.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { clip, decodedHeader, printable } from '../headers.ts';
import { formatBytes, formatTable, formatTime } from '../output.ts';
import * as parse from '../parse.ts';

const INBOX = 'INBOX';

/**
 * The account whose mailbox is meant: a directory account, or an address that still has folders
 * (its account was removed). An alias names its account in the error, so nothing is guessed.
 */
async function mailboxAccount(storage: Storage, address: string): Promise<string[]> {
  const folders = await storage.mailboxes.folders(address);
  if (folders.length > 0 || (await storage.directory.getAccount(address))) return folders;
  const entry = await storage.directory.lookupName(address);
  if (entry?.kind === 'alias') {
    throw new CliError(`${address} is an alias of ${entry.alias.account}; give the account`);
  }
  throw new CliError(`account ${address} does not exist`);
}

/** The folder as stored: INBOX is case-insensitive (as in IMAP), other names are exact. */
function folderName(input: string): string {
  const name = input.trim();
  if (name === '') throw new UsageError('the folder name is empty');
  return name.toUpperCase() === INBOX ? INBOX : name;
}

function requireFolder(account: string, folders: readonly string[], folder: string): void {
  // An account that never received mail has no INBOX row yet: that is an empty INBOX, not an error.
  if (folder === INBOX || folders.includes(folder)) return;
  throw new CliError(
    `folder "${folder}" does not exist in the mailbox of ${account} (folders: ${folders.join(', ') || INBOX})`,
  );
}

interface Listed extends MailboxMessage {
  readonly from: string | null;
  readonly subject: string | null;
  readonly headerError?: string;
}

async function withHeaders(storage: Storage, account: string, m: MailboxMessage): Promise<Listed> {
  try {
    const stream = await storage.mailboxes.read(account, m.folder, m.uid);
    if (!stream) return { ...m, from: null, subject: null, headerError: 'message file not found' };
    const block = await readHeaderBlock(stream);
    return {
      ...m,
      from: decodedHeader(block, 'From') ?? null,
      subject: decodedHeader(block, 'Subject') ?? null,
    };
  } catch (err) {
    return { ...m, from: null, subject: null, headerError: err instanceof Error ? err.message : String(err) };
  }
}

function uidArg(input: string): number {
  const uid = parse.positiveInt(input, 'UID');
  if (!Number.isSafeInteger(uid)) throw new UsageError(`invalid UID "${input}": too large`);
  return uid;
}

export function registerMailbox(program: Command, ctx: CliContext): void {
  const mailbox = program.command('mailbox').description("look into an account's stored mail (read-only)");

  mailbox
    .command('folders')
    .description("list an account's folders with their message counts and sizes")
    .argument('<account>', 'account address, e.g. alice@example.com')
    .action(async (input: string) => {
      const account = parse.address(input);
      const storage = await ctx.storage();
      const folders = await mailboxAccount(storage, account);
      const rows = await Promise.all(
        folders.map(async (folder) => {
          const messages = await storage.mailboxes.list(account, folder);
          return { folder, messages: messages.length, bytes: messages.reduce((sum, m) => sum + m.size, 0) };
        }),
      );
      ctx.out.result(rows, () => {
        if (rows.length === 0) return ctx.out.line(`no mail stored for ${account} yet`);
        ctx.out.line(
          formatTable(
            ['FOLDER', 'MESSAGES', 'SIZE'],
            rows.map((r) => [printable(r.folder), String(r.messages), formatBytes(r.bytes)]),
          ),
        );
      });
    });

  mailbox
    .command('list')
    .description('list the messages of a folder, oldest first: UID, date stored, size, flags, From, Subject')
    .argument('<account>', 'account address, e.g. alice@example.com')
    .argument('[folder]', 'folder name', INBOX)
    .action(async (input: string, folderInput: string) => {
      const account = parse.address(input);
      const folder = folderName(folderInput);
      const storage = await ctx.storage();
      requireFolder(account, await mailboxAccount(storage, account), folder);
      const messages = await storage.mailboxes.list(account, folder);
      // A few files at a time: enough to hide latency, not so many that a big folder exhausts descriptors.
      const listed: Listed[] = [];
      for (let i = 0; i < messages.length; i += 16) {
        listed.push(
          ...(await Promise.all(messages.slice(i, i + 16).map((m) => withHeaders(storage, account, m)))),
        );
      }
      ctx.out.result(
        listed.map((m) => ({ ...m, date: new Date(m.internalDate).toISOString() })),
        () => {
          if (listed.length === 0) return ctx.out.line(`${folder} of ${account} is empty`);
          ctx.out.line(
            formatTable(
              ['UID', 'DATE', 'SIZE', 'FLAGS', 'FROM', 'SUBJECT'],
              listed.map((m) => [
                String(m.uid),
                formatTime(m.internalDate),
                formatBytes(m.size),
                m.flags.length ? m.flags.join(' ') : '-',
                m.headerError ? '?' : clip(printable(m.from ?? '-'), 40),
                m.headerError ? `? (${m.headerError})` : clip(printable(m.subject ?? '-'), 80),
              ]),
            ),
          );
        },
      );
    });

  mailbox
    .command('read')
    .description('print one stored message to stdout exactly as stored (raw, CRLF line ends; no --json form)')
    .argument('<account>', 'account address, e.g. alice@example.com')
    .argument('<uid>', 'message UID, as shown by "strato mailbox list"')
    .option('--folder <folder>', 'folder the UID belongs to', INBOX)
    .action(async (input: string, uidInput: string, opts: { folder: string }) => {
      const account = parse.address(input);
      const uid = uidArg(uidInput);
      const folder = folderName(opts.folder);
      const storage = await ctx.storage();
      requireFolder(account, await mailboxAccount(storage, account), folder);
      const stream = await storage.mailboxes.read(account, folder, uid);
      if (!stream) throw new CliError(`no message with UID ${uid} in ${folder} of ${account}`);
      await ctx.out.raw(stream);
    });
}
