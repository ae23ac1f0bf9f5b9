/**
 * The one mapping from a core Reply to what smtp-server sends: `smtpReply` gives the reply code
 * and a message that starts with our enhanced status code; `smtpError` wraps it in the Error
 * smtp-server's callbacks take. Importing this module installs the enhanced-code shim, so a
 * process that maps replies here can never send smtp-server's contradicting second code.
 */
import type { Reply } from '../../core/mail/outcome.ts';
import { installEnhancedCodeShim } from './smtp-replies-shim.ts';

installEnhancedCodeShim();

export interface SmtpServerReply {
  readonly responseCode: number;
  /** "<enhanced> <text>", e.g. "5.7.1 <x@y>: Relay access denied". */
  readonly message: string;
}

export function smtpReply(reply: Reply): SmtpServerReply {
  return { responseCode: reply.code, message: `${reply.enhanced} ${reply.text}` };
}

export type SmtpServerError = Error & { responseCode: number };

/** For callbacks' error argument (4xx/5xx replies). */
export function smtpError(reply: Reply): SmtpServerError {
  const { responseCode, message } = smtpReply(reply);
  return Object.assign(new Error(message), { responseCode });
}
