/**
 * Loop protection for rule-generated mail: a message with more Received headers than the limit
 * (DEFAULT_RULES_HOP_LIMIT unless configured) has looped, and every message a rule generates carries `X-Strato-Loop: <owner>`,
 * so a message that already carries the owner's mark must not make that owner generate again.
 * `generationBlockedBy` answers why generation is blocked, or undefined. Pure; never throws.
 */
import { DEFAULT_RULES_HOP_LIMIT } from '../config/defaults.ts';
import { type HeaderList, headerValues } from './headers.ts';

export const LOOP_HEADER = 'X-Strato-Loop';

/** How many Received fields the message carries. */
export function countReceived(headers: HeaderList): number {
  return headerValues(headers, 'Received').length;
}

/** The header line (with CRLF) every generated message carries for `owner`. */
export function loopMarkLine(owner: string): string {
  return `${LOOP_HEADER}: ${owner.replace(/[\r\n\s]+/g, '').toLowerCase()}\r\n`;
}

/** True when the message already carries X-Strato-Loop for `owner` (case-insensitive, <> tolerated). */
export function hasLoopMark(headers: HeaderList, owner: string): boolean {
  const wanted = owner.trim().toLowerCase();
  return headerValues(headers, LOOP_HEADER).some(
    (v) => v.trim().replace(/^<|>$/g, '').toLowerCase() === wanted,
  );
}

/** Why `owner`'s rules must not generate mail for this message, or undefined when they may. */
export function generationBlockedBy(
  headers: HeaderList,
  owner: string,
  receivedLimit: number = DEFAULT_RULES_HOP_LIMIT,
): string | undefined {
  const hops = countReceived(headers);
  if (hops > receivedLimit) return `mail loop: ${hops} Received headers (limit ${receivedLimit})`;
  if (hasLoopMark(headers, owner)) return `mail loop: the message already carries ${LOOP_HEADER}: ${owner}`;
  return undefined;
}
