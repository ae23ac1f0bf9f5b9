/**
 * ContentFilter: one scan of a stored message with its envelope, answered by a content filter
 * (rspamd over HTTP today; a milter client or a virus scanner could sit behind the same port).
 * scan() rejects (throws) when the filter cannot answer — unreachable, slow past its timeout, a
 * malformed reply — and the caller (core/intake/content-scan.ts) decides what that means.
 */
import type { Readable } from 'node:stream';

import { FILTER_ACTIONS } from '../rules/spam-results.ts';

/** What the filter recommends, in rspamd's terms (`no action` … `reject`). */
export { FILTER_ACTIONS };
export type FilterAction = (typeof FILTER_ACTIONS)[number];

/** The envelope the filter sees beside the message. */
export interface FilterEnvelope {
  readonly ip: string;
  readonly helo: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** The authenticated user (submission): the filter treats the message as outbound. */
  readonly user?: string;
  readonly queueId: string;
  readonly hostname?: string;
}

export interface FilterSymbol {
  readonly name: string;
  readonly score: number;
}

export interface FilterResult {
  readonly action: FilterAction;
  readonly score: number;
  readonly requiredScore: number;
  readonly symbols: readonly FilterSymbol[];
  /** The filter's text for a reject / soft reject, when it gave one. */
  readonly reason?: string;
  /** The subject a `rewrite subject` asks for, when the filter gave one. */
  readonly subject?: string;
}

export interface ContentFilter {
  /** A short name for logs and headers, e.g. `rspamd`. */
  readonly name: string;
  scan(open: () => Promise<Readable>, envelope: FilterEnvelope): Promise<FilterResult>;
}
