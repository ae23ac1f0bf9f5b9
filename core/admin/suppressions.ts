/**
 * Suppression use cases shared by the CLI and the admin API: list the external addresses SES
 * reported as bounced or complaining, suppress one by hand, lift one. A bad address, reason or
 * detail → InvalidInputError; lifting an address that is not suppressed → NotFoundAdminError.
 * Storage faults propagate.
 */
import { type Clock, systemClock } from '../ports/clock.ts';
import type { Storage } from '../ports/storage.ts';
import type { Suppression, SuppressionReason } from '../ports/suppressions.ts';
import { validAddress } from './directory-input.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';

export const SUPPRESSION_REASONS: readonly SuppressionReason[] = ['bounce', 'complaint'];

type Deps = Pick<Storage, 'suppressions'>;

/** Every suppressed address, sorted. */
export async function listSuppressions(deps: Deps): Promise<Suppression[]> {
  return deps.suppressions.list();
}

export interface AddSuppressionInput {
  readonly address: string;
  /** Default bounce. */
  readonly reason?: string;
  /** A note shown by the listing (line breaks become spaces); default "added by the operator". */
  readonly detail?: string;
}

export async function addSuppression(
  deps: Deps & { readonly clock?: Clock },
  input: AddSuppressionInput,
): Promise<Suppression> {
  const address = validAddress(input.address, 'address');
  const reason =
    input.reason === undefined
      ? 'bounce'
      : SUPPRESSION_REASONS.find((r) => r === input.reason?.toLowerCase());
  if (!reason) {
    throw new InvalidInputError(
      'reason',
      `invalid reason "${input.reason}": expected one of ${SUPPRESSION_REASONS.join(', ')}`,
    );
  }
  if (input.detail !== undefined && (typeof input.detail !== 'string' || input.detail.length > 1000)) {
    throw new InvalidInputError('detail', 'detail must be a text of at most 1000 characters');
  }
  const record: Suppression = {
    address,
    reason,
    at: (deps.clock ?? systemClock).now(),
    detail: (input.detail ?? 'added by the operator').replace(/[\r\n]+/g, ' '),
  };
  await deps.suppressions.put(record);
  return record;
}

export async function removeSuppression(
  deps: Deps,
  input: { readonly address: string },
): Promise<{ address: string; removed: true }> {
  const address = validAddress(input.address, 'address');
  if (!(await deps.suppressions.remove(address))) {
    throw new NotFoundAdminError('suppression', address, `${address} is not suppressed`);
  }
  return { address, removed: true };
}
