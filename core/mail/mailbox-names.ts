/**
 * Checks on mailbox names shared by every MailboxStore adapter (files, S3 keys): account and
 * folder names, delivery keys, and the one-segment encoding that keeps any name from reaching
 * another mailbox's path or key. Pure; a bad name throws MailboxNameError naming what was wrong.
 */

/** Invalid account, folder or delivery key (would be unsafe or meaningless as a mailbox path). */
export class MailboxNameError extends Error {
  override readonly name = 'MailboxNameError';
  constructor(
    readonly what: 'account' | 'folder' | 'delivery key',
    readonly value: string,
  ) {
    super(`invalid mailbox ${what} ${JSON.stringify(value)}`);
  }
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

/**
 * One path or key segment per name: keep [A-Za-z0-9@._+-], percent-encode every other UTF-8 byte
 * (so "/" and "#" never appear) and a leading dot (so "." and ".." cannot be produced).
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
