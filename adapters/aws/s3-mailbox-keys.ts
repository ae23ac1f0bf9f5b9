/**
 * Names and keys of the S3 mailbox store: the same checks on account, folder and delivery key as
 * the embedded store, the DynamoDB sort keys of its index items and the S3 key of a message body
 * (one safe segment per account and folder, so no name can reach another mailbox). Pure functions.
 * Failure: a bad name throws MailboxNameError; a bad epoch or an out-of-range UID throws RangeError.
 */
import { createHash } from 'node:crypto';
import { encodeName } from '../../core/mail/mailbox-names.ts';

export {
  checkAccount,
  checkDeliveryKey,
  checkFolder,
  encodeName,
  MailboxNameError,
} from '../../core/mail/mailbox-names.ts';

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

/**
 * <prefix><account>/<folder>/<token>.eml: the embedded store's layout as S3 keys, named by a token
 * unique to the append (the UID is only known at commit; the message item points at its body).
 */
export function bodyKey(prefix: string, account: string, folder: string, token: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) throw new RangeError(`bad body token ${JSON.stringify(token)}`);
  return `${prefix}${encodeName(account, 'account')}/${encodeName(folder, 'folder')}/${token}.eml`;
}

function checkUid(uid: number): number {
  if (!Number.isSafeInteger(uid) || uid < 1 || uid > MAX_UID) throw new RangeError(`UID ${uid} out of range`);
  return uid;
}

export function checkEpoch(epoch: number): number {
  if (!Number.isSafeInteger(epoch)) throw new RangeError(`lease epoch ${epoch} is not an integer`);
  return epoch;
}
