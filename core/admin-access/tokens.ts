/**
 * API tokens for scripts: every administrator makes and lists its own; a cluster administrator
 * lists and revokes anyone's. The token string is shown once, at creation; the store keeps the
 * SHA-256 of its secret. Creation and revocation write an audit record.
 * Failure: InvalidInputError (label), ForbiddenError, NotFoundAdminError; store faults propagate.
 */

import type { AdminStore, ApiTokenRecord } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import { recordChange } from './audit.ts';
import { ForbiddenError, NotFoundAdminError } from './errors.ts';
import { checkLabel } from './input.ts';
import type { Principal } from './principal.ts';
import { newApiToken, sha256Hex } from './secrets.ts';

/** A token as the admin API shows it: never its secret or hash. */
export interface TokenView {
  readonly id: string;
  readonly admin: string;
  readonly label: string;
  readonly createdAt: number;
  readonly lastUsedAt?: number;
}

export const tokenView = (t: ApiTokenRecord): TokenView => ({
  id: t.id,
  admin: t.admin,
  label: t.label,
  createdAt: t.createdAt,
  ...(t.lastUsedAt !== undefined ? { lastUsedAt: t.lastUsedAt } : {}),
});

export function createTokens(deps: { store: AdminStore; clock: Clock }) {
  const { store, clock } = deps;

  async function createToken(by: Principal, label: string): Promise<{ id: string; token: string }> {
    const checked = checkLabel(label);
    const { id, secret, token } = newApiToken();
    const record: ApiTokenRecord = {
      id,
      admin: by.name,
      label: checked,
      secretHash: sha256Hex(secret),
      createdAt: clock.now(),
    };
    await store.putToken(record);
    await recordChange(store, clock, {
      actor: by,
      action: 'token.create',
      target: id,
      after: tokenView(record),
    });
    return { id, token };
  }

  async function listTokens(by: Principal): Promise<TokenView[]> {
    const tokens = await store.listTokens(by.role === 'cluster' ? undefined : by.name);
    return tokens.map(tokenView);
  }

  async function revokeToken(by: Principal, id: string): Promise<void> {
    const token = typeof id === 'string' ? await store.getToken(id) : undefined;
    if (!token) throw new NotFoundAdminError('token', String(id));
    if (token.admin !== by.name && by.role !== 'cluster') {
      throw new ForbiddenError(`${by.name} may not revoke the tokens of ${token.admin}`);
    }
    await store.removeToken(token.id);
    await recordChange(store, clock, {
      actor: by,
      action: 'token.revoke',
      target: token.id,
      before: tokenView(token),
    });
  }

  return { createToken, listTokens, revokeToken };
}
