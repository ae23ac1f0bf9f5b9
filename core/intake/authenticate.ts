/**
 * SMTP AUTH (PLAIN/LOGIN) use case: the user name is the account's address (normalised), the
 * password is checked with scrypt, and disabled accounts cannot log in. Unknown users (and names
 * that are no address at all) cost a scrypt run too, so timing does not reveal which addresses
 * exist. Wrong credentials answer
 * 535 5.7.8; a directory fault answers 451 4.3.0 — both as values, never as throws.
 */

import { hashPassword, verifyPassword } from '../auth/password.ts';
import { effectiveSettings } from '../directory/effective-settings.ts';
import { parseAddress } from '../mail/address.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';

export type AuthResult = { ok: true; user: string } | { ok: false; reply: Reply };

export interface AuthRequest {
  readonly username: string;
  readonly password: string;
  /** PLAIN's authorization identity; only "act as yourself" (empty or equal) is allowed. */
  readonly authzid?: string;
}

/** A real hash of a random password, made once, to spend the same time on unknown users. */
let decoyHash: Promise<string> | undefined;
function decoy(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}`);
  return decoyHash;
}

/** 535 after the same scrypt work a real account costs: every refusal takes as long. */
async function refuseAfterDecoy(password: string): Promise<AuthResult> {
  await verifyPassword(password, await decoy());
  return { ok: false, reply: replies.authFailed() };
}

export async function authenticate(
  deps: { readonly directory: DirectoryReader; readonly logger: Logger },
  req: AuthRequest,
): Promise<AuthResult> {
  const parsed = parseAddress(req.username);
  if (!parsed.ok) return refuseAfterDecoy(req.password);
  const address = parsed.value.address;
  if (req.authzid) {
    const as = parseAddress(req.authzid);
    if (!as.ok || as.value.address !== address) return refuseAfterDecoy(req.password);
  }
  try {
    const account = await deps.directory.getAccount(address);
    if (!account) return await refuseAfterDecoy(req.password);
    if (!(await verifyPassword(req.password, account.passwordHash))) {
      return { ok: false, reply: replies.authFailed() };
    }
    const { settings } = await effectiveSettings(deps.directory, account);
    if (!settings.Enabled) return { ok: false, reply: replies.authFailed() };
    return { ok: true, user: address };
  } catch (err) {
    deps.logger.error({ event: 'intake.auth_failed', user: address, err }, 'authentication lookup failed');
    return { ok: false, reply: replies.localError() };
  }
}
