/**
 * Turns rule-set validation failures into the lines a CLI prints: each zod issue becomes
 * `rule <index> ("<name>"): <path>: <message>` (index 0-based, like the paths), problems that span
 * rules (duplicate names, account-only actions in cluster rules) are read from the raw input, and
 * everything is sorted by rule. Pure formatting; never throws.
 */
import type { z } from 'zod';

function describeType(expected: string): string {
  const names: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string' };
  return `expected ${names[expected] ?? `a ${expected}`}`;
}

/** Wording for zod's generic issues: 'required', 'expected a string' … */
export const zodErrorMap = (iss: z.core.$ZodRawIssue): string | undefined => {
  if (iss.code === 'invalid_type') return iss.input === undefined ? 'required' : describeType(iss.expected);
  return undefined;
};

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** `rule 2 ("vacation"): actions[0].days: expected a positive integer` for one zod issue. */
export function formatIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const [index, ...rest] = issue.path;
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  if (typeof index !== 'number') return `rule set: ${message}`;
  const raw = Array.isArray(input) ? (input[index] as { name?: unknown } | undefined) : undefined;
  const name = typeof raw?.name === 'string' && raw.name !== '' ? `"${raw.name}"` : 'unnamed';
  const where = rest.length > 0 ? `${formatPath(rest)}: ` : '';
  return `rule ${index} (${name}): ${where}${message}`;
}

/**
 * Problems across rules, read from the raw input so they show even when other fields are wrong:
 * duplicate names, and actions in `forbidden` (the account-only actions, for cluster rules).
 */
export function crossRuleProblems(input: unknown, forbidden: readonly string[]): string[] {
  if (!Array.isArray(input)) return [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  input.forEach((raw: unknown, i) => {
    const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      name?: unknown;
      actions?: unknown;
    };
    if (typeof rule.name !== 'string' || rule.name === '') return;
    const first = seen.get(rule.name.toLowerCase());
    if (first !== undefined)
      problems.push(`rule ${i} ("${rule.name}"): name: rule ${first} already has this name`);
    else seen.set(rule.name.toLowerCase(), i);
    if (forbidden.length === 0 || !Array.isArray(rule.actions)) return;
    rule.actions.forEach((a: unknown, j) => {
      const name = (a as { action?: unknown } | null)?.action;
      if (typeof name === 'string' && forbidden.includes(name))
        problems.push(
          `rule ${i} ("${rule.name}"): actions[${j}].action: "${name}" needs an account and is not ` +
            'available in cluster rules',
        );
    });
  });
  return problems;
}

/** Problems in rule order ("rule set: …" first); a stable sort keeps each rule's own order. */
export function byRuleIndex(problems: string[]): string[] {
  const index = (p: string) => Number(/^rule (\d+)/.exec(p)?.[1] ?? -1);
  return problems.sort((a, b) => index(a) - index(b));
}
