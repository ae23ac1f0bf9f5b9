/**
 * Names and keys of the S3 mailbox store: the same checks on account, folder and delivery key as
 * the embedded store, the DynamoDB sort keys of its index items and the S3 key of a message body
 * (one safe segment per account and folder, so no name can reach another mailbox). Pure functions.
 * Failure: a bad name throws MailboxNameError; a bad epoch or an out-of-range UID throws RangeError.
 */
import { createHash } from 'node:crypto';

/** Invalid account, folder or delivery key (same rules as the embedded FileMailboxStore). */
export class MailboxNameError extends Error {
  override readonly name = 'MailboxNameError';
  constructor(
    readonly what: 'account' | 'folder' | 'delivery key',
    readonly value: string,
  ) {
    super(`invalid mailbox ${what} ${JSON.stringify(value)}`);
  }
}

/** IMAP UIDs are 32-bit; sort keys hold them as 10 zero-padded digits so they sort numerically. */
export const MAX_UID = 0xffff_ffff;

/** The account item: fence (maxEpoch), per-folder UID counters, usage (bytes), folders. */
export const ACCOUNT_SK = 'account';
export const MESSAGE_PREFIX = 'message#';

/** Top-level attribute of the account item holding a folder's last UID (ADD needs top level). */
export function uidAttribute(folder: string): string {
  return `uid:${folder}`;
}

export function messageSk(folder: string, uid: number): string {
  return `${folderPrefix(folder)}${String(checkUid(uid)).padStart(10, '0')}`;
}

/** begins_with prefix of a folder's message items; the encoded folder holds no "#". */
export function folderPrefix(folder: string): string {
  return `${MESSAGE_PREFIX}${encodeName(folder, 'folder')}#`;
}

/** Sort keys are limited to 1024 bytes: a long delivery key is stored by its SHA-256. */
export function deliverySk(deliveryKey: string): string {
  if (Buffer.byteLength(deliveryKey, 'utf8') <= 1000) return `delivery#${deliveryKey}`;
  return `delivery-sha256#${createHash('sha256').update(deliveryKey, 'utf8').digest('hex')}`;
}

/** <prefix><account>/<folder>/<uid>.eml — the embedded store's file layout, as S3 keys. */
export function bodyKey(prefix: string, account: string, folder: string, uid: number): string {
  return `${prefix}${encodeName(account, 'account')}/${encodeName(folder, 'folder')}/${checkUid(uid)}.eml`;
}

function checkUid(uid: number): number {
  if (!Number.isSafeInteger(uid) || uid < 1 || uid > MAX_UID) throw new RangeError(`UID ${uid} out of range`);
  return uid;
}

/** True when `text` holds a control character (never valid in a mailbox or folder name). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function checkAccount(account: string): string {
  if (typeof account !== 'string' || account.length === 0 || account.length > 320 || hasControl(account)) {
    throw new MailboxNameError('account', String(account));
  }
  return account.toLowerCase();
}

/** Folder names are IMAP-like ("INBOX", "Lists/dev"); no empty, "." or ".." levels. */
export function checkFolder(folder: string): string {
  const bad =
    typeof folder !== 'string' ||
    folder.length === 0 ||
    folder.length > 200 ||
    hasControl(folder) ||
    folder.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (bad) throw new MailboxNameError('folder', String(folder));
  encodeName(folder, 'folder'); // also refuses names too long once encoded
  return folder;
}

export function checkDeliveryKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1000) {
    throw new MailboxNameError('delivery key', String(key));
  }
  return key;
}

export function checkEpoch(epoch: number): number {
  if (!Number.isSafeInteger(epoch)) throw new RangeError(`lease epoch ${epoch} is not an integer`);
  return epoch;
}

/**
 * One key segment per name: keep [A-Za-z0-9@._+-], percent-encode every other UTF-8 byte (so "/"
 * and "#" never appear) and a leading dot (so "." and ".." cannot be produced).
 */
export function encodeName(name: string, what: 'account' | 'folder'): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const keep = /[A-Za-z0-9@._+-]/.test(ch) && !(out === '' && ch === '.');
    out += keep ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > 255) throw new MailboxNameError(what, name);
  return out;
}
