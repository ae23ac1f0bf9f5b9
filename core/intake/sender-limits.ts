/**
 * Sender limits for authenticated senders, enforced on every frontend with the cluster-wide
 * Counters: MaxMailOutSize (a declared SIZE at MAIL FROM, the real size at end of DATA) and
 * MailOutFlow (messages per period, counted once per accepted message; a full window is refused
 * at MAIL FROM already). Limits come from the account's effective settings. Counter and directory
 * faults propagate (the session answers 451 4.3.0).
 */

import { effectiveSettings } from '../directory/effective-settings.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Counters } from '../ports/counters.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { FlowLimit } from '../settings/settings.ts';

export interface SenderLimits {
  /** The authenticated account. */
  readonly account: string;
  readonly maxMailOutSize: number | null;
  readonly mailOutFlow: FlowLimit | null;
  /** The effective SendAs setting (sender binding: what the account may send as besides its own). */
  readonly sendAs?: readonly string[];
}

/** The counter all frontends share for one sender's MailOutFlow. */
export const outflowKey = (account: string) => `outflow:${account}`;

/** The limits of an authenticated sender; undefined when the account no longer exists. */
export async function senderLimits(
  directory: DirectoryReader,
  account: string,
): Promise<SenderLimits | undefined> {
  const record = await directory.getAccount(account);
  if (!record) return undefined;
  const s = (await effectiveSettings(directory, record)).settings;
  return {
    account: record.address,
    maxMailOutSize: s.MaxMailOutSize,
    mailOutFlow: s.MailOutFlow,
    sendAs: s.SendAs,
  };
}

/** MAIL FROM: a declared size over MaxMailOutSize, or a MailOutFlow window already used up. */
export async function checkSenderLimits(
  counters: Counters,
  limits: SenderLimits,
  declaredSize?: number,
): Promise<Reply | undefined> {
  if (limits.maxMailOutSize !== null && declaredSize !== undefined && declaredSize > limits.maxMailOutSize) {
    return replies.mailOutSize(limits.account, limits.maxMailOutSize);
  }
  if (limits.mailOutFlow) {
    const [count, seconds] = limits.mailOutFlow;
    if ((await counters.peek(outflowKey(limits.account), seconds)) >= count) {
      return replies.mailOutFlow(limits.account, count, seconds);
    }
  }
  return undefined;
}

/** End of DATA: count this message against MailOutFlow; a reply when the window is full. */
export async function consumeMailOut(counters: Counters, limits: SenderLimits): Promise<Reply | undefined> {
  if (!limits.mailOutFlow) return undefined;
  const [count, seconds] = limits.mailOutFlow;
  const result = await counters.tryConsume(outflowKey(limits.account), seconds, count);
  return result.allowed ? undefined : replies.mailOutFlow(limits.account, count, seconds);
}
