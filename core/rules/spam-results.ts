/**
 * The content filter's verdict as rule conditions (`Spam Score` greater/less than, `Filter Action`
 * is/in …). Which X-Spam-* fields are ours: intake (core/intake/content-scan.ts) puts them above
 * everything else, above our own Received header, so only the fields before the first Received
 * field are read — never a sender's forged X-Spam-Score, and nothing at all for mail the filter
 * did not scan (generated mail, trusted networks, the filter off), which rules then see as "no
 * verdict". Pure; never throws.
 */
import type { HeaderList } from './headers.ts';

/**
 * What a content filter recommends, in rspamd's terms (`no action` … `reject`): the one list,
 * typed by core/ports/content-filter.ts as FilterAction (ports build on rules, not the reverse).
 */
export const FILTER_ACTIONS = [
  'no action',
  'greylist',
  'add header',
  'rewrite subject',
  'soft reject',
  'reject',
] as const;

/** The filter's actions plus `unchecked` (it did not answer): what a rule may test. */
export const FILTER_ACTION_VALUES = [...FILTER_ACTIONS, 'unchecked'] as const;

/** The first value of `name` above the first Received field, if any. */
function ours(headers: HeaderList, name: string): string | undefined {
  const key = name.toLowerCase();
  for (const [n, value] of headers) {
    const lower = n.toLowerCase();
    if (lower === 'received') return undefined;
    if (lower === key) return value.trim();
  }
  return undefined;
}

/** The filter's score for this message, or undefined when it was not scanned (or unchecked). */
export function clusterSpamScore(headers: HeaderList): number | undefined {
  const v = ours(headers, 'X-Spam-Score');
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** The filter's action (or `unchecked`), or undefined when the message was not scanned here. */
export function clusterFilterAction(headers: HeaderList): string | undefined {
  const action = ours(headers, 'X-Spam-Action');
  if (action !== undefined) return action.toLowerCase();
  return ours(headers, 'X-Spam-Status')?.toLowerCase() === 'unchecked' ? 'unchecked' : undefined;
}
