/**
 * The delivery channel's credentials, shared by the LMTP server (which requires them) and the
 * LMTP channel (which sends them after LHLO): a fixed user and the cluster's channel secret as
 * the password of AUTH PLAIN (RFC 4616). Pure; nothing fails here.
 */

/** The one user a queue processor authenticates as. */
export const CHANNEL_USER = 'strato-queue';

/** The AUTH PLAIN command line for the channel secret. */
export function authPlainCommand(secret: string): string {
  return `AUTH PLAIN ${Buffer.from(`\0${CHANNEL_USER}\0${secret}`, 'utf8').toString('base64')}`;
}
