/** Rule-set use cases and the dry run on real embedded storage: success and every refusal. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { addAccount } from './accounts.ts';
import { addDomain } from './domains.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { getRuleSet, RuleSetInvalidError, setRuleSet } from './rules.ts';
import { dryRunRules } from './rules-dry-run.ts';

const TAG_EXTERNAL = {
  name: 'tag external',
  priority: 5,
  conditions: [{ field: 'Return-Path', op: 'not in', value: ['*@example.com'] }],
  actions: [{ action: 'tag subject', tag: '[EXT]' }],
};
const DISCARD_SPAM = {
  name: 'spam',
  priority: 'highest',
  conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
  actions: [{ action: 'discard' }],
};
const MESSAGE =
  'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: hi\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await addDomain(t.storage, { name: 'example.com' });
  await addAccount(t.storage, { address: 'alice@example.com' });
});
afterEach(() => t.cleanup());

const fieldOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof InvalidInputError ? err.field : err),
  );

describe('rule-set use cases', () => {
  it('stores and reads the rule sets of the cluster, a domain and an account', async () => {
    const s = t.storage;
    const stored = await setRuleSet(s, { scope: 'Domain', name: 'EXAMPLE.com', rules: [TAG_EXTERNAL] });
    expect(stored).toMatchObject({ ruleSet: 'domain example.com', scope: 'domain', name: 'example.com' });
    expect((await getRuleSet(s, { scope: 'domain', name: 'example.com' })).rules.map((r) => r.name)).toEqual([
      'tag external',
    ]);
    await setRuleSet(s, {
      scope: 'account',
      name: 'alice@example.com',
      text: JSON.stringify([DISCARD_SPAM]),
    });
    expect((await getRuleSet(s, { scope: 'account', name: 'alice@example.com' })).rules).toHaveLength(1);
    expect(await getRuleSet(s, { scope: 'cluster' })).toEqual({
      ruleSet: 'cluster',
      scope: 'cluster',
      rules: [],
    });
    await setRuleSet(s, { scope: 'domain', name: 'example.com', rules: [] });
    expect((await getRuleSet(s, { scope: 'domain', name: 'example.com' })).rules).toEqual([]);
  });

  it('refuses an invalid rule set with every problem, a bad scope or name, and unknown owners', async () => {
    const s = t.storage;
    const bad = await setRuleSet(s, {
      scope: 'domain',
      name: 'example.com',
      rules: [{ ...TAG_EXTERNAL, priority: 99 }, { name: 'x' }],
    }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RuleSetInvalidError);
    expect((bad as RuleSetInvalidError).field).toBe('rules');
    expect((bad as RuleSetInvalidError).problems.length).toBeGreaterThanOrEqual(2);
    expect(await fieldOf(setRuleSet(s, { scope: 'cluster', text: '[' }))).toBe('rules');
    // Account-only actions are refused in the cluster's rules.
    const store = { ...TAG_EXTERNAL, actions: [{ action: 'store', folder: 'X' }] };
    expect(await fieldOf(setRuleSet(s, { scope: 'cluster', rules: [store] }))).toBe('rules');
    expect(await fieldOf(getRuleSet(s, { scope: 'galaxy' }))).toBe('scope');
    expect(await fieldOf(getRuleSet(s, { scope: 'domain' }))).toBe('name');
    expect(await fieldOf(getRuleSet(s, { scope: 'cluster', name: 'x' }))).toBe('name');
    expect(await fieldOf(getRuleSet(s, { scope: 'account', name: 'nope' }))).toBe('name');
    await expect(getRuleSet(s, { scope: 'domain', name: 'nowhere.example' })).rejects.toThrow(
      NotFoundAdminError,
    );
    await expect(setRuleSet(s, { scope: 'account', name: 'ghost@example.com', rules: [] })).rejects.toThrow(
      NotFoundAdminError,
    );
    expect((await getRuleSet(s, { scope: 'domain', name: 'example.com' })).rules).toEqual([]);
  });
});

describe('dryRunRules', () => {
  it("explains what the domain's and the account's rules would do with a pasted message", async () => {
    const s = t.storage;
    await setRuleSet(s, { scope: 'domain', name: 'example.com', rules: [TAG_EXTERNAL] });
    await setRuleSet(s, { scope: 'account', name: 'alice@example.com', rules: [DISCARD_SPAM] });
    const { plan, explanation } = await dryRunRules(s, { account: 'Alice@example.com', message: MESSAGE });
    expect(plan.account).toBe('alice@example.com');
    expect(plan.fate).toEqual({ kind: 'drop', because: 'discard' });
    expect(explanation).toContain('spam');
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    const clean = await dryRunRules(s, {
      account: 'alice@example.com',
      message: Buffer.from(MESSAGE.replace('X-Spam-Flag: YES\r\n', '')),
      from: 'carol@example.com',
      source: 'submit',
      at: '2026-01-01T09:00:00Z',
    });
    expect(clean.plan.fate.kind).toBe('deliver');
  });

  it('refuses bad fields and an unknown account', async () => {
    const s = t.storage;
    const run = (extra: object) =>
      dryRunRules(s, { account: 'alice@example.com', message: MESSAGE, ...extra });
    expect(await fieldOf(run({ account: 'x' }))).toBe('account');
    expect(await fieldOf(run({ source: 'carrier-pigeon' }))).toBe('source');
    expect(await fieldOf(run({ at: 'yesterday' }))).toBe('at');
    expect(await fieldOf(run({ rcpt: '@' }))).toBe('rcpt');
    expect(await fieldOf(run({ from: 'not an address' }))).toBe('from');
    await expect(run({ account: 'ghost@example.com' })).rejects.toThrow(NotFoundAdminError);
  });
});
