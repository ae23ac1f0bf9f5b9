import { describe, expect, it } from 'vitest';
import { newApiToken, parseApiToken } from './secrets.ts';

describe('API tokens', () => {
  it('have ids that begin with a letter or digit (an id is typed as a command argument)', () => {
    // A base64url id begins with '-' or '_' one time in 32: 2,000 draws all but surely show one.
    const ids = Array.from({ length: 2000 }, () => newApiToken().id);
    expect(ids.filter((id) => !/^[A-Za-z0-9]/.test(id))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{16}$/.test(id))).toBe(true);
  });

  it('parse back into their id and secret', () => {
    const made = newApiToken();
    expect(parseApiToken(`Bearer ${made.token}`)).toEqual({ id: made.id, secret: made.secret });
  });
});
