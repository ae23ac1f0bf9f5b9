/**
 * The local-delivery retry settings for accounts whose mail service is disabled or that are full
 * (the cluster model's "retry every X for Y, then bounce"): `DisabledRetry` / `FullRetry`
 * ([every, for] seconds, account → domain → cluster; null = the queue's own schedule). A recipient
 * the backend answered so (the outcome's typed `account` fact), queued for longer than Y, fails
 * permanently (one DSN); otherwise its next attempt is X from now. Y counts from when the message
 * was queued. Directory faults propagate.
 */

import { effectiveSettings } from '../directory/effective-settings.ts';
import {
  accountFactOf,
  permanent,
  type RecipientOutcome,
  type RetriedAccountState,
} from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import type { RetryPolicy } from '../settings/settings.ts';

export interface AccountStateRetry {
  /** Next attempt for the recipients that stay pending under a policy (ms since epoch), if any. */
  readonly nextAt?: number;
  /** True when every recipient still pending is under such a policy (its X alone decides the next attempt). */
  readonly coversAll: boolean;
}

async function policyFor(
  directory: DirectoryReader,
  address: string,
  state: RetriedAccountState,
): Promise<RetryPolicy | null> {
  const s = (await effectiveSettings(directory, address)).settings;
  return state === 'disabled' ? s.DisabledRetry : s.FullRetry;
}

/** Rewrite expired disabled/full outcomes in `outcomes` to permanent ones; say when to try the rest. */
export async function applyAccountStateRetry(
  directory: DirectoryReader,
  job: QueueJob,
  outcomes: Map<string, RecipientOutcome>,
  now: number,
): Promise<AccountStateRetry> {
  let nextAt: number | undefined;
  let stillPending = 0;
  let covered = 0;
  for (const [rcpt, outcome] of outcomes) {
    if (outcome.kind !== 'temporary') continue;
    stillPending++;
    // The backend's typed fact (each DeliveryChannel carries it), never the reply text.
    const fact = accountFactOf(outcome);
    const state = fact?.state === 'disabled' || fact?.state === 'full' ? fact.state : undefined;
    const policy = state ? await policyFor(directory, rcpt, state) : null;
    if (!state || !policy) continue;
    const [every, span] = policy;
    if (now - job.createdAt >= span * 1000) {
      outcomes.set(rcpt, permanent(replies.accountStateExpired(state, rcpt, span)));
      stillPending--;
      continue;
    }
    covered++;
    nextAt = Math.min(nextAt ?? Number.POSITIVE_INFINITY, now + every * 1000);
  }
  return {
    ...(nextAt !== undefined ? { nextAt } : {}),
    coversAll: stillPending > 0 && covered === stillPending,
  };
}
