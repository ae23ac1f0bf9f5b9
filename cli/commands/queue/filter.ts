/**
 * The job filter options the `strato queue` commands share (--sender, --recipient, --domain,
 * --older-than, --newer-than, --state) and their validation: a malformed value (bad address or
 * domain, bad duration, empty, unknown state) is a UsageError (exit 2) before storage is opened.
 */
import type { Command } from 'commander';
import { FILTER_STATES, type FilterState, type QueueFilter } from '../../../core/queue/queue-filter.ts';
import { UsageError } from '../../errors.ts';
import * as parse from '../../parse.ts';

export interface FilterInput {
  sender?: string;
  recipient?: string;
  domain?: string;
  olderThan?: string;
  newerThan?: string;
  state?: string;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "30m", "2h", "3d", "1w" → ms. */
export function duration(input: string, what: string): number {
  const m = /^(\d{1,9})([smhdw])$/.exec(input.trim().toLowerCase());
  if (!m)
    throw new UsageError(
      `invalid ${what} "${input}": expected a number and a unit such as 90s, 30m, 2h, 3d, 1w`,
    );
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** Add the filter options; `withDomain` false leaves --domain to the command (hold/release directives). */
export function filterOptions(cmd: Command, withDomain = true): Command {
  cmd
    .option(
      '--sender <address>',
      'envelope sender (exact; "<>" for the null sender, "@domain" for any sender there)',
    )
    .option('--recipient <address>', 'any recipient of the job')
    .option('--older-than <age>', 'accepted more than this long ago (90s, 30m, 2h, 3d, 1w)')
    .option('--newer-than <age>', 'accepted less than this long ago')
    .option(
      '--state <state>',
      `only jobs in this state: ${FILTER_STATES.join(', ')} (deferred: had an attempt)`,
    );
  if (withDomain) cmd.option('--domain <domain>', 'any recipient in this domain');
  return cmd;
}

const nonEmpty = (input: string, what: string): string => {
  if (input.trim() === '') throw new UsageError(`the ${what} filter is empty`);
  return input.trim();
};

function senderFilter(input: string): string {
  const text = nonEmpty(input, 'sender');
  if (text === '<>') return '';
  if (text.startsWith('@')) return `@${parse.domain(text.slice(1))}`;
  return parse.address(text, 'sender');
}

/** The filter the options name (empty when none was given). */
export function parseFilter(o: FilterInput): QueueFilter {
  const f: {
    -readonly [K in keyof QueueFilter]: QueueFilter[K];
  } = {};
  if (o.sender !== undefined) f.sender = senderFilter(o.sender);
  if (o.recipient !== undefined) f.recipient = parse.address(nonEmpty(o.recipient, 'recipient'), 'recipient');
  if (o.domain !== undefined) f.domain = parse.domain(nonEmpty(o.domain, 'domain'));
  if (o.olderThan !== undefined) f.olderThanMs = duration(o.olderThan, '--older-than');
  if (o.newerThan !== undefined) f.newerThanMs = duration(o.newerThan, '--newer-than');
  if (o.state !== undefined)
    f.state = parse.oneOf(nonEmpty(o.state, 'state'), FILTER_STATES, 'state') as FilterState;
  return f;
}
