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
import { formatBytes, formatTime } from '../output.ts';
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

/** The messages with From and Subject, a few files at a time. */
async function listedMessages(
  storage: Storage,
  account: string,
  messages: MailboxMessage[],
): Promise<Listed[]> {
  // Enough to hide latency, not so many that a big folder exhausts descriptors.
  const listed: Listed[] = [];
  for (let i = 0; i < messages.length; i += 16) {
    listed.push(
      ...(await Promise.all(messages.slice(i, i + 16).map((m) => withHeaders(storage, account, m)))),
    );
  }
  return listed;
}

function uidArg(input: string): number {
  const uid = parse.positiveInt(input, 'UID');
  if (!Number.isSafeInteger(uid)) throw new UsageError(`invalid UID "${input}": too large`);
  return uid;
}

export function registerMailbox(program: Command, ctx: CliContext): void {
  const mailbox = program.command('mailbox').description("look into an account's stored mail (read-only)");
  mailboxFolders(mailbox, ctx);
  mailboxList(mailbox, ctx);
  mailboxRead(mailbox, ctx);
}

function mailboxFolders(group: Command, ctx: CliContext): void {
  group
    .command('folders')
    .description("list an account's folders with their message counts and sizes")
    .argument('<account>', 'account address, e.g. alice@example.com')
    .action((input: string) => listFolders(ctx, input));
}

async function listFolders(ctx: CliContext, input: string): Promise<void> {
  const account = parse.address(input);
  const storage = await ctx.storage();
  const folders = await mailboxAccount(storage, account);
  const rows = await Promise.all(
    folders.map(async (folder) => {
      const messages = await storage.mailboxes.list(account, folder);
      return { folder, messages: messages.length, bytes: messages.reduce((sum, m) => sum + m.size, 0) };
    }),
  );
  ctx.out.resultTable(rows, {
    headers: ['FOLDER', 'MESSAGES', 'SIZE'],
    rows: rows.map((r) => [printable(r.folder), String(r.messages), formatBytes(r.bytes)]),
    empty: `no mail stored for ${account} yet`,
  });
}

function mailboxList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list the messages of a folder, oldest first: UID, date stored, size, flags, From, Subject')
    .argument('<account>', 'account address, e.g. alice@example.com')
    .argument('[folder]', 'folder name', INBOX)
    .action((input: string, folderInput: string) => listMessages(ctx, input, folderInput));
}

async function listMessages(ctx: CliContext, input: string, folderInput: string): Promise<void> {
  const account = parse.address(input);
  const folder = folderName(folderInput);
  const storage = await ctx.storage();
  requireFolder(account, await mailboxAccount(storage, account), folder);
  const listed = await listedMessages(storage, account, await storage.mailboxes.list(account, folder));
  ctx.out.resultTable(
    listed.map((m) => ({ ...m, date: new Date(m.internalDate).toISOString() })),
    {
      headers: ['UID', 'DATE', 'SIZE', 'FLAGS', 'FROM', 'SUBJECT'],
      rows: listed.map((m) => [
        String(m.uid),
        formatTime(m.internalDate),
        formatBytes(m.size),
        m.flags.length ? m.flags.join(' ') : '-',
        m.headerError ? '?' : clip(printable(m.from ?? '-'), 40),
        m.headerError ? `? (${m.headerError})` : clip(printable(m.subject ?? '-'), 80),
      ]),
      empty: `${folder} of ${account} is empty`,
    },
  );
}

function mailboxRead(group: Command, ctx: CliContext): void {
  group
    .command('read')
    .description('print one stored message to stdout exactly as stored (raw, CRLF line ends; no --json form)')
    .argument('<account>', 'account address, e.g. alice@example.com')
    .argument('<uid>', 'message UID, as shown by "strato mailbox list"')
    .option('--folder <folder>', 'folder the UID belongs to', INBOX)
    .action((input: string, uidInput: string, opts: { folder: string }) =>
      readMessage(ctx, input, uidInput, opts.folder),
    );
}

async function readMessage(
  ctx: CliContext,
  input: string,
  uidInput: string,
  folderInput: string,
): Promise<void> {
  const account = parse.address(input);
  const uid = uidArg(uidInput);
  const folder = folderName(folderInput);
  const storage = await ctx.storage();
  requireFolder(account, await mailboxAccount(storage, account), folder);
  const stream = await storage.mailboxes.read(account, folder, uid);
  if (!stream) throw new CliError(`no message with UID ${uid} in ${folder} of ${account}`);
  await ctx.out.raw(stream);
}
