/**
 * First-start demo data for `npm start`: the domain demo.strato.test with the accounts alice and
 * bob, whose passwords are fixed and documented (it is a local demo, and tests log in with them);
 * alice is the domain's postmaster target.
 * Seeds only when the directory has no domains at all, so it never touches an operator's data;
 * a concurrent seeder winning the race is fine (AlreadyExistsError is ignored).
 */

import { hashPassword } from '../core/auth/password.ts';
import { AlreadyExistsError } from '../core/directory/errors.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { DirectoryAdmin } from '../core/ports/directory.ts';

export const DEMO_DOMAIN = 'demo.strato.test';

export const DEMO_ACCOUNTS: readonly {
  readonly name: string;
  readonly realName: string;
  readonly password: string;
}[] = [
  { name: 'alice', realName: 'Alice Demo', password: 'alice-demo-password' },
  { name: 'bob', realName: 'Bob Demo', password: 'bob-demo-password' },
];

/** The demo domain's postmaster target, and the local cluster's STRATO_POSTMASTER default. */
export const DEMO_POSTMASTER = `alice@${DEMO_DOMAIN}`;

export type SeedResult = 'seeded' | 'exists' | 'skipped';

/** Seed the demo domain when the directory is empty; 'exists' when the demo domain is already there. */
export async function seedDemo(directory: DirectoryAdmin, clock: Clock): Promise<SeedResult> {
  const domains = await directory.listDomains();
  if (domains.some((d) => d.name === DEMO_DOMAIN)) return 'exists';
  if (domains.length > 0) return 'skipped';
  const now = clock.now();
  try {
    await directory.addDomain({
      name: DEMO_DOMAIN,
      mailToUnknown: { action: 'reject' },
      defaults: {},
      // RFC 5321 §4.5.1: postmaster@ the demo domain must be accepted; alice plays administrator.
      postmaster: DEMO_POSTMASTER,
      createdAt: now,
    });
    for (const a of DEMO_ACCOUNTS) {
      await directory.addAccount({
        address: `${a.name}@${DEMO_DOMAIN}`,
        domain: DEMO_DOMAIN,
        name: a.name,
        realName: a.realName,
        passwordHash: await hashPassword(a.password),
        settings: {},
        createdAt: now,
      });
    }
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
  return 'seeded';
}
